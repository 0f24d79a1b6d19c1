import { CodedError } from '@kaito-ts/core';
import { Reasons, type Reason } from './reasons.js';

/**
 * Base of every error the runner classifies. `code` is the reason the controller sees; the
 * message is what the user reads, so it names the URL and HTTP status, the file and row, or the
 * field path.
 */
export abstract class RunnerError extends CodedError<Reason> {}

export class InvalidSettingsError extends RunnerError {
  readonly code = Reasons.InvalidSettings;
}

export class InvalidConfigError extends RunnerError {
  readonly code = Reasons.InvalidConfig;
}

export class DownloadError extends RunnerError {
  readonly code = Reasons.DownloadFailed;
  readonly retryable: boolean;
  /** `url` must already be redacted (see `redactUrl`): messages and logs show it. */
  constructor(
    readonly url: string,
    readonly status: number | undefined,
    readonly problem: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(`download ${url}: ${status === undefined ? '' : `HTTP ${status}: `}${problem}`, options);
    this.retryable = options?.retryable ?? false;
  }
}

export class DatasetError extends RunnerError {
  readonly code = Reasons.InvalidDataset;
  /** `where` is `row 3` (parquet, csv, json arrays: 1-based record) or `line 3` (jsonl). */
  constructor(
    readonly file: string,
    readonly where: string | undefined,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${where === undefined ? '' : `${where}: `}${problem}`, options);
  }
}

export class TrainerError extends RunnerError {
  constructor(
    readonly code: typeof Reasons.TrainerFailed | typeof Reasons.OOMKilled | typeof Reasons.Terminated | typeof Reasons.InvalidConfig | typeof Reasons.InvalidDataset,
    message: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class AdapterError extends RunnerError {
  readonly code = Reasons.InvalidAdapter;
}

export class RegistryError extends RunnerError {
  readonly code = Reasons.PushFailed;
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(message, options);
    this.retryable = options?.retryable ?? false;
  }
  readonly retryable: boolean;
}

export class RegistryAuthError extends RunnerError {
  readonly code = Reasons.PushUnauthorized;
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class OutputError extends RunnerError {
  readonly code = Reasons.OutputFailed;
}

/** The one place that turns any thrown value into a reason. */
export function reasonOf(err: unknown): Reason {
  if (err instanceof RunnerError) return err.code;
  return Reasons.InternalError;
}

export function messageOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') return (err as { message: string }).message;
  return String(err);
}

/** Node's network errors hide the useful part (ECONNREFUSED, certificate problems) in `cause`. */
export function describeNetworkError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    // Duck-typed: fetch's errors may come from another realm (e.g. under jest), failing instanceof.
    if (typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') {
      const { code, cause } = e as { message: string; code?: unknown; cause?: unknown };
      const message = tidy((e as { message: string }).message);
      parts.push(typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message);
      e = cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return [...new Set(parts)].join(': ');
}

/** OpenSSL's multi-line `…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:…` → its reason. */
function tidy(message: string): string {
  const first = (message.split('\n')[0] ?? '').trim();
  const ssl = /:error:[0-9A-F]+:SSL routines:[^:]*:([^:]+):/.exec(first);
  return ssl?.[1] ? `TLS handshake failed: ${ssl[1]}` : first;
}
