/** ARM's error envelope and the response shape every handler returns (no HTTP types here). */

export interface ArmErrorDetail {
  readonly code: string;
  readonly message: string;
  readonly target?: string;
}

/** `{"error": {...}}`, as ARM returns it for every failed request and failed async operation. */
export interface ArmError extends ArmErrorDetail {
  readonly details?: readonly ArmErrorDetail[];
}

export interface ArmResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** JSON body; undefined: no body. */
  readonly body?: unknown;
}

export function armError(status: number, error: ArmError, headers?: Record<string, string>): ArmResponse {
  return { status, body: { error }, ...(headers !== undefined ? { headers } : {}) };
}
