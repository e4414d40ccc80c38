import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { makeGid, type CoordinatorApi, type TransactionView } from '@trx/protocol';
import { chromiumMissingReason, launchChromium, queryDatabase, waitFor } from '@trx/test-support';
import type { RunningCoordinator } from '../src/start';
import { CoordinatorHarness } from './coordinator-harness';

// docs/ keeps the committed pictures; an ordinary run writes beside them in .trx/ so it does
// not leave the work tree changed. TRX_UPDATE_SCREENSHOT=1 refreshes the docs copies.
const SHOTS = path.resolve(
  __dirname,
  process.env.TRX_UPDATE_SCREENSHOT === '1' ? '../../../docs' : '../../../.trx',
);

const unavailable = chromiumMissingReason();
if (unavailable) console.warn(`[console] browser test skipped: ${unavailable}`);
const describeIfBrowser = unavailable ? describe.skip : describe;
const title = 'the transaction console in Chromium';

describeIfBrowser(unavailable ? `${title} (skipped: ${unavailable})` : title, () => {
  const h = new CoordinatorHarness();
  let app: RunningCoordinator;
  let api: CoordinatorApi;
  let browser: Browser | undefined;
  let ACCOUNT: string;
  let PRODUCT: string;

  beforeAll(async () => {
    await h.setUp();
    ACCOUNT = h.service('account-service');
    PRODUCT = h.service('product-service');
    h.credentials.token('operator');
    app = await h.start({ republishAfterMs: 5000 });
    api = h.client(app);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await h.tearDown();
  });

  const prepared = (tx: TransactionView, service: string, key: string) =>
    api.registerBranch(tx.id, {
      service,
      instance: `${service}-1`,
      gid: makeGid(service, tx.id, key),
      vote: 'yes',
    });

  async function signIn(page: Page, token: string): Promise<void> {
    await page.goto(`${app.url}/console`);
    await page.locator('#token').fill(token);
    await page.locator('#login button[type="submit"]').click();
  }

  test('when the operator signs in, then the list shows a stuck transaction with its reason, a detail tells its story, and a timed-out one can be rolled back', async () => {
    // One that went well, one whose account branch never acknowledged, one past its deadline.
    const done = await api.begin({ initiator: 'shop' });
    const a = await prepared(done, ACCOUNT, 'a');
    const p = await prepared(done, PRODUCT, 'p');
    await api.commit(done.id);
    await api.recordOutcome(done.id, a.id, { outcome: 'committed' });
    await api.recordOutcome(done.id, p.id, { outcome: 'committed' });
    const stuck = await api.begin({ initiator: 'shop' });
    await prepared(stuck, ACCOUNT, 'a');
    const sp = await prepared(stuck, PRODUCT, 'p');
    await api.commit(stuck.id);
    await api.recordOutcome(stuck.id, sp.id, { outcome: 'committed' });
    const late = await api.begin({ initiator: 'shop', timeoutMs: 10_000 });
    await prepared(late, PRODUCT, 'p');
    // Everything published before time moves on, so the pictures show the usual order (a
    // begun event with no decision after it waits for the poller: run it).
    const unpublished = async () =>
      (
        await queryDatabase<{ n: number }>(
          h.dbUrl,
          'SELECT count(*)::int AS n FROM trx_outbox WHERE published_at IS NULL',
        )
      )[0]!.n;
    await waitFor(async () => (await app.outbox.runOnce(), (await unpublished()) === 0) || undefined, {
      description: 'the outbox published',
    });
    h.clock.advance(40_000);

    mkdirSync(SHOTS, { recursive: true });
    const page = await browser!.newPage({ viewport: { width: 1400, height: 900 } });
    // A service's token is not the operator's: the page says so and asks again.
    await signIn(page, h.credentials.token(ACCOUNT));
    await page.locator('#message', { hasText: '403' }).waitFor();
    expect(await page.locator('#login').isVisible()).toBe(true);
    await signIn(page, 'not-a-token');
    await page.locator('#message', { hasText: '401' }).waitFor();

    await signIn(page, h.credentials.token('operator'));
    const row = (id: string) => page.locator(`#transactions tr[data-id="${id}"]`);
    await row(done.id).waitFor();
    await expect(row(stuck.id).locator('td.stuck').textContent()).resolves.toMatch(
      new RegExp(`^${ACCOUNT} has not acknowledged for 4\\d s$`),
    );
    await expect(row(late.id).locator('td.stuck').textContent()).resolves.toMatch(
      /^timed out 3\d s ago; the sweeper will roll it back$/,
    );
    await expect(row(done.id).locator('td.stuck').textContent()).resolves.toBe('');
    expect(await row(stuck.id).getAttribute('class')).toContain('is-stuck');
    await expect(row(stuck.id).locator('td').nth(3).textContent()).resolves.toMatch(/^4\d s$/);

    // Filters: by status, stuck only, then back to all.
    await page.locator('#filters select[name="status"]').selectOption('committed');
    await page.locator('#filters button[type="submit"]').click();
    await row(stuck.id).waitFor({ state: 'detached' });
    await row(done.id).waitFor();
    await page.locator('#filters select[name="status"]').selectOption('');
    await page.locator('#filters input[name="stuck"]').check();
    await page.locator('#filters button[type="submit"]').click();
    await row(done.id).waitFor({ state: 'detached' });
    await row(stuck.id).waitFor();
    await row(late.id).waitFor();
    await page.locator('#filters input[name="stuck"]').uncheck();
    await page.locator('#filters button[type="submit"]').click();
    await row(done.id).waitFor();

    await row(done.id).click();
    await page.locator('#detail-title', { hasText: done.id }).waitFor();
    const timeline = page.locator('#timeline li');
    await timeline.filter({ hasText: 'finished committed' }).waitFor();
    const story = await timeline.allTextContents();
    expect(story[0]).toContain('begun');
    expect(story.join('\n')).toContain('decided commit');
    expect(story.join('\n')).toContain(`branch acknowledged committed · ${ACCOUNT}`);
    expect(story.join('\n')).toContain(`published decision.${PRODUCT}`);

    await row(stuck.id).click();
    await page.locator('#detail-title', { hasText: stuck.id }).waitFor();
    await expect(page.locator('#detail-stuck').textContent()).resolves.toContain(
      `${ACCOUNT} has not acknowledged for`,
    );
    expect(await page.locator('#act-republish').isEnabled()).toBe(true);
    expect(await page.locator('#act-rollback').isEnabled()).toBe(false);
    expect(await page.locator('#branches tbody tr').count()).toBe(2);
    await page.screenshot({ path: path.join(SHOTS, 'console-list.png') });
    await page.locator('#detail').screenshot({ path: path.join(SHOTS, 'console-detail.png') });

    // The timed-out one: the operator rolls it back from its detail.
    await row(late.id).click();
    await page.locator('#detail-title', { hasText: late.id }).waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('#act-rollback').click();
    await page.locator('#message', { hasText: `done: roll back ${late.id}` }).waitFor();
    await expect(api.get(late.id)).resolves.toMatchObject({ status: 'rolling-back', reason: 'timeout' });

    await page.close();
  });
});
