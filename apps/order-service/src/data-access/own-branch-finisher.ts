import type { DataSource } from 'typeorm';
import { gidPrefix } from '@trx/protocol';
import { PgCodes, pgCode } from '@trx/db';

/**
 * Applies a commit decision to the order-service's own prepared branch at once, instead
 * of waiting for the decision to come back over RabbitMQ: the order row and its
 * order.confirmed outbox row become visible before the 201, so a client can read its
 * order right away and the relay publishes the event without a poll. Only called after
 * the coordinator answered commit (the decision is durable there). The decision consumer
 * still runs later, finds the branch finished (its trx_branch row exists) and
 * acknowledges it to the coordinator.
 */
export class OwnBranchFinisher {
  constructor(
    private readonly dataSource: DataSource,
    private readonly service: string,
  ) {}

  /** Commits this service's prepared branches of `transactionId`; resolves with how many it committed. */
  async commitDecided(transactionId: string): Promise<number> {
    const rows: { gid: string }[] = await this.dataSource.query(
      `SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND starts_with(gid, $1)`,
      [`${gidPrefix(this.service)}${transactionId}:`],
    );
    let committed = 0;
    for (const { gid } of rows) {
      try {
        // COMMIT PREPARED takes no parameters; the gid comes from pg_prepared_xacts under our prefix.
        await this.dataSource.query(`COMMIT PREPARED '${gid.replace(/'/g, "''")}'`);
        committed++;
      } catch (err) {
        // Finished meanwhile by the decision consumer (gone, or being finished right now).
        const code = pgCode(err);
        if (code !== PgCodes.undefinedObject && code !== PgCodes.objectInUse) throw err;
      }
    }
    return committed;
  }
}
