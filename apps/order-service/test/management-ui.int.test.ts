import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { routingKeys } from '@trx/protocol';
import {
  browserTestUnavailableReason,
  deleteAmqpObjects,
  launchChromium,
  managementUi,
  testInfra,
  uniqueName,
  waitFor,
} from '@trx/test-support';
import { ManagementUiPage } from './management-ui-page';
import { startPlatform, type Platform } from './platform';

// docs/ keeps the committed picture; an ordinary test run writes beside it in .trx/ so it
// does not leave the work tree changed. TRX_UPDATE_SCREENSHOT=1 refreshes the docs copy.
const SCREENSHOT = path.resolve(
  __dirname,
  process.env.TRX_UPDATE_SCREENSHOT === '1'
    ? '../../../docs/management-ui.png'
    : '../../../.trx/management-ui.png',
);

const unavailable = browserTestUnavailableReason();
if (unavailable) {
  // Printed at collection so the skip is never silent in the test command's output.
  console.warn(`[management-ui] browser test skipped: ${unavailable}`);
}
const describeIfBrowser = unavailable ? describe.skip : describe;
const title = 'the RabbitMQ management UI shows every event of an order';

describeIfBrowser(unavailable ? `${title} (skipped: ${unavailable})` : title, () => {
  const { amqpUrl } = testInfra();
  // The platform runs on an exchange of its own; the transaction-server declares this audit
  // queue on it, as it declares trx-events.audit in production.
  const auditQueue = `${uniqueName('trx-events-ui').replace('_', '-')}.audit`;
  let platform: Platform | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    platform = await startPlatform({ env: { TRX_AUDIT_QUEUE: auditQueue, TRX_AUDIT_MAX_LENGTH: '1000' } });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await deleteAmqpObjects(amqpUrl, { queues: [auditQueue] });
  });

  test('when an order commits, its lifecycle events and decisions can be read from the audit queue', async () => {
    const { status, body } = await platform!.postOrder({ customerId: 1, productId: 1, quantity: 1 });
    expect(status).toBe(201);
    const transactionId = body.transactionId!;
    await platform!.waitForSettled(transactionId);
    // Protocol v2: one lifecycle event per transaction (at its decision), the order confirmation
    // and a decision batch per participant service carrying this transaction's entry. Every
    // message of the order has reached the exchange once those have; the audit queue holds
    // what the exchange received.
    const ofOrder = () =>
      platform!.events.messages.filter(
        (m) =>
          m.body.transactionId === transactionId ||
          (m.body as { decisions?: { transactionId: string }[] }).decisions?.some(
            (d) => d.transactionId === transactionId,
          ),
      );
    const wanted = [
      routingKeys.committed,
      routingKeys.orderConfirmed,
      ...['account-service', 'product-service'].map(routingKeys.decision),
    ];
    await waitFor(() => wanted.every((key) => ofOrder().some((m) => m.routingKey === key)) || undefined, {
      description: `the events of transaction ${transactionId}`,
    });
    const published = platform!.events.messages.length;

    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const ui = new ManagementUiPage(page, managementUi());
    await ui.login();

    const bindings = await ui.openExchange(platform!.exchange);
    expect(bindings).toContainEqual({ destination: auditQueue, routingKey: '#' });

    const queued = await ui.openQueue(auditQueue, published);
    const shown = await ui.getMessages(queued);
    expect(shown).toHaveLength(queued);
    const shownOfOrder = shown.filter((m) => m.payload.includes(transactionId));
    const keys = shownOfOrder.map((m) => m.routingKey);
    expect(keys).toEqual(expect.arrayContaining(wanted));
    // order-service finishes its own branch itself (finishedByCaller): no decision is sent to it.
    expect(keys).not.toContain(routingKeys.decision('order-service'));
    for (const m of shownOfOrder) {
      expect(m.exchange).toBe(platform!.exchange);
      expect(m.payload).toContain(transactionId);
    }

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await ui.screenshot(SCREENSHOT);
  });
});
