/* global process, fetch, AbortSignal, console */
// `helm test`: run by node in the order-service image (no curl there). Environment:
// APP_URLS (name=url,...), ORDER_URL, CUSTOMER_TOKEN (optional), PRODUCT_ID, QUANTITY.
// 1. every app answers 200 on /health/ready;
// 2. POST /orders without a customer token is refused with 401;
// 3. with CUSTOMER_TOKEN: an order is placed and answered 2xx (committed everywhere).
const get = (url, init = {}) => fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });

async function main() {
  for (const entry of process.env.APP_URLS.split(',')) {
    const [name, url] = entry.split('=');
    const res = await get(`${url}/health/ready`);
    console.log(`${name} /health/ready: ${res.status} ${await res.text()}`);
    if (res.status !== 200) throw new Error(`${name} is not ready`);
  }
  const order = { productId: Number(process.env.PRODUCT_ID), quantity: Number(process.env.QUANTITY) };
  const post = (headers) =>
    get(`${process.env.ORDER_URL}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(order),
    });
  const anonymous = await post({});
  console.log(`POST /orders without a token: ${anonymous.status}`);
  if (anonymous.status !== 401) throw new Error(`expected 401, got ${anonymous.status}`);
  const token = process.env.CUSTOMER_TOKEN;
  if (!token) {
    console.log('tests.customerToken is empty: no order placed');
    return;
  }
  const placed = await post({
    authorization: `Bearer ${token}`,
    'idempotency-key': `helm-test-${Date.now()}`,
  });
  const body = await placed.text();
  console.log(`POST /orders with the customer token: ${placed.status} ${body}`);
  if (!placed.ok) throw new Error(`the order failed: ${placed.status}`);
}

main().then(
  () => console.log('helm test: ok'),
  (err) => {
    console.error(`helm test: FAILED: ${err.message}`);
    process.exit(1);
  },
);
