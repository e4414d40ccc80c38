import type { Broker } from '@trx/messaging';

const DECISION_PREFIX = 'decision.';

/**
 * Declares the decision queue of each service the coordinator publishes to, once per process:
 * a decision for a service that never started must still land in its queue, not the
 * unroutable one.
 */
export class DecisionQueues {
  private readonly declared = new Set<string>();

  constructor(private readonly broker: Broker) {}

  async ensureFor(routingKeys: string[]): Promise<void> {
    for (const key of routingKeys) {
      if (!key.startsWith(DECISION_PREFIX)) continue;
      const service = key.slice(DECISION_PREFIX.length);
      if (this.declared.has(service)) continue;
      await this.broker.declareDecisionQueue(service);
      this.declared.add(service);
    }
  }
}
