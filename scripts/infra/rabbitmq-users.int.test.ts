import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '@trx/logging';
import { Broker, type IncomingMessage } from '@trx/messaging';
import { managementApi, testInfra, uniqueName, waitFor } from '@trx/test-support';

/**
 * scripts/infra/rabbitmq-users.sh against the local RabbitMQ, on a vhost and user names of
 * this file's own (TRX_RABBITMQ_VHOST, TRX_RABBITMQ_USER_SUFFIX), so the real `trx` vhost and
 * users are never touched. Then connects as each user and checks what it may and may not do.
 *
 * Opt-in (TRX_TEST_RABBITMQCTL=1): every rabbitmqctl call starts an Erlang VM, ~3 s each on
 * our machines, so the file costs about three minutes of CPU — too much for every test run.
 */
const SCRIPT = path.resolve(__dirname, 'rabbitmq-users.sh');
const unavailable = rabbitmqctlUnavailable();
if (unavailable) console.warn(`[rabbitmq-users] script test skipped: ${unavailable}`);
const describeIfRabbitmqctl = unavailable ? describe.skip : describe;

const KEYS = {
  coordinator: 'TRX_AMQP_PASSWORD_TRANSACTION_SERVER',
  order: 'TRX_AMQP_PASSWORD_ORDER_SERVICE',
  account: 'TRX_AMQP_PASSWORD_ACCOUNT_SERVICE',
  product: 'TRX_AMQP_PASSWORD_PRODUCT_SERVICE',
  admin: 'TRX_AMQP_PASSWORD_ADMIN',
} as const;
type Who = keyof typeof KEYS;

const dir = mkdtempSync(path.join(tmpdir(), 'trx-users-'));
const secretsFile = path.join(dir, 'secrets.env');
const vhost = uniqueName('trx-users-test');
const suffix = `-${randomBytes(3).toString('hex')}`;
const exchange = uniqueName('trx-users-ex').replace(/_/g, '-');
const secondExchange = `${exchange}-chaos`;
const passwords: Record<Who, string> = {
  coordinator: pw(),
  order: pw(),
  account: pw(),
  product: pw(),
  admin: pw(),
};
const brokers: Broker[] = [];
const outputs: string[] = [];

function pw(): string {
  return randomBytes(32).toString('base64url');
}

function writeSecrets(): void {
  const lines = (Object.keys(KEYS) as Who[]).map((who) => `${KEYS[who]}=${passwords[who]}`);
  writeFileSync(secretsFile, lines.join('\n') + '\n', { mode: 0o600 });
}

function runScript(
  args: string[],
  env: Record<string, string> = {},
): { status: number | null; output: string } {
  const run = spawnSync('bash', [SCRIPT, ...args], {
    env: {
      ...process.env,
      TRX_SECRETS_FILE: secretsFile,
      TRX_RABBITMQ_VHOST: vhost,
      TRX_RABBITMQ_USER_SUFFIX: suffix,
      ...env,
    },
    encoding: 'utf8',
  });
  const output = `${run.stdout}${run.stderr}`;
  outputs.push(output);
  return { status: run.status, output };
}

const userOf = (who: Who) => `trx-${who}${suffix}`;

function urlOf(who: Who, password = passwords[who]): string {
  const url = new URL(testInfra().amqpUrl);
  url.username = userOf(who);
  url.password = password;
  url.pathname = `/${vhost}`;
  return url.toString();
}

async function brokerOf(who: Who, on = exchange): Promise<Broker> {
  const broker = await Broker.connect({ url: urlOf(who), exchange: on, logger: silentLogger() });
  brokers.push(broker);
  await broker.declareExchange();
  return broker;
}

const decision = (service: string, id: string) => [
  { routingKey: `decision.${service}`, messageId: id, body: {} },
];

describeIfRabbitmqctl('scripts/infra/rabbitmq-users.sh', () => {
  beforeAll(() => {
    writeSecrets();
    const { status, output } = runScript([exchange]);
    expect({ status, output }).toMatchObject({ status: 0 });
  }, 180_000);

  afterAll(async () => {
    for (const b of brokers) await b.close();
    for (const who of Object.keys(KEYS) as Who[]) {
      await managementApi('DELETE', `/users/${userOf(who)}`).catch(() => undefined);
    }
    await managementApi('DELETE', `/vhosts/${encodeURIComponent(vhost)}`).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets only the coordinator publish decisions, and each participant consume its own queue only', async () => {
    const coordinator = await brokerOf('coordinator');
    await coordinator.declareAuditQueue(`${exchange}.audit`, 100);
    const accountQueue = await coordinator.declareDecisionQueue('account-service');
    await coordinator.publish(decision('account-service', 'real'));

    const account = await brokerOf('account');
    expect(await account.declareDecisionQueue('account-service')).toBe(accountQueue);
    const seen: IncomingMessage[] = [];
    await account.consume(accountQueue, async (m) => {
      seen.push(m);
      return 'ack';
    });
    const real = await waitFor(() => seen.find((m) => m.messageId === 'real'));
    expect(real.userId).toBe(userOf('coordinator'));
    await expect(account.publish(decision('account-service', 'forged'))).rejects.toMatchObject({
      name: 'PublishError',
    });
    await expect(account.declareDecisionQueue('product-service')).rejects.toThrow(/ACCESS_REFUSED/);

    const order = await brokerOf('order');
    await order.declareDecisionQueue('order-service');
    await order.publish([{ routingKey: 'order.confirmed', messageId: 'confirmed', body: {} }]);
    await expect(order.publish(decision('account-service', 'forged-2'))).rejects.toMatchObject({
      name: 'PublishError',
    });
    // The order-service's confirm channel is back after the refusal.
    await waitFor(() =>
      order.publish([{ routingKey: 'order.confirmed', messageId: 'again', body: {} }]).then(() => true),
    );
    expect(seen.map((m) => m.messageId)).toEqual(['real']);
  }, 60_000);

  it('run again with a new password and another exchange: the old password stops working, both exchanges are granted', async () => {
    const old = passwords.product;
    passwords.product = pw();
    writeSecrets();
    const { status, output } = runScript([secondExchange]);
    expect(status).toBe(0);
    expect(output).toContain(`changed the password of ${userOf('product')}`);
    expect(output).not.toContain(`created user`);

    await expect(
      Broker.connect({ url: urlOf('product', old), exchange, logger: silentLogger() }),
    ).rejects.toThrow(/ACCESS_REFUSED|authentication/i);
    await brokerOf('product');
    const onSecond = await brokerOf('coordinator', secondExchange);
    await onSecond.declareDecisionQueue('product-service');
    await onSecond.publish(decision('product-service', 'on-the-second-exchange'));
    const onFirst = await brokerOf('coordinator');
    await onFirst.publish(decision('account-service', 'still-on-the-first'));
  }, 180_000);

  it("gives the operator's UI login read access and nothing else", async () => {
    const auth = 'Basic ' + Buffer.from(`${userOf('admin')}:${passwords.admin}`).toString('base64');
    const whoami = await fetch(`${testInfra().rabbitApiUrl}/api/whoami`, {
      headers: { authorization: auth },
    });
    expect(await whoami.json()).toMatchObject({ name: userOf('admin'), tags: ['monitoring'] });
    await expect(brokerOf('admin')).rejects.toThrow(/ACCESS_REFUSED/);
  });

  it('never prints a password', () => {
    const printed = outputs.join('\n');
    for (const who of Object.keys(KEYS) as Who[]) expect(printed).not.toContain(passwords[who]);
  });

  it('without the secrets file, stops and says what generates it', () => {
    const { status, output } = runScript([], { TRX_SECRETS_FILE: path.join(dir, 'missing.env') });
    expect(status).not.toBe(0);
    expect(output).toMatch(/missing\.env is missing: run 'bash scripts\/(secrets|infra)\.sh' first/);
  });
});

/** Why rabbitmqctl can't run this test here (no local broker node, not allowed), or undefined. */
function rabbitmqctlUnavailable(): string | undefined {
  if (process.env.TRX_TEST_RABBITMQCTL !== '1') return 'opt-in: set TRX_TEST_RABBITMQCTL=1 (about 3 min)';
  const status = spawnSync('rabbitmqctl', ['--quiet', 'list_vhosts'], { encoding: 'utf8', timeout: 30_000 });
  if (status.error) return `rabbitmqctl: ${status.error.message}`;
  if (status.status !== 0) return `rabbitmqctl list_vhosts failed: ${status.stderr.trim().split('\n')[0]}`;
  return undefined;
}
