/**
 * Shared helpers for tests that talk to a simulated landscape over real HTTP: start one in-process, find a
 * runtime of a scenario, send raw requests, and run the real kubectl against it.
 *
 * kubectl gets its own discovery/HTTP cache directory (`--cache-dir`), so a cache from another test run (or a
 * simulator on a reused port) can never hide what this simulator serves.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { startSim, type RunningSim, type StartSimOptions } from '../../src/sim/run-sim.js';
import type { RuntimeFileEntry } from '../../src/sim/landscape/files.js';
import type { Env, Scenario } from '../../src/sim/types.js';

export interface TestSim extends RunningSim {
  /** Plain-HTTP base URL, e.g. `http://127.0.0.1:PORT`. */
  baseUrl: string;
}

/**
 * Starts a landscape in this process with an output directory of its own (removed by `close()`).
 * Defaults: profile `scenarios` (one runtime of every scenario per environment), seed 1, time scale 0.01.
 */
export async function startTestSim(opts: Partial<StartSimOptions> = {}): Promise<TestSim> {
  const out = opts.out ?? mkdtempSync(path.join(os.tmpdir(), 'istio-migrate-sim-'));
  const running = await startSim({ port: 0, seed: 1, profile: 'scenarios', runtimes: 60, timeScale: 0.01, ...opts, out });
  return {
    ...running,
    baseUrl: `http://127.0.0.1:${running.port}`,
    close: async () => {
      await running.close();
      if (!opts.out) rmSync(out, { recursive: true, force: true });
    },
  };
}

/** All entries of `<out>/runtimes.json` (C1). */
export function runtimesOf(out: string): RuntimeFileEntry[] {
  return JSON.parse(readFileSync(path.join(out, 'runtimes.json'), 'utf8')) as RuntimeFileEntry[];
}

/** The simulator's config.yaml as a mutable document (what writeSimConfig hands to its edit). */
export interface SimConfigDoc {
  environments: Record<string, Record<string, unknown>>;
  journal?: unknown;
  [key: string]: unknown;
}

/**
 * A config file for the simulator's landscape in a fresh temp dir: the simulator's own config.yaml, edited by
 * `edit`, with a SQLite journal in that dir unless `edit` sets another. Returns the file's path.
 */
export function writeSimConfig(sim: TestSim, prefix: string, edit: (cfg: SimConfigDoc, dir: string) => void = () => undefined): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${prefix}-cfg-`));
  const cfg = YAML.parse(readFileSync(path.join(sim.out, 'config.yaml'), 'utf8')) as SimConfigDoc;
  cfg.journal = { sqlite: { file: path.join(dir, 'journal.db') } };
  edit(cfg, dir);
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, YAML.stringify(cfg));
  return file;
}

/** The (first) runtime of a scenario in an environment, from `<out>/runtimes.json`. */
export function runtimeOf(out: string, env: Env, scenario: Scenario): RuntimeFileEntry {
  const rt = runtimesOf(out).find((r) => r.env === env && r.scenario === scenario);
  if (!rt) throw new Error(`no ${scenario} runtime in ${env} (profile without that scenario?)`);
  return rt;
}

/** The kubeconfig path of a KCP or Gardener cluster (`<out>/kubeconfigs/<env>/<kcp|gardener>.yaml`). */
export function kubeconfigOf(out: string, env: Env, cluster: 'kcp' | 'gardener'): string {
  return path.join(out, 'kubeconfigs', env, `${cluster}.yaml`);
}

/** A parsed JSON body, typed loosely: tests inspect it field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: Json;
}

export interface RawRequestOptions {
  method?: string;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** Bearer token; `null` sends no Authorization header. Defaults to the cluster's own token. */
  token?: string | null;
}

/**
 * One plain-HTTP request to `/clusters/<clusterId><path>` (or, with clusterId `''`, to `path` itself), with the
 * cluster's bearer token unless told otherwise. Never throws on an HTTP status.
 */
export function simRequest(sim: Pick<RunningSim, 'sim' | 'port'>, clusterId: string, urlPath: string, opts: RawRequestOptions = {}): Promise<HttpResult> {
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
  const token = opts.token === undefined ? (clusterId ? sim.sim.tokenFor(clusterId) : null) : opts.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    headers['Content-Type'] = opts.contentType ?? 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(body));
  }
  const full = clusterId ? `/clusters/${clusterId}${urlPath}` : urlPath;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: sim.port, path: full, method: opts.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parsed });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A JSON request to a cluster as a client sends it; `body` is the parsed answer. */
export async function simJson(sim: Pick<RunningSim, 'sim' | 'port'>, clusterId: string, method: string, urlPath: string, body?: unknown, contentType = 'application/json') {
  const res = await simRequest(sim, clusterId, urlPath, { method, body, contentType });
  return { status: res.status, body: res.json };
}

/** A controller's passes over a runtime so far, over HTTP (`GET /sim/stats` `reconciles`). */
export async function controllerPasses(sim: Pick<RunningSim, 'sim' | 'port'>, runtimeId: string, controller: 'lm' | 'operator'): Promise<number> {
  const res = await simRequest(sim, '', '/sim/stats', { token: null });
  return (res.json as { reconciles: Record<string, Record<string, number>> }).reconciles[runtimeId]?.[controller] ?? 0;
}

const SKR_KYMA_PATH = '/apis/operator.kyma-project.io/v1beta2/namespaces/kyma-system/kymas/default';

/** What migrate.sh does to the SKR Kyma: initialise a null modules list, then append istio (one JSON patch here). */
export async function enableIstioLikeMigrateSh(sim: Pick<RunningSim, 'sim' | 'port'>, runtimeId: string): Promise<void> {
  const kyma = await simJson(sim, runtimeId, 'GET', SKR_KYMA_PATH);
  if (kyma.status !== 200) throw new Error(`GET the Kyma of ${runtimeId}: ${kyma.status}`);
  const ops: unknown[] = kyma.body.spec.modules ? [] : [{ op: 'add', path: '/spec/modules', value: [] }];
  ops.push({ op: 'add', path: '/spec/modules/-', value: { name: 'istio' } });
  const res = await simJson(sim, runtimeId, 'PATCH', SKR_KYMA_PATH, ops, 'application/json-patch+json');
  if (res.status !== 200) throw new Error(`PATCH the Kyma of ${runtimeId}: ${res.status} ${JSON.stringify(res.body)}`);
}

let kubectlPresent: boolean | undefined;

/** Whether a `kubectl` binary is on the PATH (kubectl tests are skipped without one, and only then). */
export function hasKubectl(): boolean {
  if (kubectlPresent === undefined) {
    try {
      execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 20_000 });
      kubectlPresent = true;
    } catch {
      kubectlPresent = false;
    }
  }
  return kubectlPresent;
}

export interface KubectlOptions {
  kubeconfig: string;
  /** kubectl's discovery/HTTP cache; give each test file its own (mkdtemp). */
  cacheDir: string;
  /** Written to kubectl's stdin (`apply -f -`). */
  input?: string;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real kubectl; resolves with its exit code and output, never rejects on a non-zero exit. */
export function kubectl(args: string[], opts: KubectlOptions): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', opts.kubeconfig, '--cache-dir', opts.cacheDir, ...args],
      { timeout: 30_000, env: { ...process.env, KUBECACHEDIR: opts.cacheDir } },
      (err, stdout, stderr) => {
        // No numeric exit code: killed by the timeout, or kubectl could not be started.
        if (err && typeof err.code !== 'number') reject(new Error(`kubectl ${args.join(' ')}: ${err.message}`, { cause: err }));
        else resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
      },
    );
    child.stdin?.end(opts.input ?? '');
  });
}

/**
 * Takes every runtime out of the runbook (issue 14: the order is judged on the runtimes a wave would touch, so on a
 * fresh landscape any Stage or Prod wave beyond the first step is out of order): the named sets the runbook steps are
 * made of (`kyma-test`, `kyma-integration`, `canary`, `trial`, `factory`) select nothing. For tests whose subject is
 * not the runbook and that name their runtimes by id.
 */
export function outsideRunbook(cfg: SimConfigDoc): void {
  for (const env of Object.values(cfg.environments)) {
    const targets = env.targets as Record<string, string[]> | undefined;
    for (const name of ['kyma-test', 'kyma-integration', 'canary', 'trial', 'factory']) if (targets?.[name]) targets[name] = ['runtime-id=none'];
  }
}
