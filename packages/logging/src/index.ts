/**
 * One root winston logger per process, created in main.ts and passed in (never a module
 * singleton); reconciles log through `log.child({ controller, namespace, name, reconcileID })`.
 * JSON in a container, readable on a TTY. Values under secret-looking keys are replaced, and
 * Basic/Bearer credentials are scrubbed from every string, so an error that echoes a header
 * cannot leak a password or token.
 */
import type { Writable } from 'node:stream';
import winston from 'winston';

/** The slice of winston's logger our code uses; a winston `Logger` satisfies it. */
export interface Logger {
  error(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
  debug(message: string, meta?: Record<string, unknown>): unknown;
  child(meta: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /** `error | warn | info | debug`. Default `info`. */
  readonly level?: string;
  /** `json` (production), `pretty` (humans), or `auto`: pretty on a TTY, else JSON. */
  readonly format?: 'json' | 'pretty' | 'auto';
  /** Where lines go. Default stdout. */
  readonly stream?: Writable & { isTTY?: boolean };
  /** Fields on every line, e.g. `{ component: 'workspace-controller' }`. */
  readonly defaultMeta?: Record<string, unknown>;
}

const SECRET_KEY = /(pass(word)?|secret|token|authorization|credential|auth$|api[-_]?key|private[-_]?key|cookie)/i;
const SECRET_IN_TEXT = /\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{8,}/g;
export const REDACTED = '[REDACTED]';

/** Replaces Basic/Bearer credentials inside free text. */
export function scrub(text: string): string {
  return text.replace(SECRET_IN_TEXT, `$1 ${REDACTED}`);
}

/** Replaces values under secret-looking keys, at any depth, scrubs strings, and turns Errors into plain fields. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: scrub(value.message),
      ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
      ...(value.cause !== undefined && depth < 4 ? { cause: redact(value.cause, depth + 1) } : {}),
    };
  }
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? REDACTED : redact(v, depth + 1);
  return out;
}

const redactFormat = winston.format((info) => {
  info.message = typeof info.message === 'string' ? scrub(info.message) : info.message;
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'message') continue;
    info[key] = SECRET_KEY.test(key) ? REDACTED : redact(info[key]);
  }
  return info;
});

export function createLogger(options: LoggerOptions = {}): winston.Logger {
  const stream = options.stream ?? process.stdout;
  const pretty = options.format === 'pretty' || (options.format !== 'json' && stream.isTTY === true);
  const format = pretty
    ? winston.format.combine(
        redactFormat(),
        winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
        winston.format.colorize(),
        winston.format.printf(({ level, message, timestamp, ...fields }) => {
          const rest = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
          return `${String(timestamp)} ${level} ${String(message)}${rest}`;
        }),
      )
    : winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json());
  return winston.createLogger({
    level: options.level ?? 'info',
    format,
    ...(options.defaultMeta !== undefined ? { defaultMeta: options.defaultMeta } : {}),
    transports: [new winston.transports.Stream({ stream })],
  });
}
