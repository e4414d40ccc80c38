import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { routingKeys } from '@trx/protocol';
import { deleteAmqpObjects, testInfra, uniqueName } from '@trx/test-support';
import { browserTestUnavailableReason, launchChromium, managementUi } from './browser';
import { ManagementUiPage } from './management-ui-page';
import { publishStandInTransaction } from './stand-in-events';

const SCREENSHOT = path.resolve(__dirname, '../../docs/management-ui.png');

const unavailable = browserTestUnavailableReason();
if (unavailable) {
  // Printed at collection so the skip is never silent in the test command's output.
  console.warn(`[management-ui] browser test skipped: ${unavailable}`);
}
const describeIfBrowser = unavailable ? describe.skip : describe;

const title = 'the RabbitMQ management UI shows every event of a transaction';

describeIfBrowser(unavailable ? `${title} (skipped: ${unavailable})` : title, () => {
  const { amqpUrl } = testInfra();
  const exchange = uniqueName('trx-events-ui').replace('_', '-');
  const auditQueue = `${exchange}.audit`;
  let browser: Browser | undefined;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await deleteAmqpObjects(amqpUrl, { queues: [auditQueue], exchanges: [exchange] });
  });

  test('when a transaction commits, its lifecycle events and decisions can be read from the audit queue', async () => {
    const published = await publishStandInTransaction(amqpUrl, exchange, auditQueue);
    const { transactionId } = published;

    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const ui = new ManagementUiPage(page, managementUi());
    await ui.login();

    const bindings = await ui.openExchange(exchange);
    expect(bindings).toContainEqual({ destination: auditQueue, routingKey: '#' });

    const queued = await ui.openQueue(auditQueue, published.routingKeys.length);
    const shown = await ui.getMessages(queued);
    expect(shown).toHaveLength(queued);
    const ofTransaction = shown.filter((m) => m.payload.includes(transactionId));
    const keys = ofTransaction.map((m) => m.routingKey);
    expect(keys).toContain(routingKeys.begun);
    expect(keys).toContain(routingKeys.committed);
    expect(keys.filter((k) => k.startsWith('decision.')).length).toBeGreaterThan(0);
    for (const m of ofTransaction) {
      expect(m.exchange).toBe(exchange);
      expect(JSON.parse(m.payload)).toMatchObject({ transactionId });
    }

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await ui.screenshot(SCREENSHOT);
  });
});
