// Every error this package throws. Each has a literal `code` so callers can classify without
// string matching (docs/development.md, "Errors and logs": a literal code and a cause).

export class CatalogInvalidError extends Error {
  readonly code = 'CatalogInvalid' as const;
  override readonly name = 'CatalogInvalidError';
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source} is invalid:\n  ${problems.join('\n  ')}`);
  }
}

export class UnknownModelError extends Error {
  readonly code = 'UnknownModel' as const;
  override readonly name = 'UnknownModelError';
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

export class UnknownSkuError extends Error {
  readonly code = 'UnknownSku' as const;
  override readonly name = 'UnknownSkuError';
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

export class InvalidCustomModelError extends Error {
  readonly code = 'InvalidCustomModel' as const;
  override readonly name = 'InvalidCustomModelError';
  constructor(
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`custom model is invalid:\n  ${problems.join('\n  ')}`, options);
  }
}

/** Rendering a container for a plan that does not fit, or with options the model cannot take. */
export class RenderError extends Error {
  override readonly name = 'RenderError';
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
