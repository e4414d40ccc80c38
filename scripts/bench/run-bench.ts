import { CoordinatorOnly } from './coordinator-mode';
import { LocalOrders, prepareLocalDatabase } from './local-mode';
import { describeMachine } from './machine';
import { customerTokens, OrderClient, type CustomerTokens } from './order-client';
import type { BenchOptions, Mode } from './options';
import { measurePgCost } from './pg-cost';
import { PgProbe } from './pg-probe';
import { log } from './log';
import { checkBaselineFlow, checkTrxFlow } from './platform';
import { PlatformSession } from './platform-session';
import { DEFAULT_RABBIT_API } from './rabbit-probe';
import { ratios, type BenchResults, type StepResult } from './results';
import { runClosedLoop } from './load-driver';
import { seedAccounts, seedPlan, seedProducts } from './seed';
import { measureStep, type Driver, type StepContext } from './step-runner';

/**
 * The whole run: start (or reach) the platform, seed, check that each mode works, warm
 * up, measure every concurrency in every mode (modes interleaved per concurrency so that
 * slow drift — table growth, a noisy neighbour — hits them alike), then Postgres alone.
 */
export async function runBench(o: BenchOptions, repoRoot: string): Promise<BenchResults> {
  const session = await PlatformSession.open(o, repoRoot);
  const pg = await PgProbe.connect(o.pgUrl, o.dbPrefix);
  try {
    const results: BenchResults = {
      tool: 'trx-bench',
      formatVersion: 1,
      options: o,
      machine: await describeMachine(pg, DEFAULT_RABBIT_API),
      seed: seedPlan(o.rows),
      checks: {},
      skipped: [],
      steps: [],
      ratios: [],
      pgCost: null,
      profiles: [],
    };
    const tokens = await customerTokens(results.seed);
    const modes = await prepareModes(o, results, session.services['order-service']!, tokens);
    const localUrl =
      o.modes.includes('local') || o.pgCost
        ? await prepareLocalDatabase(o.pgUrl, `${o.dbPrefix}_bench`, results.seed)
        : '';
    const ctx: StepContext = {
      pg,
      services: session.services,
      rabbitApi: DEFAULT_RABBIT_API,
      settleMs: o.quick ? 0 : 11_000,
      servicePids: session.pids,
    };
    await measureAll(
      o,
      modes,
      ctx,
      (mode, c) => driverFor(o, results, session, localUrl, mode, c, tokens),
      results,
    );
    results.ratios = ratios(results.steps, o.concurrency);
    if (o.pgCost) results.pgCost = await measurePgCost(localUrl, [1, 16], 5);
    await session.close();
    results.profiles = session.profiles();
    return results;
  } finally {
    await pg.close();
    await session.close();
  }
}

async function measureAll(
  o: BenchOptions,
  modes: Mode[],
  ctx: StepContext,
  driverFor: (mode: Mode, concurrency: number) => Driver,
  results: BenchResults,
): Promise<void> {
  const warmed = new Set<Mode>();
  for (const concurrency of o.concurrency) {
    for (const mode of modes) {
      const driver = driverFor(mode, concurrency);
      if (!warmed.has(mode) && o.warmupS > 0) {
        await runClosedLoop({
          label: `warmup ${mode}`,
          concurrency: Math.max(4, concurrency),
          durationMs: o.warmupS * 1000,
          operationFor: (i) => driver.operationFor(i),
        }).catch(async (err: Error) => {
          await driver.close();
          throw err;
        });
        warmed.add(mode);
      }
      const step = await measureStep(ctx, mode, concurrency, o.durationS, driver);
      results.steps.push(step);
      log(describeStep(step));
    }
  }
}

function driverFor(
  o: BenchOptions,
  results: BenchResults,
  session: PlatformSession,
  localUrl: string,
  mode: Mode,
  concurrency: number,
  tokens: CustomerTokens,
): Driver {
  if (mode === 'coordinator') {
    const coordinator = new CoordinatorOnly(session.services['transaction-server']!, concurrency, o.exchange);
    return { operationFor: () => coordinator.operation(), close: () => coordinator.close() };
  }
  if (mode === 'local') {
    const local = new LocalOrders(localUrl, concurrency, results.seed, o.quantity);
    return { operationFor: () => local.operation(), close: () => local.close() };
  }
  const client = new OrderClient({
    url: session.services['order-service']!,
    concurrency,
    baseline: mode === 'baseline',
    seed: results.seed,
    quantity: o.quantity,
    tokens,
  });
  return { operationFor: () => client.operation(), close: () => client.close() };
}

/** Seeds what the modes need and keeps the modes that work; a broken trx flow ends the run. */
async function prepareModes(
  o: BenchOptions,
  results: BenchResults,
  orderUrl: string,
  tokens: CustomerTokens,
): Promise<Mode[]> {
  const modes: Mode[] = [];
  if (o.seed && o.modes.some((m) => m === 'trx' || m === 'baseline')) {
    log(
      `seeding ${o.rows} products (${o.dbPrefix}_product) and ${o.rows} customers with one account each (${o.dbPrefix}_account)`,
    );
    await seedProducts(`${o.pgUrl}/${o.dbPrefix}_product`, results.seed);
    await seedAccounts(`${o.pgUrl}/${o.dbPrefix}_account`, results.seed);
  }
  for (const mode of o.modes) {
    if (mode === 'local' || mode === 'coordinator') {
      modes.push(mode); // the first step fails loudly enough if these don't work
      continue;
    }
    const client = new OrderClient({
      url: orderUrl,
      concurrency: 1,
      baseline: mode === 'baseline',
      seed: results.seed,
      quantity: o.quantity,
      tokens,
    });
    const check = mode === 'trx' ? await checkTrxFlow(client) : await checkBaselineFlow(client);
    client.close();
    results.checks[mode] = check;
    log(`check ${mode}: ${check.detail}`);
    if (check.ok) modes.push(mode);
    else if (mode === 'baseline' && check.detail.includes('does not honour')) {
      results.skipped.push({ mode, reason: check.detail });
    } else {
      throw new FlowBrokenError(mode, check.detail);
    }
  }
  return modes;
}

export class FlowBrokenError extends Error {
  override readonly name = 'FlowBrokenError';
  constructor(
    readonly mode: Mode,
    readonly detail: string,
  ) {
    super(`the ${mode} order flow does not work: ${detail}`);
  }
}

function describeStep(s: StepResult): string {
  const x = s.summary;
  const drain = s.prepared ? `, prepared max ${s.prepared.max}, drained in ${s.prepared.drainMs} ms` : '';
  return (
    `${s.mode} c=${s.concurrency}: ${x.rate.toFixed(1)} orders/s, p50 ${x.p50} ms, p99 ${x.p99} ms, ` +
    `errors ${x.errors}, CPU ${s.cpu.totalMsPerOrder} ms/order, ${s.pg.walSyncsPerOrder} fsyncs/order, ` +
    `${s.cpu.switchesPerOrder ?? '?'} context switches/order${drain}`
  );
}
