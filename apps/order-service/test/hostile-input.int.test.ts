import { corpusOf, type ApiDocument, type HostileCase, type RouteBase } from './hostile-corpus';
import { APP_ROUTES } from './hostile-routes';
import { sendRaw, type RawResponse } from './raw-http';
import { startPlatform, type Platform } from './platform';

/**
 * Hostile input, with valid credentials so that it reaches validation (and once without, for
 * the 401): every case is a 4xx with `{error: kebab-case, message}` and no internals, and
 * money, stock, orders and prepared transactions stay exactly as they were.
 */
let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform();
}, 60_000);
afterAll(() => platform?.stop());

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** What no answer may carry: stack frames, addresses, driver and SQL text. */
const INTERNALS =
  /\n\s+at |\bat [\w.<>]+ \(|(?:127\.0\.0\.1|localhost|\[::1\]):\d+|syntax error|relation "|duplicate key|violates|invalid input syntax|QueryFailedError|TypeError|RangeError|node_modules|\.ts:\d/;

/** Whatever is wrong with one answer, in words; empty when it is a clean refusal. */
function problemsOf(c: HostileCase, res: RawResponse): string[] {
  const problems: string[] = [];
  const wanted = c.expect === 'unauthenticated' ? res.status === 401 : res.status >= 400 && res.status < 500;
  if (!wanted) problems.push(`status ${res.status}`);
  let body: { error?: unknown; message?: unknown } | undefined;
  try {
    body = JSON.parse(res.text) as typeof body;
  } catch {
    problems.push('the body is not JSON');
  }
  if (typeof body?.error !== 'string' || !KEBAB.test(body.error)) problems.push('no kebab-case error');
  if (typeof body?.message !== 'string') problems.push('no message');
  if (INTERNALS.test(res.text)) problems.push(`internals: ${INTERNALS.exec(res.text)![0]}`);
  return problems.length ? [`${c.name}: ${problems.join(', ')} — ${res.text.slice(0, 160)}`] : [];
}

/** Runs the cases a few at a time (two cores, four apps in this process). */
async function runAll(cases: HostileCase[], urls: Record<string, string>): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      failures.push(...problemsOf(c, await sendRaw(urls[c.app]!, c.request)));
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  return failures;
}

/** The coordinator's own document, less the Spring-compatible routes (their listener is off here) and the open ops routes. */
/** The coordinator's `/v1` routes, split by who may call them: services, or the operator (the console's). */
async function coordinatorDocuments(): Promise<{ services: ApiDocument; operator: ApiDocument }> {
  const res = await fetch(`${platform.urls.coordinator}/openapi.json`);
  expect(res.status).toBe(200);
  const doc = (await res.json()) as ApiDocument;
  const part = (keep: (path: string) => boolean) => ({
    ...doc,
    paths: Object.fromEntries(Object.entries(doc.paths).filter(([path]) => keep(path))),
  });
  return {
    services: part((path) => path.startsWith('/v1/') && !path.startsWith('/v1/console')),
    operator: part((path) => path.startsWith('/v1/console')),
  };
}

/** A transaction with one registered branch, so ids in paths name something real. */
async function coordinatorBases(): Promise<{ tx: string; bases: Record<string, RouteBase> }> {
  const asOrderService = { authorization: platform.credentials.bearer('order-service') };
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${platform.urls.coordinator}${path}`, {
      method: 'POST',
      headers: { ...asOrderService, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string };
  };
  const tx = (await post('/v1/transactions', { timeoutMs: 60_000 })).id;
  const gid = (key: string) => `trx:order-service:${tx}:${key}`;
  const branch = (
    await post(`/v1/transactions/${tx}/branches`, { service: 'order-service', instance: 'i', gid: gid('a') })
  ).id;
  const inTx = { params: { id: tx } };
  const ofBranch = { params: { id: tx, branchId: branch } };
  const bases: Record<string, RouteBase> = {
    'POST /v1/transactions': { body: { timeoutMs: 30_000 } },
    'GET /v1/transactions': {},
    'GET /v1/transactions/{id}': { ...inTx, headerProbe: { params: { id: ZERO_UUID } } },
    'POST /v1/transactions/{id}/branches': {
      ...inTx,
      body: { service: 'order-service', instance: 'i', gid: gid('b') },
    },
    'PUT /v1/transactions/{id}/branches/{branchId}/vote': { ...ofBranch, body: { vote: 'yes' } },
    'PUT /v1/transactions/{id}/branches/{branchId}/outcome': { ...ofBranch, body: { outcome: 'committed' } },
    'POST /v1/transactions/{id}/commit': { ...inTx, body: { branches: [] } },
    'POST /v1/transactions/{id}/rollback': { ...inTx, body: { reason: 'hostile' } },
    // A known transaction: resolve only reads it (a tombstone needs an unknown one past its deadline).
    'POST /v1/transactions/{id}/resolve': { ...inTx, body: { gid: gid('a') } },
    'POST /v1/outcomes': {
      body: { outcomes: [{ transactionId: tx, gid: gid('a'), outcome: 'committed' }] },
    },
    // The console's (operator only). Neither action applies to an active transaction in time.
    'GET /v1/console/transactions': {},
    'GET /v1/console/transactions/{id}': inTx,
    'POST /v1/console/transactions/{id}/republish': inTx,
    'POST /v1/console/transactions/{id}/rollback': inTx,
  };
  return { tx, bases };
}

/** What a hostile commit, rollback, vote or registration would have changed. */
async function stateOf(tx: string) {
  const view = await platform.coordinator.get(tx);
  return { status: view.status, branches: view.branches.map((b) => [b.gid, b.status]) };
}

test('every route refuses hostile input cleanly, and money, stock, orders and prepared transactions stay as they were', async () => {
  // Only the coordinator serves /openapi.json; the other apps' routes come from their code (hostile-routes.ts).
  for (const app of ['order', 'account', 'product'] as const) {
    expect((await fetch(`${platform.urls[app]}/openapi.json`)).status).toBe(404);
  }
  const documents = await coordinatorDocuments();
  const { tx, bases } = await coordinatorBases();
  const before = {
    snapshot: await platform.snapshot(),
    prepared: await platform.prepared(),
    transaction: await stateOf(tx),
  };
  const asOrderService = platform.credentials.bearer('order-service');
  const asCustomer = `Bearer ${await platform.credentials.customerToken(1)}`;
  const cases = [
    ...corpusOf('coordinator', documents.services, bases, asOrderService),
    ...corpusOf('coordinator', documents.operator, bases, platform.credentials.bearer('operator')),
    ...corpusOf('account', APP_ROUTES.account.document, APP_ROUTES.account.bases, asOrderService),
    ...corpusOf('product', APP_ROUTES.product.document, APP_ROUTES.product.bases, asOrderService),
    ...corpusOf('order', APP_ROUTES.order.document, APP_ROUTES.order.bases, asCustomer),
  ];
  const perApp: Record<string, number> = {};
  for (const c of cases) perApp[c.app] = (perApp[c.app] ?? 0) + 1;
  console.log(`hostile requests per app: ${JSON.stringify(perApp)}`);

  const failures = await runAll(cases, platform.urls);

  expect(failures).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(await platform.snapshot()).toEqual(before.snapshot);
  expect(await platform.prepared()).toEqual(before.prepared);
  expect(await stateOf(tx)).toEqual(before.transaction);
  const order = await platform.postOrder({ customerId: 1, productId: 1, quantity: 1 });
  expect(order.status).toBe(201);
  await platform.waitForSettled(order.body.transactionId!);
}, 120_000);
