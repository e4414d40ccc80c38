import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`, see scripts/ensure-browser.sh). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags for a quiet headless Chromium in a container that runs as root. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface ManagementUi {
  url: string;
  username: string;
  password: string;
}

export function managementUi(): ManagementUi {
  return {
    url: process.env.TRX_MANAGEMENT_URL ?? 'http://127.0.0.1:15672',
    username: process.env.TRX_MANAGEMENT_USER ?? 'guest',
    password: process.env.TRX_MANAGEMENT_PASSWORD ?? 'guest',
  };
}

/**
 * Why the browser test cannot run here, or undefined when it can. Synchronous, because jest
 * decides between `describe` and `describe.skip` while collecting tests: the HTTP probe of the
 * management API runs in a short child node process.
 */
export function browserTestUnavailableReason(ui: ManagementUi = managementUi()): string | undefined {
  const missing = chromiumMissingReason();
  if (missing) return missing;
  const probe = `
    fetch(process.argv[1] + '/api/overview', {
      headers: { authorization: 'Basic ' + Buffer.from(process.argv[2]).toString('base64') },
      signal: AbortSignal.timeout(3000),
    }).then((r) => process.exit(r.ok ? 0 : 2), () => process.exit(1));`;
  try {
    execFileSync(process.execPath, ['-e', probe, ui.url, `${ui.username}:${ui.password}`], {
      stdio: 'ignore',
      timeout: 5000,
    });
    return undefined;
  } catch {
    return `the RabbitMQ management UI does not answer on ${ui.url} as ${ui.username} (bash scripts/infra.sh enables the rabbitmq_management plugin)`;
  }
}

/** Why Chromium cannot be launched here, or undefined when it can (tests of trx's own pages need nothing else). */
export function chromiumMissingReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  return `${CHROMIUM_PATH} is missing (bash scripts/ensure-browser.sh installs Debian's Chromium)`;
}

/** Launches Chromium; Playwright gives it a fresh temporary user-data dir and removes it on close. */
export async function launchChromium(): Promise<Browser> {
  // Loaded here, not at the top: every test imports @trx/test-support, few start a browser.
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}
