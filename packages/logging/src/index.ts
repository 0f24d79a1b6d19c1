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
// HTTP auth schemes are case-insensitive: `authorization: bearer …` is as secret as `Bearer …`.
const SECRET_IN_TEXT = /\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{8,}/gi;
/** `scheme://user:password@host` — the whole userinfo goes (a token often sits in the user part). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]{0,31}:\/\/)[^\s/?#@"'<>]+@/gi;
/** `name=value` pairs, as in query strings (SAS `sig=`, `X-Amz-Signature=`, `access_token=`). */
const PARAM = /(?<![\w.-])([A-Za-z][\w.-]{0,63})=([^&\s"'#<>,;]+)/g;
const SECRET_PARAM = /^(sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential)$/i;
/** `"key": "value"` inside JSON text, e.g. a docker config's `"auth": "dXNlcjpwYXNz"`. */
const JSON_PAIR = /"([^"\\]{1,64})"(\s*:\s*)"(?:[^"\\]|\\.)*"/g;
/** Hugging Face tokens and JWTs (Kubernetes service-account tokens) wherever they appear. */
const BARE_TOKEN = /\bhf_[A-Za-z0-9]{16,}|\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
export const REDACTED = '[REDACTED]';

/** Replaces credentials inside free text: Basic/Bearer values, URL userinfo, signed query values, JSON secret fields, hf_ tokens and JWTs. */
export function scrub(text: string): string {
  return text
    .replace(SECRET_IN_TEXT, `$1 ${REDACTED}`)
    .replace(URL_USERINFO, `$1${REDACTED}@`)
    .replace(PARAM, (all, name: string) => (SECRET_PARAM.test(name) || SECRET_KEY.test(name) ? `${name}=${REDACTED}` : all))
    .replace(JSON_PAIR, (all, key: string, colon: string) => (SECRET_KEY.test(key) ? `"${key}"${colon}"${REDACTED}"` : all))
    .replace(BARE_TOKEN, REDACTED);
}

/** How many values one `redact` call visits before it stops: a wide graph of shared references must not hang a log call. */
const MAX_NODES = 10_000;
const MAX_DEPTH = 6;

interface Walk {
  /** Objects on the path from the root: a reference back to one of them is a cycle. */
  readonly ancestors: Set<object>;
  budget: number;
}

/** Replaces values under secret-looking keys, at any depth, scrubs strings, and turns Errors into plain fields. */
export function redact(value: unknown, depth = 0): unknown {
  return walk(value, depth, { ancestors: new Set(), budget: MAX_NODES });
}

function walk(value: unknown, depth: number, w: Walk): unknown {
  if (typeof value === 'string') return scrub(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  // Past the depth or the budget nothing is returned as-is: the raw object would reach the
  // serializer unredacted.
  if (depth > MAX_DEPTH || w.budget <= 0) return '[Truncated]';
  if (w.ancestors.has(value)) return '[Circular]';
  w.budget--;
  w.ancestors.add(value);
  try {
    if (value instanceof Error) {
      const code = (value as { code?: unknown }).code;
      return {
        name: value.name,
        message: scrub(value.message),
        ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
        ...(value.cause !== undefined && depth < 4 ? { cause: walk(value.cause, depth + 1, w) } : {}),
      };
    }
    if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
    // JSON.stringify would call toJSON on our copy and print whatever it returns, unredacted.
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return walk(toJSON.call(value), depth + 1, w);
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1, w));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? REDACTED : walk(v, depth + 1, w);
    return out;
  } finally {
    w.ancestors.delete(value);
  }
}

const LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

/** `INFO`, ` debug ` and `` are what env vars hold; winston given anything but a lowercase level writes nothing, not even errors. */
function parseLevel(level: string | undefined): string {
  const l = (level ?? '').trim().toLowerCase();
  if (l === '') return 'info';
  if (!LEVELS.includes(l)) throw new Error(`log level: expected one of ${LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  return l;
}

const redactFormat = winston.format((info) => {
  // A copy: `log.info(obj)` and `log.error(err)` hand winston the caller's own object as `info`.
  const out: winston.Logform.TransformableInfo = { ...info };
  const message: unknown = info.message;
  // `log.info({ token })` (no `message` field) arrives as `{ message: { token } }`.
  out.message = typeof message === 'string' ? scrub(message) : redact(message);
  if (info instanceof Error && typeof info.stack === 'string' && out['stack'] === undefined) out['stack'] = info.stack;
  for (const key of Object.keys(out)) {
    if (key === 'level' || key === 'message') continue;
    out[key] = SECRET_KEY.test(key) ? REDACTED : redact(out[key]);
  }
  return out;
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
    level: parseLevel(options.level),
    format,
    ...(options.defaultMeta !== undefined ? { defaultMeta: options.defaultMeta } : {}),
    transports: [new winston.transports.Stream({ stream })],
  });
}
