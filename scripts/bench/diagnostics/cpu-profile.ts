import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * `npm run bench -- --profile`: where the services spend their CPU, from V8 CPU profiles
 * (cpu-profiler-preload.js, written when a service exits). Self time is grouped by package
 * (`pg`, `typeorm`, `express`, `pino`, `amqplib`, `@trx/participant`, node internals, GC), by
 * the nearest library on the stack and by function.
 */
export class CpuProfiler {
  constructor(private readonly dir: string) {}

  /**
   * What the services need in their environment: node refuses --cpu-prof in NODE_OPTIONS,
   * so a preloaded module profiles them instead.
   */
  serviceEnv(nodeOptions = process.env.NODE_OPTIONS ?? ''): Record<string, string> {
    const preload = path.join(__dirname, 'cpu-profiler-preload.js');
    return { NODE_OPTIONS: `${nodeOptions} --require ${preload}`.trim(), TRX_BENCH_PROFILE_DIR: this.dir };
  }

  /** The services' profiles; they are written when the services exit, so read after stopping them. */
  summaries(): ProfileSummary[] {
    return summarizeProfiles(this.dir);
  }
}

export interface ProfileSummary {
  service: string;
  /** Sampled ms that were not idle. */
  busyMs: number;
  byPackage: { name: string; ms: number; share: number }[];
  /**
   * Self time charged to the nearest library or app frame on the stack: a native write
   * called by pino counts for pino, one called by axios for axios. Says which dependency
   * (or which of our packages) the CPU is spent for.
   */
  byLibrary: { name: string; ms: number; share: number }[];
  byFunction: { name: string; ms: number; share: number }[];
}

interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * The profiles in `dir` of the services: a profile belongs to the app whose
 * `apps/<name>/dist/main.js` it ran (the build and other node processes are skipped).
 */
export function summarizeProfiles(dir: string, top = 12): ProfileSummary[] {
  if (!existsSync(dir)) return [];
  const out: ProfileSummary[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const main = profile.nodes.find((n) => /\/apps\/[^/]+\/dist\/main\.js$/.test(n.callFrame.url));
    const service = main && /\/apps\/([^/]+)\//.exec(main.callFrame.url)![1]!;
    if (service) out.push(summarize(service, profile, top));
  }
  return out.sort((a, b) => a.service.localeCompare(b.service));
}

function summarize(service: string, p: CpuProfile, top: number): ProfileSummary {
  const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const parents = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parents.set(c, n.id);
  const libraryOf = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const f = frames.get(at)!;
      if (/\/(node_modules|libs|apps)\//.test(f.url)) return packageOf(f.url, f.functionName);
    }
    return packageOf(frames.get(id)!.url, frames.get(id)!.functionName);
  };
  const libraries = new Map<string, number>();
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const frame = frames.get(p.samples[i]!);
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    if (!frame || frame.functionName === '(idle)') continue;
    busy += ms;
    const pkg = packageOf(frame.url, frame.functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
    const lib = libraryOf(p.samples[i]!);
    libraries.set(lib, (libraries.get(lib) ?? 0) + ms);
    const fn = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({
        name,
        ms: Math.round(ms),
        share: Math.round((ms / Math.max(busy, 1)) * 1000) / 10,
      }));
  return {
    service,
    busyMs: Math.round(busy),
    byPackage: rank(packages),
    byLibrary: rank(libraries),
    byFunction: rank(functions),
  };
}

export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const lib = /\/libs\/([^/]+)\//.exec(url);
  if (lib) return `@trx/${lib[1]}`;
  const app = /\/apps\/([^/]+)\//.exec(url);
  if (app) return app[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/').slice(0, 2).join('/')}`;
  return shortUrl(url);
}

function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/(apps|libs)\//, '$1/');
}

/** One service's profile as a Markdown table (the end of the bench's report). */
export function renderProfile(p: ProfileSummary): string[] {
  const rows = Math.max(p.byPackage.length, p.byLibrary.length, p.byFunction.length);
  const cell = (x: { name: string; share: number } | undefined, code = false) =>
    x ? `${code ? `\`${x.name}\`` : x.name} | ${x.share}` : ' | ';
  return [
    `CPU profile of ${p.service} (${(p.busyMs / 1000).toFixed(1)} s busy over the run), self time:`,
    '',
    '| package (self) | % | for library (nearest on stack) | % | function | % |',
    '|---|---:|---|---:|---|---:|',
    ...Array.from(
      { length: rows },
      (_, i) => `| ${cell(p.byPackage[i])} | ${cell(p.byLibrary[i])} | ${cell(p.byFunction[i], true)} |`,
    ),
  ];
}
