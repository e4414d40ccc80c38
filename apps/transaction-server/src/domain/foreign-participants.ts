import type { BranchRecord, NewOutboxMessage, TransactionRecord } from '../data-access';

/**
 * Participants outside trx's protocol: they never prepare nor acknowledge, and learn a
 * decision from an event of their own instead of a decision message. The Spring-compatible
 * API's are (src/compat/compat-participants.ts). The core decides, settles and announces
 * through this port and knows nothing else of them.
 */
export interface ForeignParticipants {
  /**
   * A branch the decision itself settles (committed or rolled back with it), which no
   * decision message reaches: so it needs no participant service, and nobody waits for its
   * acknowledgement.
   */
  settledByDecision(branch: BranchRecord): boolean;
  /** What else to publish when `t` is decided; the same (empty) array when nothing. */
  decisionMessages(t: TransactionRecord, branches: BranchRecord[]): readonly NewOutboxMessage[];
}

const NOTHING: readonly NewOutboxMessage[] = [];

/** A coordinator with no participants outside the protocol. */
export const NO_FOREIGN_PARTICIPANTS: ForeignParticipants = {
  settledByDecision: () => false,
  decisionMessages: () => NOTHING,
};
