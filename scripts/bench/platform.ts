import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { OrderClient } from './order-client';

/**
 * The platform under test: started with scripts/up.sh (the README's first command) with
 * ORDER_BASELINE_MODE=true, stopped with scripts/down.sh — or a running one given by URL.
 */
export interface StartOptions {
  logLevel: string;
  /** The script that starts the services (scripts/up.sh). */
  upScript: string;
  /** More environment for the services (the profiler's preload, the soak's short retention). */
  env?: Record<string, string>;
}

export async function startPlatform(repoRoot: string, o: StartOptions): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, ORDER_BASELINE_MODE: 'true', ...o.env };
  if (o.logLevel) env.LOG_LEVEL = o.logLevel;
  await runScript(repoRoot, o.upScript, env);
}

/** The pids scripts/up.sh wrote to .trx/run/<app>.pid (pid → app). */
export function servicePids(repoRoot: string): Map<number, string> {
  const dir = path.join(repoRoot, '.trx', 'run');
  const pids = new Map<number, string>();
  if (!existsSync(dir)) return pids;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.pid'))) {
    pids.set(Number(readFileSync(path.join(dir, file), 'utf8').trim()), file.slice(0, -'.pid'.length));
  }
  return pids;
}

export async function stopPlatform(repoRoot: string, downScript: string): Promise<void> {
  await runScript(repoRoot, downScript, process.env);
}

function runScript(cwd: string, script: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${script} failed (${signal ?? `exit ${code}`})`)),
    );
  });
}

export interface FlowCheck {
  ok: boolean;
  detail: string;
}

/** One order through the normal flow: it must commit and name its distributed transaction. */
export async function checkTrxFlow(client: OrderClient): Promise<FlowCheck> {
  const answer = await client.placeOrder();
  const body = answer.body as { transactionId?: unknown; status?: unknown } | null;
  if (answer.status !== 201) return { ok: false, detail: `answered ${answer.status}: ${short(answer.body)}` };
  if (!body?.transactionId) return { ok: false, detail: `201 without a transactionId: ${short(body)}` };
  return { ok: true, detail: `201, transaction ${String(body.transactionId)}` };
}

/**
 * One order with `X-Trx-Mode: baseline`. An order-service that does not honour the header
 * (not started with ORDER_BASELINE_MODE=true, or older than the baseline flow) runs a
 * distributed transaction instead and answers with a transactionId: then there is no baseline.
 */
export async function checkBaselineFlow(client: OrderClient): Promise<FlowCheck> {
  const answer = await client.placeOrder();
  const body = answer.body as { transactionId?: unknown } | null;
  if (answer.status !== 201) return { ok: false, detail: `answered ${answer.status}: ${short(answer.body)}` };
  if (body?.transactionId) {
    return {
      ok: false,
      detail: `the order-service ran a distributed transaction (${String(body.transactionId)}): it does not honour X-Trx-Mode: baseline`,
    };
  }
  return { ok: true, detail: '201 without a distributed transaction' };
}

function short(v: unknown): string {
  return JSON.stringify(v)?.slice(0, 300) ?? String(v);
}
