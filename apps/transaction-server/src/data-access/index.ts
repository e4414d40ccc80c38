export * from './records';
export * from './data-source';
export * from './transaction-repository';
export * from './branch-repository';
export * from './outbox-repository';
export * from './unacknowledged-repository';
