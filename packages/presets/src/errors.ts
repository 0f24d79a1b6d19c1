// Every error this package throws. Each is a `CodedError` with a literal `code`, so callers
// classify without string matching (docs/development.md, "Errors and logs").
import { CodedError, codedError, formatIssue, type Issue } from '@kaito-ts/core';

/** A catalog document does not decode, or breaks a rule across entries; `issues` name each field. */
export class CatalogInvalidError extends codedError('CatalogInvalid') {
  constructor(
    readonly source: string,
    readonly issues: readonly Issue[],
  ) {
    super(`${source} is invalid:\n  ${issues.map(formatIssue).join('\n  ')}`);
  }
}

export class UnknownModelError extends codedError('UnknownModel') {
  constructor(
    readonly model: string,
    readonly closeMatches: readonly string[],
  ) {
    super(
      model.includes('/')
        ? `model "${model}" is not in the catalog; to plan it as a custom Hugging Face model, supply its weight size ` +
            '(customModel({ id, weightsGiB }), or --weights-gib on the CLI)' +
            (closeMatches.length > 0 ? `; or did you mean ${closeMatches.map((m) => `"${m}"`).join(', ')}?` : '')
        : `unknown model "${model}"` + (closeMatches.length > 0 ? `; did you mean ${closeMatches.map((m) => `"${m}"`).join(', ')}?` : ''),
    );
  }
}

export class UnknownSkuError extends codedError('UnknownSku') {
  constructor(
    readonly sku: string,
    readonly closeMatches: readonly string[],
  ) {
    super(
      `unknown GPU instance type "${sku}"` +
        (closeMatches.length > 0 ? `; did you mean ${closeMatches.map((m) => `"${m}"`).join(', ')}?` : ''),
    );
  }
}

export class InvalidCustomModelError extends codedError('InvalidCustomModel') {
  constructor(
    readonly issues: readonly Issue[],
    options?: { cause?: unknown },
  ) {
    super(`custom model is invalid:\n  ${issues.map(formatIssue).join('\n  ')}`, options);
  }
}

/** Rendering a container for a plan that does not fit, or with options the model cannot take. */
export class RenderError extends CodedError<'PlanDoesNotFit' | 'UnsupportedOption'> {
  constructor(
    readonly code: 'PlanDoesNotFit' | 'UnsupportedOption',
    message: string,
  ) {
    super(message);
  }
}

export type PresetsError = CatalogInvalidError | UnknownModelError | UnknownSkuError | InvalidCustomModelError | RenderError;

export function isPresetsError(e: unknown): e is PresetsError {
  return (
    e instanceof CatalogInvalidError ||
    e instanceof UnknownModelError ||
    e instanceof UnknownSkuError ||
    e instanceof InvalidCustomModelError ||
    e instanceof RenderError
  );
}
