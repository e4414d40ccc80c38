/**
 * @trx/protocol — the shared vocabulary of trx: statuses and their transitions, the
 * coordinator's API shapes, event routing keys and bodies, gids, time-ordered ids. No I/O.
 *
 * @example
 *   import { canTransition, TRANSACTION_TRANSITIONS, makeGid } from '@trx/protocol';
 *   canTransition(TRANSACTION_TRANSITIONS, 'active', 'committing'); // true
 *   makeGid('account-service', txId, 'a1b2c3d4');
 */
export * from './statuses';
export * from './api';
export * from './events';
export * from './gid';
export * from './ids';
export * from './coordinator-api';
export * from './coordinator-errors';
