/**
 * What the controller reads: a progress file rewritten atomically as the run advances, and the
 * Kubernetes termination message (JSON, at most 4096 bytes) written once at the end.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Phase, Reason } from '../reasons.js';

export interface TrainingProgress {
  readonly step?: number;
  readonly maxSteps?: number;
  readonly epoch?: number;
  readonly loss?: number;
  readonly evalLoss?: number;
  readonly learningRate?: number;
}

export interface Progress {
  readonly phase: Phase;
  readonly reason?: Reason;
  readonly message?: string;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly rows?: number;
  readonly downloadedBytes?: number;
  readonly training?: TrainingProgress;
  readonly image?: string;
  readonly digest?: string;
}

export type Clock = () => Date;

/** Rewrites the progress file on every update (write to a temp file, then rename). */
export class ProgressFile {
  private state: Progress;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly clock: Clock = () => new Date(),
    private readonly onError: (err: unknown) => void = () => undefined,
    /** Also told every snapshot (the controller's progress ConfigMap). */
    private readonly listener?: (p: Progress) => void,
  ) {
    const now = this.clock().toISOString();
    this.state = { phase: 'Starting', startedAt: now, updatedAt: now };
  }

  get current(): Progress {
    return this.state;
  }

  update(patch: Partial<Omit<Progress, 'startedAt' | 'updatedAt'>>): Promise<void> {
    this.state = { ...this.state, ...patch, updatedAt: this.clock().toISOString() };
    const snapshot = JSON.stringify(this.state);
    this.listener?.(this.state);
    this.chain = this.chain.then(async () => {
      try {
        await mkdir(dirname(this.path), { recursive: true });
        const tmp = `${this.path}.tmp`;
        await writeFile(tmp, snapshot + '\n');
        await rename(tmp, this.path);
      } catch (err) {
        this.onError(err);
      }
    });
    return this.chain;
  }

  flush(): Promise<void> {
    return this.chain;
  }
}

export interface TerminationMessage {
  readonly phase: 'Succeeded' | 'Failed';
  readonly reason: Reason;
  readonly message: string;
  readonly image?: string;
  readonly digest?: string;
  readonly step?: number;
  readonly loss?: number;
}

export const TERMINATION_MESSAGE_LIMIT = 4096;

/** The message as JSON within Kubernetes' 4096-byte limit; an over-long message is cut, never the fields. */
export function terminationMessage(m: TerminationMessage): string {
  let text = JSON.stringify(m);
  if (Buffer.byteLength(text) <= TERMINATION_MESSAGE_LIMIT) return text;
  let message = m.message;
  while (Buffer.byteLength(text) > TERMINATION_MESSAGE_LIMIT && message.length > 0) {
    const over = Buffer.byteLength(text) - TERMINATION_MESSAGE_LIMIT;
    message = message.slice(0, Math.max(0, message.length - Math.max(over, 16) - 3));
    text = JSON.stringify({ ...m, message: `${message}...` });
  }
  return text;
}

export async function writeTerminationMessage(path: string, m: TerminationMessage): Promise<void> {
  await writeFile(path, terminationMessage(m));
}
