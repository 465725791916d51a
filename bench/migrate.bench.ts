/**
 * Per-runtime migration benchmark: `migrateRuntime` over 500 runtimes with concurrency 50, against the
 * simulator running in ANOTHER process (`istio-migrate sim`, profile `fresh`, LM scaled down). Prints one JSON
 * document. Not a test: goals are reported next to the figures, nothing fails.
 *
 * - requests per runtime: the client's own count (`result.requests.total`: every request, the KCP secret
 *   read and watch re-establishments included), cross-checked with the simulator's `/sim/stats` (reset
 *   before the run; `byCluster` of the runtimes and of each `<env>-kcp`, minus this bench's own watches).
 *   Goal ≤ 8 (migrate.sh: about 6, plus 2 per 5-second poll).
 * - detection latency: an observer process (its own event loop, so the migrations cannot delay it) watches the istio Manifests on each environment's KCP and notes when each turns Ready; latency = the
 *   result's `finishedAt` − that moment. Goal p99 ≤ 1 s (migrate.sh sleeps a fixed 15 s, then reacts up to
 *   5 s late). Manifest Ready is the last of the two states the migration decides on (LM mirrors the Istio
 *   CR into it). One clock; a value can be slightly negative when the migration's own watch got the event
 *   first.
 * - wall time of the whole run, and the peak RSS of this process (`process.resourceUsage().maxRSS`).
 *
 * Run: `npm run build && npm run bench:migrate` (the compiled dist/bench/migrate.bench.js).
 * BENCH_QUICK=1: 50 runtimes. BENCH_TIME_SCALE=X overrides the time scale (default 0.05: LM's minute on a
 * fresh cluster becomes ≈ 3 s).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import PQueue from 'p-queue';
import { parse as parseYaml } from 'yaml';
import { migrateRuntime } from '../src/migration/migrate-runtime.js';
import type { MigrationResult } from '../src/migration/result.js';
import { peakRssMbOf, simStats, startSimProcess, stopSimProcess } from './sim-process.js';

const QUICK = process.env.BENCH_QUICK === '1';
const RUNTIMES = QUICK ? 50 : 500;
const CONCURRENCY = 50;
const TIME_SCALE = Number(process.env.BENCH_TIME_SCALE ?? 0.05);
const MANIFESTS_PATH = '/apis/operator.kyma-project.io/v1beta2/namespaces/kcp-system/manifests';
const MANIFEST_SUFFIX = '-istio-4034478325';

interface RuntimeEntry {
  env: string;
  runtimeId: string;
  scenario: string;
  kubeconfig: string | null;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const round = (n: number) => Math.round(n * 10) / 10;

interface SimStats {
  requests: number;
  byCluster: Record<string, number>;
  kymaWrites: Record<string, number>;
}

/**
 * Watches the istio Manifests of one KCP and reports when each first turns Ready. Re-establishes the watch
 * when it ends; every establishment is reported (the simulator counts it; the bench subtracts it).
 */
class ManifestWatcher {
  private rv: string | undefined;
  private controller: AbortController | undefined;
  private readonly seen = new Set<string>();

  constructor(
    private readonly kc: k8s.KubeConfig,
    private readonly onReady: (runtimeId: string, at: number) => void,
    private readonly onEstablish: () => void,
  ) {}

  async start(): Promise<void> {
    this.onEstablish();
    const w = new k8s.Watch(this.kc);
    this.controller = await w.watch(
      MANIFESTS_PATH,
      { allowWatchBookmarks: true, ...(this.rv ? { resourceVersion: this.rv } : {}) },
      (type: string, obj: { metadata?: { name?: string; resourceVersion?: string }; status?: { state?: string } }) => {
        const at = Date.now();
        if (obj.metadata?.resourceVersion) this.rv = obj.metadata.resourceVersion;
        if (type === 'BOOKMARK' || type === 'ERROR') {
          if (type === 'ERROR') this.rv = undefined;
          return;
        }
        const name = obj.metadata?.name ?? '';
        if (!name.endsWith(MANIFEST_SUFFIX) || obj.status?.state !== 'Ready') return;
        const id = name.slice(0, -MANIFEST_SUFFIX.length);
        if (this.seen.has(id)) return;
        this.seen.add(id);
        this.onReady(id, at);
      },
      () => setTimeout(() => void this.start().catch(() => undefined), 10),
    );
  }
}

/**
 * The observer runs in a process of its own (this file with argument `observer`, forked with IPC), so that the
 * 50 migrations cannot delay its clock readings and its memory is not in the bench's peak RSS. It gets the
 * KCP kubeconfigs as its first IPC message (never on the command line) and answers: `{established}` per
 * watch request, `{started}` once every initial watch stands, `{ready: [runtimeId, at]}` per Manifest
 * turning Ready.
 */
type ObserverMessage = { established: true } | { started: true } | { ready: [string, number] };

async function observer(kubeconfigs: string[]): Promise<void> {
  const post = (m: ObserverMessage) => process.send!(m);
  const watchers = kubeconfigs.map((text) => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(text);
    return new ManifestWatcher(kc, (id, at) => post({ ready: [id, at] }), () => post({ established: true }));
  });
  await Promise.all(watchers.map((w) => w.start()));
  post({ started: true });
}

async function main(): Promise<void> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'migrate-bench-'));
  const { child, ready } = await startSimProcess(out, ['--runtimes', String(RUNTIMES), '--time-scale', String(TIME_SCALE)], { quiet: true });
  let observerChild: ChildProcess | undefined;
  try {
    const entries = (JSON.parse(readFileSync(path.join(out, 'runtimes.json'), 'utf8')) as RuntimeEntry[]).filter((r) => r.kubeconfig);
    if (entries.length < RUNTIMES) throw new Error(`only ${entries.length} runtimes with a kubeconfig; need ${RUNTIMES}`);
    const chosen = entries.slice(0, RUNTIMES);
    const envs = [...new Set(chosen.map((r) => r.env))];
    const kcpKubeconfig = new Map(envs.map((env) => [env, readFileSync(path.join(out, 'kubeconfigs', env, 'kcp.yaml'), 'utf8')]));
    const config = parseYaml(readFileSync(path.join(out, 'config.yaml'), 'utf8')) as { timing: { deadlineSeconds: number; pollIntervalSeconds: number } };
    const deadlineMs = Math.round(config.timing.deadlineSeconds * 1000);
    const pollIntervalMs = Math.round(config.timing.pollIntervalSeconds * 1000);

    // The independent observer: a process of its own watching each KCP's Manifests.
    const readyAt = new Map<string, number>();
    let establishments = 0;
    observerChild = fork(fileURLToPath(import.meta.url), ['observer'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const obs = observerChild;
    await new Promise<void>((resolve, reject) => {
      obs.on('message', (m: ObserverMessage) => {
        if ('established' in m) establishments++;
        else if ('started' in m) resolve();
        else if (!readyAt.has(m.ready[0])) readyAt.set(m.ready[0], m.ready[1]);
      });
      obs.on('error', reject);
      obs.on('exit', (code) => reject(new Error(`the observer exited (${code}) before its watches stood`)));
      obs.send(envs.map((env) => kcpKubeconfig.get(env)!));
    });
    obs.removeAllListeners('exit');
    const ownBefore = establishments;
    await fetch(`http://127.0.0.1:${ready.port}/sim/stats/reset`, { method: 'POST' });

    const queue = new PQueue({ concurrency: CONCURRENCY });
    const results: MigrationResult[] = [];
    const thrown: string[] = [];
    const t0 = performance.now();
    for (const rt of chosen) {
      void queue.add(async () => {
        try {
          results.push(await migrateRuntime({ runtimeId: rt.runtimeId, kcpKubeconfig: kcpKubeconfig.get(rt.env), deadlineMs, pollIntervalMs }));
        } catch (e) {
          thrown.push(`${rt.runtimeId}: ${(e as Error).message}`);
        }
      });
    }
    await queue.onIdle();
    const wallMs = performance.now() - t0;
    const stats = await simStats<SimStats>(ready.port);
    // Let the observer's last messages arrive, then stop it.
    await new Promise((r) => setTimeout(r, 200));
    const ownWatches = establishments - ownBefore;
    obs.kill('SIGTERM');
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    // What the finished migrations left open (sockets, timers): should not grow with the runtime count.
    const leftOpen: Record<string, number> = {};
    for (const t of process.getActiveResourcesInfo()) leftOpen[t] = (leftOpen[t] ?? 0) + 1;
    const heapUsedMb = Math.round(process.memoryUsage().heapUsed / 1024 / 1024);
    const simPeakRssMb = peakRssMbOf(child.pid);

    // Requests per runtime, client side and simulator side.
    const perRuntime = results.map((r) => r.requests.total).sort((a, b) => a - b);
    const clientTotal = perRuntime.reduce((a, b) => a + b, 0);
    const simSide =
      chosen.reduce((n, r) => n + (stats.byCluster[r.runtimeId] ?? 0), 0) + envs.reduce((n, env) => n + (stats.byCluster[`${env}-kcp`] ?? 0), 0) - ownWatches;

    // Detection latency of the successful ones.
    const latencies: number[] = [];
    let unobserved = 0;
    for (const r of results) {
      if (r.outcome !== 'migrated' || !r.runtimeId) continue;
      const at = readyAt.get(r.runtimeId);
      if (at === undefined) unobserved++;
      else latencies.push(Date.parse(r.finishedAt) - at);
    }
    latencies.sort((a, b) => a - b);

    const outcomes: Record<string, number> = {};
    for (const r of results) {
      const key = r.reason ? `${r.outcome}/${r.reason}` : r.outcome;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    }
    if (thrown.length) outcomes.thrown = thrown.length;
    const successful = results.filter((r) => r.outcome === 'migrated').map((r) => r.requests.total);

    const report = {
      runtimes: chosen.length,
      concurrency: CONCURRENCY,
      timeScale: TIME_SCALE,
      profile: 'fresh',
      envs,
      deadlineMs,
      pollIntervalMs,
      wallMs: Math.round(wallMs),
      requestsPerRuntime: {
        p50: percentile(perRuntime, 50),
        max: perRuntime[perRuntime.length - 1] ?? NaN,
        mean: round(clientTotal / Math.max(results.length, 1)),
        byKind: {
          kcp: round(results.reduce((n, r) => n + r.requests.kcp, 0) / Math.max(results.length, 1)),
          skr: round(results.reduce((n, r) => n + r.requests.skr, 0) / Math.max(results.length, 1)),
        },
        simSidePerRuntime: round(simSide / chosen.length),
        clientSideTotal: clientTotal,
        simSideTotal: simSide,
      },
      detectionLatencyMs: {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies[latencies.length - 1] ?? NaN,
        min: latencies[0] ?? NaN,
        samples: latencies.length,
        unobserved,
      },
      outcomes,
      kymaWrites: Object.values(stats.kymaWrites).reduce((a, b) => a + b, 0),
      peakRssMb,
      heapUsedMbAfter: heapUsedMb,
      leftOpen,
      simPeakRssMb,
      goals: {
        requestsLe8: successful.length > 0 && Math.max(...successful) <= 8,
        detectionP99Le1000: latencies.length > 0 && percentile(latencies, 99) <= 1000,
      },
      ...(thrown.length ? { thrownSample: thrown.slice(0, 3) } : {}),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    if (observerChild && observerChild.exitCode === null) observerChild.kill('SIGTERM');
    await stopSimProcess(child);
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'observer') process.once('message', (kubeconfigs: string[]) => void observer(kubeconfigs));
else await main();
