import { open, type FileHandle } from 'node:fs/promises';
import type { NormalisedRow } from './normalise.js';
import { showBytes } from './limits.js';

/** Output is written in writes of about this much, each awaited before more is produced. */
export const FLUSH_BYTES = 1 << 20;

/**
 * The JSONL output: lines collected as strings and written ~1 MiB at a time. A row whose JSON
 * would pass `maxRowBytes` is refused before `JSON.stringify` builds it: its strings are summed
 * first, so a 600 MiB message never becomes a (V8-limit-breaking) 600 MiB string.
 */
export class JsonlWriter {
  bytes = 0;
  private parts: string[] = [];
  private pending = 0;
  /** Opened at once (truncating the file, as a write stream does); an error shows at the first write. */
  private readonly handle: Promise<FileHandle>;

  constructor(
    path: string,
    private readonly maxRowBytes: number,
  ) {
    this.handle = open(path, 'w');
    this.handle.catch(() => undefined);
  }

  /** Queues the row's line; returns why it was refused, if it was. */
  add(row: NormalisedRow): string | undefined {
    const text = textLength(row);
    // UTF-16 units: a lower bound on the UTF-8 bytes (escapes only add), so this refuses nothing valid.
    if (text > this.maxRowBytes) return `the row holds ${showBytes(text)} of text, over the ${showBytes(this.maxRowBytes)} row limit`;
    const line = JSON.stringify(row) + '\n';
    const bytes = Buffer.byteLength(line);
    if (bytes > this.maxRowBytes) return `the row is ${showBytes(bytes)} as JSON, over the ${showBytes(this.maxRowBytes)} row limit`;
    this.parts.push(line);
    this.pending += bytes;
    return undefined;
  }

  get full(): boolean {
    return this.pending >= FLUSH_BYTES;
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const handle = await this.handle;
    const chunk = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.pending = 0;
    for (let at = 0; at < chunk.length; ) {
      const { bytesWritten } = await handle.write(chunk, at, chunk.length - at);
      at += bytesWritten;
    }
    this.bytes += chunk.length;
  }

  async close(): Promise<void> {
    await this.flush();
    await (await this.handle).close();
  }

  destroy(): void {
    this.handle.then((h) => h.close()).catch(() => undefined);
  }
}

function textLength(row: NormalisedRow): number {
  if ('text' in row) return row.text.length;
  if ('messages' in row) return messagesLength(row.messages);
  return (typeof row.prompt === 'string' ? row.prompt.length : messagesLength(row.prompt)) + (typeof row.completion === 'string' ? row.completion.length : messagesLength(row.completion));
}

function messagesLength(messages: readonly { role: string; content: string }[]): number {
  let n = 0;
  for (const m of messages) n += m.role.length + m.content.length;
  return n;
}
