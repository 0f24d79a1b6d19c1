import type * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { formatIssue, issuesOf } from '@kaito-ts/api';

/** Field-path lines (`a.b[0]: expected …, got …`) for io-ts errors, each prefixed with `prefix`. */
export function describeErrors(errors: t.Errors, prefix = ''): string[] {
  return issuesOf(errors).map((issue) => formatIssue({ ...issue, path: [prefix, issue.path].filter(Boolean).join('.') }));
}

/** Decodes or throws `makeError(message)`, the message naming every bad field. */
export function decodeWith<C extends t.Any>(codec: C, value: unknown, makeError: (message: string) => Error, prefix = ''): t.TypeOf<C> {
  const result = codec.decode(value);
  if (isLeft(result)) throw makeError(describeErrors(result.left, prefix).join('; '));
  return result.right;
}
