/** A binary min-heap ordered by `at` then insertion order, for the queue's delayed adds. */
export interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly key: string;
}

const before = (a: Scheduled, b: Scheduled): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

export class MinHeap {
  readonly #items: Scheduled[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): Scheduled | undefined {
    return this.#items[0];
  }

  push(item: Scheduled): void {
    const a = this.#items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p] as Scheduled;
      if (!before(item, parent)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = item;
  }

  pop(): Scheduled | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const left = a[l] as Scheduled;
      const right = a[r];
      const c = right !== undefined && before(right, left) ? r : l;
      const child = a[c] as Scheduled;
      if (!before(child, last)) break;
      a[i] = child;
      i = c;
    }
    a[i] = last;
    return top;
  }

  clear(): void {
    this.#items.length = 0;
  }
}
