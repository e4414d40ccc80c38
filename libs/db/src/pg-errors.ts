/** SQLSTATE codes trx reacts to. */
export const PgCodes = {
  uniqueViolation: '23505',
  checkViolation: '23514',
  undefinedObject: '42704', // "prepared transaction with identifier ... does not exist"
  invalidDatabase: '3D000',
  duplicateDatabase: '42P04',
  insufficientPrivilege: '42501',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  /** lock_timeout passed (also NOWAIT): "canceling statement due to lock timeout" */
  lockNotAvailable: '55P03',
  /** statement_timeout passed (or a cancel request) */
  queryCanceled: '57014',
  /** trx's own: the participant's cap of prepared branches is reached (raised before PREPARE) */
  tooManyPreparedBranches: 'TRX01',
  /** trx's own: a statement's `trx_expect` found what it needed missing (the work took nothing; no error of the database) */
  expectationFailed: 'TRX02',
  objectInUse: '55006', // prepared transaction is busy (being committed by another session)
  /** max_prepared_transactions reached: "maximum number of prepared transactions reached" */
  outOfMemory: '53200',
  tooManyConnections: '53300',
  adminShutdown: '57P01',
  cannotConnectNow: '57P03',
  /** e.g. "the database system is shutting down" / "not currently accepting connections" */
  objectNotInPrerequisiteState: '55000',
} as const;

export function pgCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Errors that mean "the database went away or is restarting": retry later. */
export function isConnectionError(err: unknown): boolean {
  const code = pgCode(err);
  if (
    code === PgCodes.adminShutdown ||
    code === PgCodes.cannotConnectNow ||
    code === PgCodes.tooManyConnections
  ) {
    return true;
  }
  const msg = String((err as Error | null)?.message ?? '');
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code ?? '') ||
    /Connection terminated|connection is closed|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
      msg,
    )
  );
}
