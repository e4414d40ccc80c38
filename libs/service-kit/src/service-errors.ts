/**
 * A service's business refusal with its stable HTTP answer (`code` → `error` on the wire).
 * Thrown inside a branch it also rolls the branch back and votes no. Never retryable: the
 * same request meets the same refusal. Check subclasses by `name`.
 *
 * @example
 *   export abstract class AccountError extends ServiceError {}
 *   export class UnknownAccountError extends AccountError {
 *     override readonly name = 'UnknownAccountError';
 *     readonly code = 'unknown-account';
 *     readonly httpStatus = 404;
 *   }
 */
export abstract class ServiceError extends Error {
  abstract readonly code: string;
  abstract readonly httpStatus: number;
  readonly retryable = false;
}

/** A request that does not match the API; `details` lists what is wrong. */
export class InvalidRequestError extends ServiceError {
  override readonly name = 'InvalidRequestError';
  readonly code = 'invalid-request';
  readonly httpStatus = 400;
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
