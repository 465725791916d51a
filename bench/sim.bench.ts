/**
 * Simulator benchmark (issue 4 §6): 10,000 runtimes of profile `mixed` in this process. Prints one JSON
 * document. Not a test: goals are reported next to the figures, nothing fails.
 *
 * - ready: startSim() until the server listens and the files (10,000 kubeconfigs) are written; RSS then.
 * - throughput: simple GETs over loopback from 64 concurrent keep-alive clients in a child node process
 *   (so the load generator does not share this event loop), plain HTTP with bearer tokens.
 * - LM: 1,000 runtimes patched at once at time scale 0.01; per runtime the time from the patch's response to
 *   its Manifest turning Ready, against the scaled lower bound of LM's own delays for its scenario.
 *
 * Run: `npm run build && npm run bench:sim` (the script runs the compiled dist/bench/sim.bench.js).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import { findResource, KYMA_GROUP } from '../src/sim/k8s/resources.js';
import { hasKubeconfig } from '../src/sim/landscape/scenarios.js';
import { startSim } from '../src/sim/run-sim.js';
import type { Timings } from '../src/sim/controllers/timings.js';
import type { RuntimeSpec, Scenario } from '../src/sim/types.js';

const RUNTIMES = 10_000;
const TIME_SCALE = 0.01;
const CLIENTS = 64;
const LOAD_MS = 5_000;
const LM_RUNTIMES = 1_000;

const KYMA = findResource(KYMA_GROUP, 'v1beta2', 'kymas')!;
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const round = (n: number) => Math.round(n * 10) / 10;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The load generator, run as `node --input-type=module -e` with its parameters as JSON in argv. */
const LOADGEN = `
import http from 'node:http';
const { port, targets, clients, durationMs } = JSON.parse(process.argv[1]);
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
let ok = 0, failed = 0;
const end = Date.now() + durationMs;
function get(t) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: t.path, agent, headers: { authorization: 'Bearer ' + t.token } }, (res) => {
      res.resume();
      res.on('end', () => { if (res.statusCode === 200) ok++; else failed++; resolve(); });
    });
    req.on('error', () => { failed++; resolve(); });
  });
}
async function client(i) {
  for (let n = 0; Date.now() < end; n++) await get(targets[(i + n) % targets.length]);
}
const start = Date.now();
await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
const elapsedMs = Date.now() - start;
agent.destroy();
process.stdout.write(JSON.stringify({ ok, failed, elapsedMs }));
`;

function runLoad(args: object): Promise<{ ok: number; failed: number; elapsedMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', LOADGEN, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { ok: number; failed: number; elapsedMs: number }) : reject(new Error(`load generator exited ${code}`))));
  });
}

/** The least time LM's own delays allow from the patch to a Ready Manifest (skr-behaviour.ts). */
function expectedMs(scenario: Scenario, t: Timings): number {
  if (scenario === 'existing-default') return t.lmNoticeMs + t.lmDeployMs + Math.min(t.lmCreateCrMs, t.lmMirrorMs);
  return t.lmNoticeMs + t.lmDeployMs + t.deploymentReadyMs + t.operatorReconcileMs + t.operatorInstallMs + t.lmMirrorMs;
}

async function main(): Promise<void> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'sim-bench-'));
  const t0 = performance.now();
  const running = await startSim({ out, port: 0, seed: 1, profile: 'mixed', runtimes: RUNTIMES, timeScale: TIME_SCALE });
  const readyMs = performance.now() - t0;
  const rssReadyMb = mb(process.memoryUsage().rss);
  const { sim } = running;

  // Throughput: GET the Kyma of 64 healthy SKRs (faulty scenarios would measure the faults).
  const healthy = sim.landscape.runtimes.filter((r) => hasKubeconfig(r) && !['flaky', 'skr-down', 'no-kyma', 'two-kymas'].includes(r.scenario) && r.state === 'succeeded');
  const targets = healthy.slice(0, CLIENTS).map((r) => ({ path: `/clusters/${r.runtimeId}/apis/operator.kyma-project.io/v1beta2/namespaces/kyma-system/kymas/default`, token: sim.tokenFor(r.runtimeId) }));
  const load = await runLoad({ port: running.port, targets, clients: CLIENTS, durationMs: LOAD_MS });

  // LM: 1,000 runtimes whose Manifest ends Ready, patched at once.
  const eligible: Scenario[] = ['fresh', 'with-keda', 'existing-default'];
  const chosen = healthy.filter((r) => eligible.includes(r.scenario)).slice(CLIENTS, CLIENTS + LM_RUNTIMES);
  const patchedAt = new Map<string, number>();
  const readyAt = new Map<string, number>();
  const byName = new Map<string, RuntimeSpec>(chosen.map((r) => [`${r.runtimeId}-istio-4034478325`, r]));
  for (const env of ['dev', 'stage', 'prod'] as const) {
    sim.cluster(`${env}-kcp`)!.store.subscribe((e) => {
      const rt = byName.get(e.object.metadata.name ?? '');
      if (rt && e.resource.kind === 'Manifest' && (e.object.status as { state?: string } | undefined)?.state === 'Ready' && !readyAt.has(rt.runtimeId)) readyAt.set(rt.runtimeId, performance.now());
    });
  }
  const dispatcher = new Agent({ connections: CLIENTS, pipelining: 1 });
  const patchErrors: string[] = [];
  await Promise.all(
    chosen.map(async (rt) => {
      // The Kyma is read in-process (not a measured request) to build migrate.sh's JSON patch.
      const kyma = sim.cluster(rt.runtimeId)!.store.get(KYMA, 'kyma-system', 'default')!;
      const ops: unknown[] = (kyma.spec as { modules?: unknown[] }).modules ? [] : [{ op: 'add', path: '/spec/modules', value: [] }];
      ops.push({ op: 'add', path: '/spec/modules/-', value: { name: 'istio' } });
      const res = await fetch(`http://127.0.0.1:${running.port}/clusters/${rt.runtimeId}/apis/operator.kyma-project.io/v1beta2/namespaces/kyma-system/kymas/default`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${sim.tokenFor(rt.runtimeId)}`, 'content-type': 'application/json-patch+json' },
        body: JSON.stringify(ops),
        dispatcher,
      } as RequestInit);
      await res.arrayBuffer();
      if (res.status !== 200) patchErrors.push(`${rt.runtimeId}: ${res.status}`);
      patchedAt.set(rt.runtimeId, performance.now());
    }),
  );
  const deadline = Date.now() + 120_000;
  while (readyAt.size < chosen.length - patchErrors.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const t = running.behaviour.timings;
  const actual: number[] = [];
  const late: number[] = [];
  const expected: number[] = [];
  for (const rt of chosen) {
    const p = patchedAt.get(rt.runtimeId);
    const r = readyAt.get(rt.runtimeId);
    if (p === undefined || r === undefined) continue;
    actual.push(r - p);
    expected.push(expectedMs(rt.scenario, t));
    late.push(r - p - expectedMs(rt.scenario, t));
  }
  for (const a of [actual, late, expected]) a.sort((x, y) => x - y);
  const rssAfterLmMb = mb(process.memoryUsage().rss);
  await dispatcher.close();
  await running.close();
  rmSync(out, { recursive: true, force: true });

  const getsPerSecond = Math.round((load.ok / load.elapsedMs) * 1000);
  const report = {
    runtimes: RUNTIMES,
    profile: 'mixed',
    timeScale: TIME_SCALE,
    readyMs: Math.round(readyMs),
    rssReadyMb,
    getsPerSecond,
    load: { clients: CLIENTS, ...load },
    lm: {
      runtimes: chosen.length,
      patchErrors: patchErrors.length,
      manifestsReady: actual.length,
      expectedMs: { min: round(expected[0]), max: round(expected[expected.length - 1]) },
      patchToReadyMs: { p50: round(percentile(actual, 50)), p99: round(percentile(actual, 99)), max: round(actual[actual.length - 1]) },
      lateByMs: { p50: round(percentile(late, 50)), p99: round(percentile(late, 99)), max: round(late[late.length - 1]) },
    },
    rssAfterLmMb,
    materialisedClusters: sim.materialised().length,
    goals: {
      readyMs: { goal: 10_000, met: readyMs <= 10_000 },
      rssMb: { goal: 400, met: Math.max(rssReadyMb, rssAfterLmMb) <= 400 },
      getsPerSecond: { goal: 3_000, met: getsPerSecond >= 3_000 },
      lmAllReady: { goal: chosen.length, met: actual.length === chosen.length },
    },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await main();
