/**
 * The printed report: what the load was told, which faults ran and how fast the platform
 * came back, each invariant with its figures, and one SUMMARY line to paste in a note.
 */
import type { FaultRecord } from './faults';
import type { Attempt } from './load';
import { replayCommand, type ChaosReport } from './run-chaos';

export function violations(report: ChaosReport): number {
  return (
    report.invariants.filter((i) => !i.ok).length +
    (report.aborted ? 1 : 0) +
    (report.recovery.recovered ? 0 : 1)
  );
}

export function formatReport(report: ChaosReport): string[] {
  const { options } = report;
  const lines = [
    '==== trx chaos report ====',
    `seed ${options.seed} · load ${seconds(report.loadEnd - report.loadStart)} · ${options.concurrency} clients · faults ${options.faults.join(',') || 'none'} · exchange ${report.exchange} · databases ${report.databases.join(', ')}`,
    `replay: ${replayCommand(options)}`,
    ...orderLines(report.attempts),
    ...faultLines(report),
    ...exitLines(report),
    recoveryLine(report),
    'invariants:',
    ...report.invariants.flatMap((i) => [
      `  ${i.ok ? 'PASS' : 'FAIL'} ${i.name}: ${i.figures}`,
      ...i.examples.map((e) => `         e.g. ${e}`),
    ]),
  ];
  if (report.aborted) lines.push(`ABORTED: ${report.aborted}`);
  lines.push(summaryLine(report));
  return lines;
}

export function summaryLine(report: ChaosReport): string {
  const a = report.attempts;
  const done = report.faults.filter((f) => !f.skipped);
  const count = violations(report);
  return [
    'SUMMARY',
    `seed=${report.options.seed}`,
    `duration=${Math.round((report.loadEnd - report.loadStart) / 1000)}s`,
    `faults=${done.length}${done.length ? `(${kindCounts(done)})` : ''}`,
    `orders=${a.length}`,
    `confirmed=${a.filter((x) => x.status === 201).length}`,
    `refused=${a.filter((x) => x.status === 409).length}`,
    `failed=${a.filter((x) => x.status === undefined || x.status >= 500 || x.status === 400).length}`,
    `settled=${report.recovery.recovered ? seconds(report.recovery.settledMs).replace(' ', '') : 'NO'}`,
    `invariants=${report.invariants.filter((i) => i.ok).length}/${report.invariants.length}`,
    `violations=${count}`,
    count === 0 ? 'PASS' : 'FAIL',
  ].join(' ');
}

function orderLines(attempts: readonly Attempt[]): string[] {
  const n = (pred: (a: Attempt) => boolean) => attempts.filter(pred).length;
  const byKind = new Map<string, Map<string, number>>();
  for (const a of attempts) {
    const answers = byKind.get(a.request.kind) ?? new Map<string, number>();
    answers.set(answerOf(a), (answers.get(answerOf(a)) ?? 0) + 1);
    byKind.set(a.request.kind, answers);
  }
  return [
    `orders: ${attempts.length} sent (${n((a) => a.retry)} Idempotency-Key retries): ${n((a) => a.status === 201)} confirmed, ${n((a) => a.status === 409)} refused, ` +
      `${n((a) => a.status === 500 && a.request.kind === 'fault')} injected faults, ${n((a) => a.status === 400)} invalid, ` +
      `${n((a) => (a.status ?? 0) >= 500 && a.request.kind !== 'fault')} other 5xx, ${n((a) => a.error !== undefined && a.error !== 'timeout')} client errors, ${n((a) => a.error === 'timeout')} timeouts`,
    ...[...byKind].map(
      ([kind, answers]) => `  ${kind}: ${[...answers].map(([k, v]) => `${k}×${v}`).join(' ')}`,
    ),
  ];
}

/** `409:insufficient-stock`, `500:injected-fault`, `timeout`, `no-answer:ECONNREFUSED`. */
function answerOf(a: Attempt): string {
  if (a.status === undefined) return a.error === 'timeout' ? 'timeout' : `no-answer:${a.error}`;
  return typeof a.body?.error === 'string' ? `${a.status}:${a.body.error}` : String(a.status);
}

function faultLines(report: ChaosReport): string[] {
  const done = report.faults.filter((f) => !f.skipped);
  const failed = done.filter((f) => f.error);
  return [
    `faults: ${done.length} injected (${kindCounts(done) || 'none'}), ${failed.length} failed to restore, ${report.faults.length - done.length} skipped`,
    ...report.faults.map((f, i) => `  ${i + 1}. ${faultText(f)} — ${faultTiming(f, report.attempts)}`),
  ];
}

function faultText(f: FaultRecord): string {
  const at = `+${seconds(f.atMs)}`;
  if (f.kind === 'postgres') return `${at} PostgreSQL restart -m immediate`;
  if (f.kind === 'rabbitmq') return `${at} RabbitMQ stop_app ${f.downMs} ms`;
  if (f.kind === 'pause') return `${at} SIGSTOP ${f.target} ${f.downMs} ms`;
  return `${at} SIGKILL ${f.target}, down ${f.downMs} ms`;
}

function faultTiming(f: FaultRecord, attempts: readonly Attempt[]): string {
  if (f.skipped) return 'skipped';
  const parts = [];
  parts.push(f.restoredAt ? `back ${seconds(f.restoredAt - f.startedAt)}` : `NOT back: ${f.error}`);
  if (f.platformReadyAt) parts.push(`all ready ${seconds(f.platformReadyAt - f.startedAt)}`);
  const next = firstConfirmedAfter(attempts, f.startedAt);
  parts.push(
    next
      ? `next order confirmed ${seconds(next - f.startedAt)} after the fault`
      : 'no order confirmed after it',
  );
  return parts.join(', ');
}

/** The end of the first confirmed request that started after `t`: when orders went through again, as a client sees it. */
function firstConfirmedAfter(attempts: readonly Attempt[], t: number): number | undefined {
  const ends = attempts.filter((a) => a.status === 201 && a.startedAt >= t).map((a) => a.endedAt);
  return ends.length ? Math.min(...ends) : undefined;
}

function exitLines(report: ChaosReport): string[] {
  const crashes = report.exits.filter((e) => e.unexpected);
  if (crashes.length === 0) return ['unexpected exits: none'];
  return [
    `unexpected exits: ${crashes.length} (restarted)`,
    ...crashes.map((e) => `  ${new Date(e.at).toISOString()} ${e.name} code ${e.code} signal ${e.signal}`),
  ];
}

function recoveryLine(report: ChaosReport): string {
  const last = [...report.faults].reverse().find((f) => !f.skipped);
  const lastText = last
    ? `last fault (${last.kind}${last.target ? ' ' + last.target : ''} at +${seconds(last.atMs)}): ${faultTiming(last, report.attempts)}`
    : 'no fault';
  const settled = report.recovery.recovered
    ? `in-doubt state settled ${seconds(report.recovery.settledMs)} after the load stopped`
    : `NOT settled within the bound: ${JSON.stringify(report.recovery.state ?? report.recovery.error)}`;
  return `recovery: ${lastText}; ${settled}`;
}

function kindCounts(faults: readonly FaultRecord[]): string {
  const counts = new Map<string, number>();
  for (const f of faults) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
  return [...counts].map(([k, v]) => `${k}:${v}`).join(',');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
