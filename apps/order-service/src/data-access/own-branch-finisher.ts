import type { DataSource } from 'typeorm';
import { gidPrefix, type Decision } from '@trx/protocol';
import { PgCodes, pgCode } from '@trx/db';

/**
 * Applies a decision to the order-service's own prepared branch at once, instead of
 * waiting for it to come back over RabbitMQ. On commit, the order row and its
 * order.confirmed outbox row become visible before the 201, so a client can read its
 * order right away and the relay publishes the event without a poll; on rollback, the
 * REJECTED row (same id) need not wait for the branch's lock. Only called once the
 * coordinator answered the decision (it is durable there). The decision consumer still
 * runs later, finds the branch finished (its trx_branch row says how) and acknowledges it.
 */
export class OwnBranchFinisher {
  constructor(
    private readonly dataSource: DataSource,
    private readonly service: string,
  ) {}

  /** Finishes this service's prepared branches of `transactionId`; resolves with how many it finished. */
  async finishDecided(transactionId: string, decision: Decision): Promise<number> {
    const verb = decision === 'commit' ? 'COMMIT PREPARED' : 'ROLLBACK PREPARED';
    const rows: { gid: string }[] = await this.dataSource.query(
      `SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND starts_with(gid, $1)`,
      [`${gidPrefix(this.service)}${transactionId}:`],
    );
    let finished = 0;
    for (const { gid } of rows) {
      try {
        // COMMIT/ROLLBACK PREPARED take no parameters; the gid comes from pg_prepared_xacts under our prefix.
        await this.dataSource.query(`${verb} '${gid.replace(/'/g, "''")}'`);
        finished++;
      } catch (err) {
        // Finished meanwhile by the decision consumer (gone, or being finished right now).
        const code = pgCode(err);
        if (code !== PgCodes.undefinedObject && code !== PgCodes.objectInUse) throw err;
      }
    }
    return finished;
  }
}
