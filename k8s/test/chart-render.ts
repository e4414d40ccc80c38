/**
 * Renders the chart k8s/trx without helm: builds the Go renderer of k8s/test/render (Go's
 * text/template + Debian's sprig, GOPATH mode, offline) once per process and runs it.
 *
 * @example
 *   const renderer = buildRenderer();           // null when `go` or sprig is missing
 *   const objects = renderChart(renderer!, ['ci.yaml'], ['apps.order-service.replicas=3']);
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../docker/test/app-config-keys';

export const CHART_DIR = path.join(REPO_ROOT, 'k8s', 'trx');
export const VALUES_DIR = path.join(REPO_ROOT, 'k8s', 'test', 'values');
const SOURCE_DIR = path.join(REPO_ROOT, 'k8s', 'test', 'render');
const GOPATH = '/usr/share/gocode';

export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

/** Why the renderer cannot be built here, or null when it can. */
export function rendererUnavailable(): string | null {
  if (spawnSync('go', ['version']).status !== 0) {
    return 'no `go` on the PATH (bash scripts/ensure-chart-tools.sh installs golang-go and sprig)';
  }
  if (!existsSync(path.join(GOPATH, 'src/github.com/Masterminds/sprig'))) {
    return `no sprig under ${GOPATH} (apt-get install golang-github-masterminds-sprig-dev)`;
  }
  return null;
}

/** Builds the renderer into the temp directory; returns its path. */
export function buildRenderer(): string {
  const dir = path.join(os.tmpdir(), 'trx-chart-render');
  mkdirSync(dir, { recursive: true });
  const binary = path.join(dir, 'render');
  execFileSync('go', ['build', '-o', binary, '.'], {
    cwd: SOURCE_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
    // GOPATH mode against the Debian packages: no module download, no network.
    env: {
      ...process.env,
      GO111MODULE: 'off',
      GOPATH,
      GOFLAGS: '',
      GOCACHE: path.join(dir, 'cache'),
    },
  });
  return binary;
}

export interface RenderResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Runs the renderer with values files (names under k8s/test/values, or paths) and --set pairs. */
export function runRenderer(binary: string, files: string[], sets: string[] = [], extra: string[] = []) {
  const args = ['--chart', CHART_DIR, '--name', 'trx', '--namespace', 'trx'];
  for (const file of files) args.push('-f', path.isAbsolute(file) ? file : path.join(VALUES_DIR, file));
  for (const set of sets) args.push('--set', set);
  const result = spawnSync(binary, [...args, ...extra], { encoding: 'utf8' });
  return { ok: result.status === 0, stdout: result.stdout, stderr: result.stderr } satisfies RenderResult;
}

/** Renders and parses; throws with the renderer's message when rendering fails. */
export function renderChart(binary: string, files: string[], sets: string[] = []): K8sObject[] {
  const result = runRenderer(binary, files, sets);
  if (!result.ok) throw new Error(result.stderr.trim());
  return parseManifests(result.stdout);
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('; '));
      return doc.toJS() as K8sObject | null;
    })
    .filter((obj): obj is K8sObject => obj !== null);
}
