import { signCustomerToken, generateCustomerKeyPair } from '@trx/auth';
import { CUSTOMER_AUDIENCE, CUSTOMER_ISSUER } from '@trx/test-support';
import { startPlatform, type Platform } from './platform';

/** Customers at the edge: a bearer JWT per customer, who orders and reads only for themselves. */
let platform: Platform;
const order = { customerId: 1, productId: 1, quantity: 1 };

beforeAll(async () => {
  platform = await startPlatform();
}, 60_000);
afterAll(() => platform?.stop());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function get(path: string, headers: Record<string, string>) {
  const res = await fetch(`${platform.urls.order}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('when an order carries no token, a forged one, an expired one or a service token, then it is 401 and nothing changes', async () => {
  const before = await platform.snapshot();
  const forger = generateCustomerKeyPair();
  const sign = (o: Partial<Parameters<typeof signCustomerToken>[0]>) =>
    signCustomerToken({
      privateKeyPem: platform.credentials.customerKeys.privateKeyPem,
      customerId: 1,
      issuer: CUSTOMER_ISSUER,
      audience: CUSTOMER_AUDIENCE,
      ...o,
    });
  const refused = [
    '',
    'Bearer not-a-jwt',
    `Bearer ${await sign({ privateKeyPem: forger.privateKeyPem })}`,
    `Bearer ${await sign({ ttlSeconds: -60 })}`,
    `Bearer ${await sign({ audience: 'someone-else' })}`,
    `Bearer ${await sign({ issuer: 'someone-else' })}`,
    platform.credentials.bearer('order-service'),
  ];
  for (const authorization of refused) {
    const res = await platform.postOrder(order, { authorization });
    expect({ authorization, ...res }).toMatchObject({ status: 401, body: { error: 'unauthenticated' } });
  }
  expect(await platform.snapshot()).toEqual(before);
});

test('when a customer orders for another customer, then it is 403 and nothing changes', async () => {
  const before = await platform.snapshot();
  const asTwo = bearer(await platform.credentials.customerToken(2));
  const res = await platform.postOrder(order, asTwo);
  expect(res).toMatchObject({ status: 403, body: { error: 'forbidden' } });
  expect(JSON.stringify(res.body)).not.toMatch(/balance|1000/);
  expect(await platform.snapshot()).toEqual(before);
});

test("a customer reads only their own orders; another's order is not found; the operator reads any", async () => {
  const placed = await platform.postOrder(order);
  expect(placed.status).toBe(201);
  const asOne = bearer(await platform.credentials.customerToken(1));
  const asTwo = bearer(await platform.credentials.customerToken(2));
  expect((await get(`/orders/${placed.body.id}`, asOne)).status).toBe(200);
  expect(await get(`/orders/${placed.body.id}`, asTwo)).toMatchObject({
    status: 404,
    body: { error: 'order-not-found' },
  });
  expect((await get('/orders?customerId=1', asTwo)).status).toBe(403);
  expect((await get('/orders?customerId=1', {})).status).toBe(401);
  const own = await get('/orders', asOne);
  expect(own.status).toBe(200);
  const operator = bearer(platform.credentials.token('operator'));
  expect((await get(`/orders/${placed.body.id}`, operator)).status).toBe(200);
  expect((await get('/orders?customerId=1', operator)).status).toBe(200);
  expect((await platform.postOrder(order, operator)).status).toBe(403);
});
