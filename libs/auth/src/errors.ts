/** The request carries no usable credential: 401, never retryable with the same credential. */
export class UnauthenticatedError extends Error {
  override readonly name = 'UnauthenticatedError';
  readonly retryable = false;
  constructor(readonly reason: string) {
    super(`authentication required: ${reason}`);
  }
}

/** The caller is known but may not do this: 403. */
export class ForbiddenError extends Error {
  override readonly name = 'ForbiddenError';
  readonly retryable = false;
  constructor(
    readonly caller: string,
    message: string,
  ) {
    super(message);
  }
}

/** A configured credential or key is unusable (startup-time, not per request). */
export class CredentialConfigError extends Error {
  override readonly name = 'CredentialConfigError';
}
