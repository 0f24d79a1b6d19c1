/**
 * The demo's phase display: which phase runs, how long it and the whole demo have taken, and
 * what is being waited for.
 *
 * - On a TTY, one status line at the bottom is rewritten in place every second
 *   (`⠙ 4/7 provisioning · 0:12 (total 1:03) · waiting for: the node to join`); the lines of
 *   what happened scroll above it.
 * - Elsewhere (a pipe, a CI log, the e2e test) there is no status line and no escape code:
 *   every change of what is waited for is a plain line of its own, with the phase's elapsed time.
 *
 * Hand-written (about 100 lines) rather than a spinner library (ora, listr2): those own the
 * terminal, hide the cursor and render differently when not on a TTY, which is the very case the
 * e2e test reads; this needs one line rewritten with `\r` and an erase-line code.
 */

export interface DisplayOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface DisplayOptions {
  readonly out: DisplayOutput;
  /** How many phases the run has (the `N/7` in every phase line). */
  readonly phases: number;
  /** Milliseconds; injectable for tests. */
  readonly now?: () => number;
  /** Status-line refresh on a TTY (ms); 0 turns the timer off (tests call `render`). */
  readonly tickMs?: number;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const ERASE_LINE = '\r\x1b[2K';

/** `m:ss` (or `h:mm:ss`) of a duration in ms. */
export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Seconds with one decimal: `12.3s`. */
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

export interface PhaseRecord {
  readonly number: number;
  readonly title: string;
  readonly ms: number;
}

export class Display {
  readonly #out: DisplayOutput;
  readonly #tty: boolean;
  readonly #now: () => number;
  readonly #phases: number;
  readonly #started: number;
  readonly #timer: ReturnType<typeof setInterval> | undefined;
  #phase: { number: number; title: string; started: number } | undefined;
  #waiting: string | undefined;
  #frame = 0;
  #statusShown = false;
  readonly done: PhaseRecord[] = [];

  constructor(o: DisplayOptions) {
    this.#out = o.out;
    this.#tty = o.out.isTTY === true;
    this.#now = o.now ?? Date.now;
    this.#phases = o.phases;
    this.#started = this.#now();
    const tick = o.tickMs ?? 1000;
    if (this.#tty && tick > 0) {
      this.#timer = setInterval(() => this.render(), tick);
      this.#timer.unref();
    }
  }

  /** The current phase's number and title (for a failure's message). */
  get phase(): { readonly number: number; readonly title: string } | undefined {
    return this.#phase;
  }

  /** What the current phase waits for, if anything. */
  get waitingFor(): string | undefined {
    return this.#waiting;
  }

  /** Total elapsed ms since the display was made. */
  elapsed(): number {
    return this.#now() - this.#started;
  }

  /** Starts phase `number`: a header line. */
  startPhase(number: number, title: string): void {
    this.#phase = { number, title, started: this.#now() };
    this.#waiting = undefined;
    this.#print(`\n▶ ${number}/${this.#phases} ${title}   [at ${clock(this.elapsed())}]`);
  }

  /** Sets what the phase waits for now: the status line on a TTY, a plain line elsewhere. */
  waitFor(what: string): void {
    if (what === this.#waiting) return;
    this.#waiting = what;
    if (this.#tty) this.render();
    else this.#print(`  … ${clock(this.#phaseMs())} waiting for: ${what}`);
  }

  /** A line of what happened (indented under the phase). */
  info(line: string): void {
    this.#print(`  ${line}`);
  }

  /** A block (YAML, a table), each line indented. */
  block(text: string): void {
    this.#print(
      text
        .replace(/\n+$/, '')
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n'),
    );
  }

  /** Ends the current phase with its time. */
  endPhase(summary?: string): PhaseRecord | undefined {
    const p = this.#phase;
    if (p === undefined) return undefined;
    const record = { number: p.number, title: p.title, ms: this.#now() - p.started };
    this.done.push(record);
    this.#phase = undefined;
    this.#waiting = undefined;
    this.#print(`✓ ${p.number}/${this.#phases} ${p.title} in ${seconds(record.ms)}${summary !== undefined ? `: ${summary}` : ''}`);
    return record;
  }

  /** A line outside any phase (the banner, the summary, the failure). */
  line(text: string): void {
    this.#print(text);
  }

  /** Draws the status line (TTY only; the timer calls it every tick). */
  render(): void {
    if (!this.#tty || this.#phase === undefined) return;
    const spin = SPINNER[this.#frame++ % SPINNER.length] ?? '';
    const what = this.#waiting !== undefined ? ` · waiting for: ${this.#waiting}` : '';
    this.#out.write(`${ERASE_LINE}${spin} ${this.#phase.number}/${this.#phases} ${this.#phase.title} · ${clock(this.#phaseMs())} (total ${clock(this.elapsed())})${what}`);
    this.#statusShown = true;
  }

  /** Stops the timer and removes the status line. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#clearStatus();
  }

  #phaseMs(): number {
    return this.#phase === undefined ? 0 : this.#now() - this.#phase.started;
  }

  #clearStatus(): void {
    if (this.#statusShown) this.#out.write(ERASE_LINE);
    this.#statusShown = false;
  }

  #print(text: string): void {
    this.#clearStatus();
    this.#out.write(`${text}\n`);
    if (this.#tty) this.render();
  }
}

/**
 * `before` and `after` line by line (the demo's rewrites replace whole lines): unchanged lines as
 * they are, a changed one as `- before` and `+ after`.
 */
export function lineDiff(before: string, after: string): string {
  const a = before.trimEnd().split('\n');
  const b = after.trimEnd().split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) out.push(`  ${x ?? ''}`);
    else {
      if (x !== undefined) out.push(`- ${x}`);
      if (y !== undefined) out.push(`+ ${y}`);
    }
  }
  return out.join('\n');
}
