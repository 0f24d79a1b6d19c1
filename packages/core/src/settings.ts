/**
 * Settings for every process, one way: a declarative table of flags with environment fallbacks,
 * read with node's `util.parseArgs` and decoded with io-ts.
 *
 * - A flag wins over its environment variable, which wins over the default (an empty variable
 *   counts as unset). Defaults are raw text, decoded like any input, so `--help` shows them as a
 *   user would type them.
 * - Unknown flags are refused. A bad value is one line naming the flag and its variable, what was
 *   expected and an example: `invalid setting --data-dir (DATA_DIR): expected an absolute path,
 *   got "data" (e.g. --data-dir=/mnt/data)`.
 * - `--help` / `-h` returns `{ help: true }` before anything is decoded; `settingsHelp` renders the
 *   table.
 */
import { parseArgs } from 'node:util';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { show } from './decode.js';
import { CodedError } from './errors.js';

/** `value`: `--flag v` / `--flag=v`; `list`: repeatable, a comma-separated variable; `switch`: `--flag` alone. */
export type SettingKind = 'value' | 'list' | 'switch';

export interface SettingSpec<C extends t.Mixed = t.Mixed> {
  /** Without the dashes: `data-dir`. */
  readonly flag: string;
  /** Environment fallbacks, first set one wins. */
  readonly env?: string | readonly string[];
  /** Decodes the raw input: a string (`value`), string[] (`list`), boolean or string (`switch`), or undefined when unset. */
  readonly codec: C;
  /** Raw input used when neither the flag nor a variable is set. */
  readonly default?: string | readonly string[] | boolean;
  readonly description: string;
  readonly kind?: SettingKind;
  readonly short?: string;
  /** Shown in errors (`e.g. --flag=<example>`); defaults to `default`. */
  readonly example?: string;
  /** In `--help` after the flag: `--launch-delay DURATION`. */
  readonly placeholder?: string;
  /** The value never appears in an error or in `--help`. */
  readonly secret?: boolean;
}

export type SettingsTable = Readonly<Record<string, SettingSpec>>;

/** The decoded settings of a table: one field per row, typed by its codec. */
export type SettingsOf<T extends SettingsTable> = { -readonly [K in keyof T]: t.TypeOf<T[K]['codec']> };

export type ParsedSettings<T extends SettingsTable> =
  | { readonly help: true }
  | { readonly help: false; readonly values: SettingsOf<T>; readonly positionals: readonly string[] };

export interface ParseSettingsOptions {
  /** Commands and paths after the flags (`cluster apply crds/`); refused unless set. */
  readonly positionals?: boolean;
}

/** Identity, for inference: `const SETTINGS = defineSettings({ … })`. */
export function defineSettings<T extends SettingsTable>(table: T): T {
  return table;
}

// The error is a plain Error subclass with a literal code so that it can move onto the shared
// error base class without changing its callers.
export class SettingsError extends CodedError<'InvalidSettings'> {
  readonly code = 'InvalidSettings' as const;
  constructor(
    message: string,
    /** The flag at fault, without dashes, when one is. */
    readonly flag?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isSettingsError(err: unknown): err is SettingsError {
  return err instanceof SettingsError;
}

const envNames = (spec: SettingSpec): readonly string[] => (spec.env === undefined ? [] : typeof spec.env === 'string' ? [spec.env] : spec.env);

/** `--data-dir (DATA_DIR)`: how errors name a setting. */
export function settingLabel(spec: SettingSpec): string {
  const envs = envNames(spec);
  return envs.length > 0 ? `--${spec.flag} (${envs.join(', ')})` : `--${spec.flag}`;
}

/** An error about settings that only make sense together (exactly one of two outputs…). */
export function settingsConflict(specs: readonly SettingSpec[], problem: string): SettingsError {
  return new SettingsError(`invalid setting ${specs.map(settingLabel).join(' / ')}: ${problem}`, specs[0]?.flag);
}

const HELP_TOKENS = new Set(['--help', '-h']);

/** Reads `argv` and `env` against `table`. Throws `SettingsError`, one line. */
export function parseSettings<T extends SettingsTable>(
  table: T,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  options: ParseSettingsOptions = {},
): ParsedSettings<T> {
  const beforeDashDash = argv.indexOf('--') === -1 ? argv : argv.slice(0, argv.indexOf('--'));
  if (beforeDashDash.some((a) => HELP_TOKENS.has(a))) return { help: true };

  const byFlag = new Map<string, string>();
  const parseOptions: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, spec] of Object.entries(table)) {
    byFlag.set(spec.flag, name);
    parseOptions[spec.flag] = {
      type: spec.kind === 'switch' ? 'boolean' : 'string',
      ...(spec.kind === 'list' ? { multiple: true } : {}),
      ...(spec.short !== undefined ? { short: spec.short } : {}),
    };
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: parseOptions, strict: true, allowPositionals: options.positionals === true });
  } catch (err) {
    throw argvError(err, table);
  }

  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(table)) {
    const raw = rawValue(spec, parsed.values[spec.flag], env);
    const result = spec.codec.decode(raw);
    if (isLeft(result)) throw new SettingsError(`invalid setting ${settingLabel(spec)}: ${problemOf(result.left, spec, raw)}${exampleOf(spec)}`, spec.flag);
    values[name] = result.right;
  }
  return { help: false, values: values as SettingsOf<T>, positionals: parsed.positionals };
}

function rawValue(spec: SettingSpec, fromArgv: unknown, env: Readonly<Record<string, string | undefined>>): unknown {
  if (fromArgv !== undefined) return fromArgv;
  for (const name of envNames(spec)) {
    const v = env[name];
    if (v !== undefined && v !== '') return spec.kind === 'list' ? v.split(',') : v;
  }
  return spec.default;
}

function problemOf(errors: t.Errors, spec: SettingSpec, raw: unknown): string {
  const withMessage = errors.find((e) => e.message !== undefined);
  if (spec.secret === true) return `expected ${describeCodec(spec.codec)}${raw === undefined ? ', got nothing' : ''}`;
  if (withMessage?.message !== undefined) return withMessage.message;
  return `expected ${describeCodec(spec.codec)}, got ${show(raw)}`;
}

function exampleOf(spec: SettingSpec): string {
  if (spec.kind === 'switch' || spec.secret === true) return '';
  const example = spec.example ?? (typeof spec.default === 'string' && spec.default !== '' ? spec.default : undefined);
  return example === undefined ? '' : ` (e.g. --${spec.flag}=${example})`;
}

/** Turns node's parseArgs errors (code `ERR_PARSE_ARGS_*`, checked by code: under jest they come from another realm) into our one line. */
function argvError(err: unknown, table: SettingsTable): unknown {
  const { code, message } = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) return err;
  // node names the argument in quotes: "Unknown option '--x'", "Option '--x <value>' argument missing".
  const quoted = /'([^']*)'/.exec(String(message))?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = quoted.replace(/^-+/, '').split('=')[0] ?? quoted;
    return new SettingsError(`invalid setting: unknown flag ${quoted.startsWith('--') || quoted.length > 2 ? `--${flag}` : quoted}; see --help`, undefined, { cause: err });
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return new SettingsError(`invalid setting: unexpected argument ${JSON.stringify(quoted)}; flags look like --name=value`, undefined, { cause: err });
  }
  // ERR_PARSE_ARGS_INVALID_OPTION_VALUE: "Option '--data-dir <value>' argument missing" or a switch given a value.
  const flag = (quoted.split(/[ ,]/)[0] ?? '').replace(/^-+/, '');
  const spec = Object.values(table).find((s) => s.flag === flag || s.short === flag);
  const what = spec?.kind === 'switch' ? 'no value (it is a switch)' : 'a value';
  return new SettingsError(`invalid setting ${spec ? settingLabel(spec) : `--${flag}`}: expected ${what}${spec ? exampleOf(spec) : ''}`, spec?.flag, { cause: err });
}


const describeCodec = (codec: t.Mixed): string => {
  const alternatives = /^"[^"]*"(?: \| "[^"]*")+$/.test(codec.name) ? codec.name.split(' | ').map((s) => s.slice(1, -1)) : undefined;
  return alternatives ? `one of: ${alternatives.join(', ')}` : codec.name;
};

/** The `--help` text: `usage`, then one row per setting (flag, variables, description and default). */
export function settingsHelp(table: SettingsTable, usage: string, footer?: string): string {
  const rows = Object.values(table).map((spec) => {
    const placeholder = spec.kind === 'switch' ? '' : ` ${spec.placeholder ?? 'VALUE'}`;
    const short = spec.short !== undefined ? `-${spec.short}, ` : '';
    const def =
      spec.secret === true || spec.default === undefined || spec.default === '' || spec.default === false || (Array.isArray(spec.default) && spec.default.length === 0)
        ? ''
        : ` (default ${Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default)})`;
    return [`${short}--${spec.flag}${placeholder}`, envNames(spec).join(', '), `${spec.description}${def}`] as const;
  });
  rows.push(['-h, --help', '', 'print this help']);
  const flagWidth = Math.max('flag'.length, ...rows.map((r) => r[0].length));
  // A process without environment fallbacks (a developer CLI) gets no empty column.
  const withEnv = rows.some((r) => r[1] !== '');
  const envWidth = Math.max('environment'.length, ...rows.map((r) => r[1].length));
  const line = (flag: string, env: string, what: string): string => `  ${flag.padEnd(flagWidth)}  ${withEnv ? `${env.padEnd(envWidth)}  ` : ''}${what}`.trimEnd();
  const lines = rows.map(([flag, env, what]) => line(flag, env, what));
  const header = line('flag', 'environment', 'meaning');
  return [usage, '', header, ...lines, ...(footer !== undefined ? ['', footer] : [])].join('\n');
}

// ---- Codecs for raw setting text. Each failure message says what was expected and what was got.

type Raw = string | readonly string[] | boolean | undefined;

function fromText<A>(name: string, expected: string, read: (s: string) => A | undefined): t.Type<A, A, unknown> {
  return new t.Type<A, A, unknown>(
    name,
    (u): u is A => u !== undefined,
    (u, c) => {
      const value = typeof u === 'string' ? read(u) : undefined;
      return value !== undefined ? t.success(value) : t.failure(u, c, `expected ${expected}, got ${show(u)}`);
    },
    t.identity,
  );
}

const DECIMAL = /^\d+$/;
const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `5s`, `2m`, `1h`, `1m30s` or plain milliseconds; undefined when it is none of these. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (DECIMAL.test(s)) return Number(s);
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== s) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] ?? 'ms'] ?? 1), 0);
}

export const SettingCodecs = {
  /** Any text but an empty or blank one. */
  text: fromText('Text', 'a non-empty value', (s) => (s.trim() === '' ? undefined : s)),

  /** Text that may be empty (e.g. a list that defaults to nothing). */
  anyText: fromText('Text', 'text', (s) => s),

  /** Unset stays `undefined`; a set value must decode. */
  optional<C extends t.Mixed>(codec: C): t.Type<t.TypeOf<C> | undefined, t.OutputOf<C> | undefined, unknown> {
    return new t.Type<t.TypeOf<C> | undefined, t.OutputOf<C> | undefined, unknown>(
      `${codec.name} (optional)`,
      (u): u is t.TypeOf<C> | undefined => u === undefined || codec.is(u),
      (u, c) => (u === undefined ? t.success(undefined) : codec.validate(u, c)),
      (a) => (a === undefined ? undefined : (codec.encode(a) as t.OutputOf<C>)),
    );
  },

  /** One of `values`; with `ignoreCase`, `DEBUG` reads as `debug` (variables are often upper case). */
  oneOf<const L extends string>(values: readonly [L, ...L[]], opts: { ignoreCase?: boolean } = {}): t.Type<L, L, unknown> {
    const byKey = new Map<string, L>(values.map((v) => [opts.ignoreCase === true ? v.toLowerCase() : v, v]));
    return fromText(values.map((v) => JSON.stringify(v)).join(' | '), `one of: ${values.join(', ')}`, (s) =>
      byKey.get(opts.ignoreCase === true ? s.trim().toLowerCase() : s),
    );
  },

  /**
   * Decimal digits only, within bounds. `Number()` alone reads "" and " " as 0 and accepts "0x10"
   * and "1e1".
   */
  wholeNumber(opts: { min?: number; max?: number; what?: string } = {}): t.Type<number, number, unknown> {
    const min = opts.min ?? 0;
    const max = opts.max ?? Number.MAX_SAFE_INTEGER;
    const what = opts.what ?? (max === Number.MAX_SAFE_INTEGER ? `a whole number from ${min}` : `a whole number from ${min} to ${max}`);
    return fromText('WholeNumber', what, (s) => {
      const n = DECIMAL.test(s.trim()) ? Number(s.trim()) : NaN;
      return n >= min && n <= max ? n : undefined;
    });
  },

  /** A decimal number (`13.5`, no exponent or hex) within bounds. */
  decimal(opts: { min?: number; max?: number; minExclusive?: boolean; what: string }): t.Type<number, number, unknown> {
    return fromText('Decimal', opts.what, (s) => {
      const n = /^\d+(?:\.\d+)?$/.test(s.trim()) ? Number(s.trim()) : NaN;
      const aboveMin = opts.min === undefined || (opts.minExclusive === true ? n > opts.min : n >= opts.min);
      return aboveMin && (opts.max === undefined || n <= opts.max) ? n : undefined;
    });
  },

  /** A switch (`--json`) or `true|false|1|0|yes|no` from a flag value or variable. */
  boolean: new t.Type<boolean, boolean, unknown>(
    'Boolean',
    (u): u is boolean => typeof u === 'boolean',
    (u, c) => {
      if (typeof u === 'boolean') return t.success(u);
      const s = typeof u === 'string' ? u.trim().toLowerCase() : '';
      if (['true', '1', 'yes'].includes(s)) return t.success(true);
      if (['false', '0', 'no'].includes(s)) return t.success(false);
      return t.failure(u, c, `expected true or false, got ${show(u)}`);
    },
    t.identity,
  ),

  absolutePath: fromText('AbsolutePath', 'an absolute path', (s) => (s.startsWith('/') ? s : undefined)),

  /** A TCP port, or `off` / `false` to disable the listener. */
  port: fromText<number | false>('Port', 'a port 0–65535 or "off"', (s) => {
    if (s === 'off' || s === 'false') return false;
    const n = DECIMAL.test(s.trim()) ? Number(s.trim()) : NaN;
    return n <= 65535 ? n : undefined;
  }),

  /** Milliseconds from `500ms`, `5s`, `2m`, `1h`, `1m30s` or a plain number of milliseconds. */
  duration: fromText('Duration', 'a duration such as 500ms, 5s, 2m or 1h', parseDuration),

  /** `k=v,k2=v2` (a `list` setting may repeat it) → a record; an empty input is `{}`. */
  keyValues(opts: { what?: string } = {}): t.Type<Record<string, string>, Record<string, string>, unknown> {
    return new t.Type<Record<string, string>, Record<string, string>, unknown>(
      'KeyValues',
      (u): u is Record<string, string> => typeof u === 'object' && u !== null && !Array.isArray(u),
      (u, c) => {
        const out: Record<string, string> = {};
        for (const item of itemsOf(u as Raw)) {
          const eq = item.indexOf('=');
          if (eq <= 0) return t.failure(u, c, `expected ${opts.what ?? 'key=value'}, got ${JSON.stringify(item)}`);
          out[item.slice(0, eq)] = item.slice(eq + 1);
        }
        return t.success(out);
      },
      t.identity,
    );
  },

  /** Each comma-separated item of a `list` setting, decoded by `item`; an error says which. */
  list<C extends t.Mixed>(item: C): t.Type<t.TypeOf<C>[], t.TypeOf<C>[], unknown> {
    return new t.Type<t.TypeOf<C>[], t.TypeOf<C>[], unknown>(
      `${item.name}[]`,
      (u): u is t.TypeOf<C>[] => Array.isArray(u),
      (u, c) => {
        const out: t.TypeOf<C>[] = [];
        for (const [i, raw] of itemsOf(u as Raw).entries()) {
          const r = item.decode(raw);
          if (isLeft(r)) {
            const first = r.left.find((e) => e.message !== undefined)?.message ?? `expected ${item.name}, got ${show(raw)}`;
            return t.failure(u, c, `[${i}]: ${first}`);
          }
          out.push(r.right);
        }
        return t.success(out);
      },
      t.identity,
    );
  },
};

/** The items of a list input: repeated flags and comma-separated parts, trimmed, blanks dropped. */
function itemsOf(u: Raw): string[] {
  const parts = typeof u === 'string' ? [u] : Array.isArray(u) ? (u as readonly string[]) : [];
  return parts
    .flatMap((p) => p.split(','))
    .map((p) => p.trim())
    .filter((p) => p !== '');
}
