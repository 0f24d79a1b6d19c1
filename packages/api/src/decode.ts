import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';

/** One problem found while decoding: where (`tuning.input.urls[0]`) and what. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

/** Thrown when an `unknown` value does not match its codec. `issues` name every field path. */
export class DecodeError extends Error {
  readonly code = 'Invalid' as const;
  readonly issues: readonly Issue[];
  constructor(what: string, issues: readonly Issue[], options?: { cause?: unknown }) {
    super(`${what} is invalid: ${issues.map(formatIssue).join('; ')}`, options);
    this.name = 'DecodeError';
    this.issues = issues;
  }
}

export function formatIssue(issue: Issue): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}

const TRANSPARENT_PARENTS = new Set(['IntersectionType', 'UnionType']);

/** Turns an io-ts context into a field path such as `tuning.input.urls[0]`. */
export function pathOf(context: t.Context): string {
  let out = '';
  for (let i = 1; i < context.length; i++) {
    const entry = context[i];
    let parent = context[i - 1]?.type as { _tag?: string; inner?: unknown } | undefined;
    while (parent?._tag === 'RulesType' || (parent && !parent._tag && parent.inner)) parent = parent.inner as typeof parent;
    if (!entry || entry.key === '') continue;
    const ruleField = (entry.type as { _tag?: string })._tag === 'RuleField';
    if (!ruleField && TRANSPARENT_PARENTS.has(parent?._tag ?? '')) continue;
    const isIndex = /^\d+$/.test(entry.key) && (parent?._tag === 'ArrayType' || parent?._tag === 'ReadonlyArrayType');
    out += isIndex ? `[${entry.key}]` : out === '' ? entry.key : `.${entry.key}`;
  }
  return out;
}

/** Renders a value briefly for an error message; long strings are cut with an ellipsis. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}…` : value);
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

const ARTICLE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  Int: 'an integer',
  UnknownRecord: 'an object',
  UnknownArray: 'a list',
};

/** A readable noun phrase for a codec name ("a string", "one of: lora, qlora"). */
export function describeType(name: string): string {
  if (ARTICLE_NAMES[name]) return ARTICLE_NAMES[name];
  if (name.startsWith('{') || name.startsWith('Partial<') || name.startsWith('Exact<') || name.includes(' & ')) return 'an object';
  if (name.startsWith('Array<') || name.endsWith('[]')) return 'a list';
  if (name.startsWith('{ [K in string]')) return 'a map';
  const literals = name.split(' | ');
  if (literals.length > 1 && literals.every((l) => /^"[^"]*"$/.test(l))) return `one of: ${literals.map((l) => l.slice(1, -1)).join(', ')}`;
  return name;
}

/** io-ts errors → deduplicated issues with field paths. */
export function issuesOf(errors: t.Errors): Issue[] {
  const seen = new Set<string>();
  const issues: Issue[] = [];
  for (const error of errors) {
    const path = pathOf(error.context);
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

export type DecodeResult<A> = { ok: true; value: A } | { ok: false; issues: Issue[] };

/** Decodes without throwing. */
export function decode<C extends t.Any>(codec: C, value: unknown): DecodeResult<t.TypeOf<C>> {
  const result = codec.decode(value);
  return isLeft(result) ? { ok: false, issues: issuesOf(result.left) } : { ok: true, value: result.right };
}

/** Decodes `value` or throws a `DecodeError` naming each bad field. `what` names the value ("Workspace default/foo"). */
export function decodeOrThrow<C extends t.Any>(codec: C, value: unknown, what = codec.name): t.TypeOf<C> {
  const result = decode(codec, value);
  if (!result.ok) throw new DecodeError(what, result.issues);
  return result.value;
}
