import type { Page } from 'playwright-core';
import { waitFor, type ManagementUi } from '@trx/test-support';

/** One message as the queue page's "Get messages" shows it. */
export interface ShownMessage {
  exchange: string;
  routingKey: string;
  payload: string;
}

/**
 * The pages of the RabbitMQ management UI (3.x) the browser test uses, driven like a user
 * would: log in, open an exchange or a queue from its page, get messages without consuming them.
 */
export class ManagementUiPage {
  constructor(
    private readonly page: Page,
    private readonly ui: ManagementUi,
  ) {}

  async login(): Promise<void> {
    await this.page.goto(`${this.ui.url}/`);
    const form = this.page.locator('#login form');
    await form.locator('input[name="username"]').fill(this.ui.username);
    await form.locator('input[name="password"]').fill(this.ui.password);
    await form.locator('input[type="submit"]').click();
    // The overview replaces the login form once the credentials are accepted.
    await this.page.locator('#logout').waitFor();
  }

  /** Exchanges → <name>; returns the bindings listed on its page as `<queue> <routing key>`. */
  async openExchange(name: string): Promise<{ destination: string; routingKey: string }[]> {
    await this.page.goto(`${this.ui.url}/#/exchanges/${encodeURIComponent('/')}/${encodeURIComponent(name)}`);
    await this.page.locator('h1', { hasText: `Exchange: ${name}` }).waitFor();
    const bindings = this.section('Bindings');
    await this.expand(bindings);
    const rows = bindings.locator('table.list tbody tr');
    await rows.first().waitFor();
    const result: { destination: string; routingKey: string }[] = [];
    for (const row of await rows.all()) {
      const cells = row.locator('td');
      result.push({
        destination: (await cells.nth(0).innerText()).trim(),
        routingKey: (await cells.nth(1).innerText()).trim(),
      });
    }
    return result;
  }

  /**
   * Queues → <name>, once its page counts at least `minMessages` messages (the broker's
   * statistics of a new queue take a few seconds), then with the page's refresh off, so that
   * a refresh cannot re-render the messages got below while they are read and photographed.
   */
  async openQueue(name: string, minMessages: number): Promise<number> {
    await this.page.goto(`${this.ui.url}/#/queues/${encodeURIComponent('/')}/${encodeURIComponent(name)}`);
    await this.page.locator('h1', { hasText: `Queue ${name}` }).waitFor();
    const total = this.page
      .locator('#main table.facts tr', { has: this.page.locator('th', { hasText: /^\s*Messages/ }) })
      .locator('td.r')
      .first();
    const count = await waitFor(
      async () => {
        const n = Number((await total.innerText()).replace(/[^0-9]/g, '') || NaN);
        return n >= minMessages ? n : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, description: `queue ${name} to show ${minMessages} messages` },
    );
    await this.page.locator('#update-every').selectOption({ label: 'Do not refresh' });
    return count;
  }

  /**
   * On an open queue page: "Get messages" with Ack mode "Nack message requeue true", so the
   * messages stay in the queue, and returns what the page shows.
   */
  async getMessages(count: number): Promise<ShownMessage[]> {
    const section = this.section('Get messages');
    await this.expand(section);
    const form = section.locator('form[action="#/queues/get"]');
    await form.locator('select[name="ackmode"]').selectOption({ label: 'Nack message requeue true' });
    await form.locator('input[name="count"]').fill(String(count));
    await form.locator('input[type="submit"]').click();
    const boxes = section.locator('#msg-wrapper div.box');
    await boxes.first().waitFor();
    // The page slides the messages in with jQuery; read them once they are fully shown.
    // (Page-side code as strings: this project type-checks without the DOM library.)
    await this.page.waitForFunction("!window.$('#msg-wrapper').is(':animated')");
    const shown: ShownMessage[] = [];
    for (const box of await boxes.all()) {
      shown.push({
        exchange: await this.fact(box, 'Exchange'),
        routingKey: await this.fact(box, 'Routing Key'),
        payload: (await box.locator('pre.msg-payload').innerText()).trim(),
      });
    }
    return shown;
  }

  /**
   * A full-page screenshot from the top. Payloads are one line of JSON, wider than the page:
   * for the picture only, they are wrapped so the transaction id and the routing keys show.
   */
  async screenshot(file: string): Promise<void> {
    await this.page.addStyleTag({
      content: 'pre.msg-payload { white-space: pre-wrap; word-break: break-all; }',
    });
    await this.page.evaluate('window.scrollTo(0, 0)');
    await this.page.screenshot({ path: file, fullPage: true });
  }

  /** Folds a section of the current page (its heading toggles it), to keep a screenshot short. */
  async collapse(heading: string): Promise<void> {
    const section = this.section(heading);
    if (await section.locator('.hider').isVisible()) await section.locator('h2').click();
  }

  private section(heading: string) {
    return this.page.locator('#main div.section, #main div.section-hidden').filter({
      has: this.page.locator('h2', { hasText: heading }),
    });
  }

  private async expand(section: ReturnType<ManagementUiPage['section']>): Promise<void> {
    const hider = section.locator('.hider').first();
    if (!(await hider.isVisible())) await section.locator('h2').first().click();
    await hider.waitFor();
  }

  private async fact(box: ReturnType<Page['locator']>, name: string): Promise<string> {
    return (
      await box
        .locator('table.facts tr', { has: this.page.locator('th', { hasText: name }) })
        .locator('td')
        .innerText()
    ).trim();
  }
}
