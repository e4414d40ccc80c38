/** Errors of @trx/discovery; check them by `name`. */
export class NoInstancesError extends Error {
  override readonly name = 'NoInstancesError';
  readonly retryable = true;
  constructor(readonly service: string) {
    super(`no healthy instance of ${service} is known`);
  }
}
