/**
 * The base of every error class in the repository, and the walk along `cause` chains that every
 * classifier (`isNotFound`, `isTerminal`, `reasonOf`, …) shares.
 *
 * Callers classify by the literal `code`, never by message text or `instanceof` alone: an error
 * wrapped as another's `cause`, or built in another realm (jest's module registry), still carries
 * its code.
 */
export abstract class CodedError<C extends string = string> extends Error {
  abstract readonly code: C;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // The concrete class's name, so logs and stack traces say `QuotaExceededError`, not `Error`.
    this.name = new.target.name;
  }
}

/**
 * The base for an error class with one fixed code, so a declaration is one line:
 * `export class QuotaExceededError extends codedError('QuotaExceeded') {}`. Classes whose code is
 * a constructor argument, or abstract bases, extend `CodedError` directly. (Typed as a plain
 * constructor: TypeScript will not extend one whose instance type still has the abstract member.)
 */
export function codedError<const C extends string>(code: C): new (message: string, options?: { cause?: unknown }) => Error & { readonly code: C } {
  return class extends CodedError<C> {
    readonly code: C = code;
  };
}

/** How far `codeIn`/`hasCode` follow `cause`: enough for any real wrapping, bounded against cycles. */
const MAX_CAUSE_DEPTH = 8;

/** The first of `codes` found on `err` or along its `cause` chain; `undefined` when none is. */
export function codeIn<C extends string>(err: unknown, codes: readonly C[]): C | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < MAX_CAUSE_DEPTH; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (codes as readonly string[]).includes(code)) return code as C;
    e = e.cause;
  }
  return undefined;
}

/** Whether `err`, or an error in its `cause` chain, carries `code`. */
export function hasCode(err: unknown, code: string): boolean {
  return codeIn(err, [code]) !== undefined;
}
