/**
 * The one way to turn an `unknown` (a watch event, an HTTP body, a config file, a flag) into a
 * typed value: decode it with an io-ts codec, and on failure name every bad field the way a user
 * would write it, with what was expected and what was there:
 * `tuning.input.urls[1]: expected an http(s) URL, got "ftp://files.example.com/b.parquet"`.
 */
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { codedError } from './errors.js';

/** One problem found while decoding: where (`tuning.input.urls[0]`, `''` for the value itself) and what. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

/** A message lists this many issues at most: a watch event can break in dozens of places at once. */
const MAX_ISSUES_IN_MESSAGE = 10;

/** Thrown when an `unknown` value does not match its codec. `issues` name every field path. */
export class DecodeError extends codedError('Invalid') {
  constructor(
    /** What was decoded, as the message names it: `Workspace default/foo`, `Lease`. */
    readonly what: string,
    readonly issues: readonly Issue[],
    options?: { cause?: unknown },
  ) {
    const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map(formatIssue).join('; ');
    const more = issues.length > MAX_ISSUES_IN_MESSAGE ? ` (and ${issues.length - MAX_ISSUES_IN_MESSAGE} more)` : '';
    super(`${what} is invalid: ${shown}${more}`, options);
  }
}

export const isDecodeError = (err: unknown): err is DecodeError => err instanceof DecodeError;

/** `path: message`, or the message alone for the value itself. */
export function formatIssue(issue: Issue): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}

/** `prefix` and `path` joined as one field path: `training_config` + `[0].r` → `training_config[0].r`. */
export function joinPath(prefix: string, path: string): string {
  if (prefix === '' || path === '') return prefix + path;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

type Tagged = { _tag?: string; inner?: unknown; type?: unknown };

/** Members of these are alternatives or parts of one value: their index is not a field. */
const TRANSPARENT_TAGS = new Set(['IntersectionType', 'UnionType']);
const LIST_TAGS = new Set(['ArrayType', 'ReadonlyArrayType', 'TupleType', 'ReadonlyTupleType']);
/** io-ts wrappers that validate with their inner codec in the same context. */
const WRAPPER_TAGS = new Set(['RefinementType', 'ExactType', 'ReadonlyType']);
const FIELD_TAG = 'Field';

/** Marks a context entry that names a field even inside an intersection (see `fieldContext`). */
const FIELD = Object.assign(new t.Type<unknown>('Field', (_u): _u is unknown => true, t.success, (a) => a), { _tag: FIELD_TAG });

/**
 * The context for a failure a codec reports at one of its own fields (a cross-field rule that
 * blames `max`), so the path ends in that field whatever the codec wraps.
 */
export function fieldContext(context: t.Context, key: string, actual: unknown): t.Context {
  return [...context, { key, type: FIELD, actual }];
}

// Duck-typed rather than `instanceof t.Type`: a codec built by another copy of io-ts still counts.
const isCodec = (u: unknown): u is Tagged => typeof u === 'object' && u !== null && typeof (u as { validate?: unknown }).validate === 'function';

/**
 * The codec that really validates at a context entry. A wrapper codec (io-ts refinements and exact
 * types, or any codec exposing its wrapped codec as `inner`) passes its own context entry down, so
 * its children's keys belong to the codec inside.
 */
function unwrap(type: Tagged | undefined): Tagged | undefined {
  let current = type;
  for (let depth = 0; current !== undefined && depth < 16; depth++) {
    if (isCodec(current.inner)) current = current.inner;
    else if (WRAPPER_TAGS.has(current._tag ?? '') && isCodec(current.type)) current = current.type;
    else break;
  }
  return current;
}

/** An io-ts context as a field path such as `tuning.input.urls[0]`; `''` for the value itself. */
export function pathOf(context: t.Context): string {
  let out = '';
  for (let i = 1; i < context.length; i++) {
    const entry = context[i];
    if (!entry || entry.key === '') continue;
    const parent = unwrap(context[i - 1]?.type as Tagged | undefined);
    const marked = (entry.type as Tagged)._tag === FIELD_TAG;
    if (!marked && TRANSPARENT_TAGS.has(parent?._tag ?? '')) continue;
    const isIndex = /^\d+$/.test(entry.key) && LIST_TAGS.has(parent?._tag ?? '');
    out += isIndex ? `[${entry.key}]` : out === '' ? entry.key : `.${entry.key}`;
  }
  return out;
}

/** A value, briefly, for an error message; long strings are cut with an ellipsis, structures named. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}…` : value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

const TYPE_PHRASES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  Int: 'an integer',
  UnknownRecord: 'an object',
  UnknownArray: 'a list',
  StringMap: 'a map of strings',
};

/** A readable noun phrase for a codec's name: "a string", "one of: lora, qlora", "a list". */
export function describeType(name: string): string {
  const phrase = TYPE_PHRASES[name];
  if (phrase !== undefined) return phrase;
  if (name.startsWith('{ [K in string]')) return 'a map';
  if (name.startsWith('{') || name.startsWith('Partial<') || name.startsWith('Exact<') || name.includes(' & ')) return 'an object';
  if (name.startsWith('Array<') || name.startsWith('ReadonlyArray<') || name.endsWith('[]')) return 'a list';
  const literals = name.split(' | ');
  if (literals.length > 1 && literals.every((l) => /^"[^"]*"$/.test(l))) return `one of: ${literals.map((l) => l.slice(1, -1)).join(', ')}`;
  return name;
}

/**
 * io-ts errors as issues, one per field and problem (a union reports each failing member; the
 * same line twice says nothing new). `at` prefixes every path, for a value decoded inside a
 * larger document.
 */
export function issuesOf(errors: t.Errors, at = ''): Issue[] {
  const seen = new Set<string>();
  const issues: Issue[] = [];
  for (const error of errors) {
    const path = joinPath(at, pathOf(error.context));
    const last = error.context[error.context.length - 1];
    const message =
      error.message ??
      (error.value === undefined ? 'is required' : `expected ${describeType(last?.type.name ?? 'a value')}, got ${show(error.value)}`);
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ path, message });
  }
  return issues;
}

export type DecodeResult<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly issues: Issue[] };

/** Decodes without throwing, for callers that report issues their own way. */
export function decode<A>(codec: t.Decoder<unknown, A>, value: unknown): DecodeResult<A> {
  const result = codec.decode(value);
  return isLeft(result) ? { ok: false, issues: issuesOf(result.left) } : { ok: true, value: result.right };
}

/** Decodes `value` or throws a `DecodeError` naming each bad field. `what` names the value (`Workspace default/foo`). */
export function decodeOrThrow<A>(codec: t.Decoder<unknown, A>, value: unknown, what: string = codec.name): A {
  const result = codec.decode(value);
  if (isLeft(result)) throw new DecodeError(what, issuesOf(result.left));
  return result.right;
}
