/**
 * Wave benchmark: a whole Prod wave of ≈ 10,000 `fresh` runtimes at concurrency 100 through the real wave runner
 * (`runWave`), with the simulator in ANOTHER process (`istio-migrate sim`, 16,700 runtimes: Prod is 60 %) and LM
 * scaled so that one runtime takes T ≈ 2 s. Prints one JSON document. Not a test: goals are reported next to the
 * figures, nothing fails.
 *
 * - T: measured, not assumed — a calibration batch of Dev runtimes (same landscape, not part of the wave) migrated
 *   with `migrateRuntime` one at a time (C = 1) in the same run; T = their mean duration.
 * - wall time of `runWave` vs the ideal N·T/C. Goal ≤ 1.05 ×. The config sets request-rate caps on every system
 *   far above what the wave asks (reported: the observed request rate), so they are in the path but do not bind;
 *   the error budget is set large so it does not cap concurrency either.
 * - peak RSS of this (the wave) process, `process.resourceUsage().maxRSS` when runWave returns (planning included;
 *   `peakRssMbWithReadBack` adds this bench reading all 10,000 results back for its own figures). Goal ≤ 256 MB. `npm run bench:wave` runs
 *   it with the memory settings of the container image (Dockerfile): MALLOC_ARENA_MAX=2 (glibc keeps fewer malloc
 *   arenas for the libuv and V8 threads) and a 4 MB young-generation semi-space; the old space is capped at 128 MB
 *   here (the image allows more, for Slack and several waves at once).
 * - CPU (user + system) of this process from runWave's start until it returns, per migrated runtime (goal ≤ 4 ms);
 *   `detail.cpuMsPerRuntimeWithReadBack` also counts this bench reading the results back, as it did before, and
 *   `detail.connectionCpuMsPerRequest` what one new connection costs, and `detail.ioFloor` the CPU of a migration's
 *   SKR I/O alone (bench/cpu-diagnostics.ts): the floor under it.
 * - resolution: `resolveTargets` for `all` in Prod, the call `planWave` makes (goal ≤ 2 s); `planMs` is the whole
 *   `planWave` (resolution and preflight in parallel, then the hash).
 * - journal time per runtime: the journal handed to `runWave` is wrapped in a timing proxy that times
 *   startRuntime / checkpoint / finishRuntime. Goal ≤ 1 ms on SQLite and PostgreSQL, judged as the wall-clock
 *   time the journal adds to the wave, per runtime:
 *   - SQLite is synchronous: a call holds the event loop, so every slot waits; its cost is the time inside the
 *     calls, divided by N.
 *   - PostgreSQL (a second, smaller wave of Stage runtimes, only when a server answers at ISTIO_MIGRATE_TEST_PG_URL
 *     or the C6 default) is asynchronous: a write holds up only the runtime that awaits it while the other C − 1
 *     slots go on, so the wave's wall time N·(T + J)/C grows by J/C per runtime, J being the runtime's summed write
 *     latency. `wallCostMsPerRuntime` = Σ latency / (N·C). The latency is measured until the promise settles, so it
 *     includes the time the response waited for this busy event loop: an upper bound on the journal's own share.
 *     Also reported: `busyMsPerRuntime`, the union of the intervals in which at least one write was in flight —
 *     with that lag included it says more about the event loop than about the journal — and the summed latency.
 *
 * Run: `npm run build && npm run bench:wave` (the compiled dist/bench/wave.bench.js). BENCH_QUICK=1: ≈ 1,000 runtimes in
 * the wave (1,670 in the landscape). BENCH_TIME_SCALE=X overrides the time scale (default 0.033: LM's ≈ 1 minute on a
 * fresh cluster becomes ≈ 2 s). Diagnostics: BENCH_SIM_NODE_ARGS="--cpu-prof --cpu-prof-dir=D" profiles the simulator,
 * BENCH_HEAP_SNAPSHOT=FILE writes this process's heap after the wave, BENCH_CPU_PROFILE and BENCH_ALLOC_PROFILE (cpu-diagnostics.ts)
 * profile it during the wave only; `detail` has per-phase times, CPU shares by thread, GCs, event-loop delay and memory.
 */
import diagnostics from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import PQueue from 'p-queue';
import YAML from 'yaml';
import { Services } from '../src/app/services.js';
import type { Journal, PlannedRuntime } from '../src/journal/journal.js';
import { PostgresJournal } from '../src/journal/postgres/postgres-journal.js';
import { KebClient } from '../src/clients/keb-client.js';
import { KubeClient, RequestCounter } from '../src/clients/kube-client.js';
import { migrateRuntime } from '../src/migration/migrate-runtime.js';
import type { MigrationResult } from '../src/migration/result.js';
import { planWave } from '../src/rollout/plan-wave.js';
import { runWave, type EnvAccess, type WaveEvent } from '../src/rollout/wave-runner.js';
import { resolveTargets } from '../src/targets/resolve.js';
import { parseTargets } from '../src/targets/selector.js';
import { connectionCost, gcWatch, ioFloor, mainThreadMs, startWaveProfile, stealSeconds, type GcFigures } from './cpu-diagnostics.js';
import { timedJournal, type JournalTiming } from './timed-journal.js';
import { cpuMsOf, peakRssMbOf, simStats, startSimProcess, stopSimProcess, withPgJournal } from './sim-process.js';

const QUICK = process.env.BENCH_QUICK === '1';

/** Connections undici opened (its diagnostics channel), for `connectionsPerRuntime`. */
let connects = 0;
diagnostics.subscribe('undici:client:connected', () => void connects++);
/** BENCH_RUNTIMES: the landscape's size (Prod is 60 % of it): 5,000 gives the 3,000-runtime wave. */
const LANDSCAPE_RUNTIMES = Number(process.env.BENCH_RUNTIMES ?? (QUICK ? 1_670 : 16_700));
const CONCURRENCY = 100;
const TIME_SCALE = Number(process.env.BENCH_TIME_SCALE ?? 0.033);
/** T is measured one runtime at a time (C = 1), as the ideal N·T/C assumes. */
const CALIBRATION_RUNTIMES = 10;
const CALIBRATION_CONCURRENCY = 1;
const PG_RUNTIMES = QUICK ? 300 : 1_000;
/** Request-rate caps per system: in the path, far above what the wave asks (≈ 50 runtimes/s × < 10 requests). */
const RATE_CAP = 20_000;
const GOALS = { wallRatio: 1.05, peakRssMb: 256, resolveMs: 2_000, journalMsPerRuntime: 1, cpuMsPerRuntime: 4, skrRequestsPerRuntime: 6, landscapeReadsPerRuntime: 1 };

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const log = (line: string) => process.stderr.write(`wave-bench: ${line}\n`);

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Requests to one environment's landscape systems (not SKRs) between two /sim/stats readings (C1 cluster ids). */
function landscapeRequests(before: Record<string, number>, after: Record<string, number>, env: string): { kcp: number; gardener: number; keb: number } {
  const d = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
  const keb = Object.keys(after).filter((k) => k.includes('keb') && k.includes(env)).reduce((n, k) => n + d(k), 0);
  return { kcp: d(`${env}-kcp`), gardener: d(`${env}-gardener`), keb };
}

/** The simulator's config with a SQLite journal in `dir`, concurrency 100, a large budget and non-binding rate caps. */
function writeBenchConfig(simOut: string, dir: string): string {
  const cfg = YAML.parse(readFileSync(path.join(simOut, 'config.yaml'), 'utf8')) as { environments: Record<string, Record<string, unknown>>; journal?: unknown };
  for (const env of Object.values(cfg.environments)) {
    env.limits = { concurrency: CONCURRENCY, requestsPerSecond: { kcp: RATE_CAP, skr: RATE_CAP, gardener: RATE_CAP, keb: RATE_CAP } };
    env.budgets = { wave: 1_000_000 };
  }
  cfg.journal = { sqlite: { file: path.join(dir, 'journal.db') } };
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, YAML.stringify(cfg), { mode: 0o600 });
  return file;
}

/** T: the mean duration of a fresh runtime, from a small batch of Dev runtimes one at a time. */
async function calibrate(services: Services, runtimes: PlannedRuntime[]): Promise<{ T_ms: number; p50: number; max: number; outcomes: Record<string, number>; phases: Record<string, number> }> {
  const access = await services.access('dev');
  const queue = new PQueue({ concurrency: CALIBRATION_CONCURRENCY });
  const results: MigrationResult[] = [];
  for (const r of runtimes) {
    void queue.add(async () => {
      results.push(
        await migrateRuntime({
          runtimeId: r.runtimeId,
          kcpKubeconfig: access.kcpKubeconfig,
          gardener: access.gardener ? { ...access.gardener, shootName: r.shootName } : undefined,
          deadlineMs: access.deadlineMs,
          pollIntervalMs: access.pollIntervalMs,
          onConflict: access.onConflict,
          throttle: services.throttle('dev'),
        }),
      );
    });
  }
  await queue.onIdle();
  const durations = results.map((r) => r.durationMs).sort((a, b) => a - b);
  return {
    T_ms: Math.round(durations.reduce((a, b) => a + b, 0) / Math.max(1, durations.length)),
    p50: percentile(durations, 50),
    max: durations[durations.length - 1] ?? NaN,
    outcomes: countOutcomes(results),
    phases: phases(results),
  };
}

/** Mean time from a runtime's start to each transition it recorded (`object-kind:state`), over the results. */
function phases(results: MigrationResult[]): Record<string, number> {
  const sums = new Map<string, { total: number; n: number }>();
  for (const r of results) {
    const start = Date.parse(r.startedAt);
    const seen = new Set<string>();
    for (const t of r.transitions) {
      const key = `${t.object.split('/')[0]}:${t.state}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const s = sums.get(key) ?? { total: 0, n: 0 };
      s.total += Date.parse(t.at) - start;
      s.n++;
      sums.set(key, s);
    }
  }
  const out: Record<string, number> = {};
  for (const [k, v] of [...sums].sort((a, b) => a[1].total / a[1].n - b[1].total / b[1].n)) out[k] = Math.round(v.total / v.n);
  out.end = Math.round(results.reduce((a, r) => a + r.durationMs, 0) / Math.max(1, results.length));
  return out;
}

function countOutcomes(results: (MigrationResult | null)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const key = r ? (r.reason ? `${r.outcome}/${r.reason}` : r.outcome) : 'unfinished';
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

interface WaveFigures {
  runtimes: number;
  state: string;
  wallMs: number;
  /** This process's CPU time (µs, user and system) from runWave's start until it returned; cpuStart at its start. */
  cpu: NodeJS.CpuUsage;
  cpuStart: NodeJS.CpuUsage;
  mainThreadMs: number | null; // the main thread's part of `cpu`, ms (null where unreadable)
  /** The machine's steal time during the wave, seconds (null where /proc/stat is unreadable). */
  stealSeconds: number | null;
  /** Peak RSS of this process when runWave returned (before the bench's own read-back of the results). */
  peakRssMb: number;
  timing: JournalTiming;
  outcomes: Record<string, number>;
  durations: number[];
  phases: Record<string, number>;
  migrated: number; // and the requests their results counted per system:
  resultRequests: { skr: number; kcp: number; gardener: number };
  /** How late this process's event loop ran timers during the wave (bursts of runtimes starting together show here). */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  gc: GcFigures;
}

/** Creates a wave of `runtimes` in `journal` and runs it with runWave (default lease TTL), timing the journal. */
async function runBenchWave(services: Services, journal: Journal, env: 'prod' | 'stage', access: EnvAccess, target: string, runtimes: PlannedRuntime[]): Promise<WaveFigures> {
  const wave = await journal.createWave({ env, target, planHash: `bench-${env}`, state: 'running', concurrency: CONCURRENCY, requestedBy: 'bench', approvedBy: null }, runtimes);
  const { journal: timed, timing } = timedJournal(journal);
  let finished = 0;
  const onEvent = (e: WaveEvent) => {
    if (e.type === 'runtime-finished' && e.waveId === wave.waveId) finished++;
  };
  services.events.on('event', onEvent);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const gc = gcWatch();
  const t0 = performance.now();
  const progress = setInterval(() => {
    const m = process.memoryUsage();
    const mb = (n: number) => Math.round(n / 1048576);
    log(`${wave.waveId}: ${finished}/${runtimes.length} finished after ${Math.round((performance.now() - t0) / 1000)} s; rss ${mb(m.rss)} MB, heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MB, external ${mb(m.external)} MB`);
  }, 10_000);
  const profiler = await startWaveProfile();
  const cpuBefore = process.cpuUsage();
  const mainBefore = mainThreadMs();
  const stealBefore = stealSeconds();
  try {
    const ended = await runWave({ journal: timed, access, budget: services.budget(env, runtimes.length), holder: services.holder, events: services.events, throttle: services.throttle(env) }, wave.waveId);
    const wallMs = performance.now() - t0;
    // The runner's CPU: until runWave returns, before this bench reads the results back.
    const cpu = process.cpuUsage(cpuBefore);
    const mainAfter = mainThreadMs();
    const stealAfter = stealSeconds();
    await profiler?.stop();
    // Before this bench reads back every runtime's result for its own figures.
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    const rows = await journal.listWaveRuntimes(wave.waveId);
    return {
      runtimes: runtimes.length,
      state: ended.state,
      wallMs,
      cpu,
      cpuStart: cpuBefore,
      mainThreadMs: mainBefore === null || mainAfter === null ? null : mainAfter - mainBefore,
      stealSeconds: stealBefore === null || stealAfter === null ? null : round(stealAfter - stealBefore, 2),
      peakRssMb,
      timing,
      outcomes: countOutcomes(rows.map((r) => r.result)),
      durations: rows.flatMap((r) => (r.result ? [r.result.durationMs] : [])).sort((a, b) => a - b),
      migrated: rows.filter((r) => r.result?.outcome === 'migrated').length,
      resultRequests: rows.reduce((n, r) => ({ skr: n.skr + (r.result?.requests.skr ?? 0), kcp: n.kcp + (r.result?.requests.kcp ?? 0), gardener: n.gardener + (r.result?.requests.gardener ?? 0) }), { skr: 0, kcp: 0, gardener: 0 }),
      phases: phases(rows.flatMap((r) => (r.result ? [r.result] : []))),
      eventLoopDelayMs: { p50: round(loopDelay.percentile(50) / 1e6), p99: round(loopDelay.percentile(99) / 1e6), max: round(loopDelay.max / 1e6) },
      gc: gc.stop(),
    };
  } finally {
    clearInterval(progress);
    loopDelay.disable();
    gc.stop(); // also when runWave threw
    services.events.off('event', onEvent);
  }
}

/** The PostgreSQL variant: a smaller wave of Stage runtimes with a PostgreSQL journal (a schema of its own, dropped). */
async function postgresWave(services: Services): Promise<Record<string, unknown>> {
  return withPgJournal('wbench', async (journal) => {
    const doc = await planWave(services, { env: 'stage', specs: ['all'], concurrency: CONCURRENCY });
    const runtimes = doc.runtimes.slice(0, PG_RUNTIMES);
    log(`PostgreSQL variant: ${runtimes.length} Stage runtimes at concurrency ${CONCURRENCY}`);
    const w = await runBenchWave(services, journal, 'stage', await services.access('stage'), doc.target, runtimes);
    return {
      runtimes: w.runtimes,
      state: w.state,
      wallMs: Math.round(w.wallMs),
      outcomes: w.outcomes,
      wallCostMsPerRuntime: round(w.timing.writesSumMs / w.runtimes / CONCURRENCY, 3),
      busyMsPerRuntime: round(w.timing.writesBusyMs / w.runtimes, 3),
      latencySumMsPerRuntime: round(w.timing.writesSumMs / w.runtimes, 3),
      writeCalls: w.timing.writeCalls,
      /** Statements the group commit sent for those writes. */
      writeStatements: journal instanceof PostgresJournal ? journal.runtimeWriteStatements : null,
      otherCallsMsPerRuntime: round(w.timing.otherSumMs / w.runtimes, 3),
      eventLoopDelayMs: w.eventLoopDelayMs,
    };
  });
}

async function main(): Promise<void> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'istio-migrate-bench-wave-sim-'));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'istio-migrate-bench-wave-'));
  const t00 = performance.now();
  // BENCH_SIM_NODE_ARGS: node flags for the simulator, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it.
  const simArgs = ['--runtimes', String(LANDSCAPE_RUNTIMES), '--time-scale', String(TIME_SCALE)];
  const { child, ready } = await startSimProcess(out, simArgs, { nodeArgs: (process.env.BENCH_SIM_NODE_ARGS ?? '').split(' ').filter(Boolean) });
  log(`simulator ready in ${Math.round(performance.now() - t00)} ms: ${ready.runtimes} runtimes on port ${ready.port}`);
  const services = await Services.create({ configFile: writeBenchConfig(out, dir), journalUse: 'create' }); // a fresh journal, as a first plan makes
  try {
    // Resolution: the call planWave makes, timed alone; then planWave itself.
    const prod = services.envConfig('prod');
    const keb = new KebClient({ url: prod.keb.url, token: readFileSync(prod.keb.tokenFile, 'utf8').trim() });
    const gardener = new KubeClient(readFileSync(prod.gardener.kubeconfig, 'utf8'), { system: 'gardener', counter: new RequestCounter(), throttle: services.throttle('prod') });
    let t0 = performance.now();
    const resolution = await resolveTargets({ env: 'prod', spec: parseTargets({ specs: ['all'], excludes: [], namedSets: prod.targets }), keb, gardener: { client: gardener, namespace: prod.gardener.namespace } });
    const resolveMs = Math.round(performance.now() - t0);
    t0 = performance.now();
    const doc = await planWave(services, { env: 'prod', specs: ['all'], concurrency: CONCURRENCY });
    const planMs = Math.round(performance.now() - t0);
    const peakRssMbAfterPlan = Math.round(process.resourceUsage().maxRSS / 1024);
    log(`resolved ${resolution.runtimes.length} Prod runtimes in ${resolveMs} ms (planWave ${planMs} ms; preflight ok: ${doc.preflight.ok})`);

    // T from a calibration batch of Dev runtimes (not part of the wave).
    const devDoc = await planWave(services, { env: 'dev', specs: ['all'], concurrency: CALIBRATION_CONCURRENCY });
    const calibration = await calibrate(services, devDoc.runtimes.slice(0, CALIBRATION_RUNTIMES));
    log(`T = ${calibration.T_ms} ms (mean of ${CALIBRATION_RUNTIMES} Dev runtimes at concurrency ${CALIBRATION_CONCURRENCY}; p50 ${calibration.p50}, max ${calibration.max})`);

    // The wave: SQLite journal, default lease TTL.
    const statsBefore = await simStats(ready.port);
    const requestsBefore = statsBefore.requests;
    const connectsBefore = connects;
    const simCpuBefore = cpuMsOf(child.pid);
    const journal = await services.journal();
    log(`wave: ${doc.runtimes.length} Prod runtimes at concurrency ${CONCURRENCY}; ideal ${Math.round((doc.runtimes.length * calibration.T_ms) / CONCURRENCY)} ms`);
    const wave = await runBenchWave(services, journal, 'prod', await services.access('prod'), doc.target, doc.runtimes);
    /** CPU as this bench counted it before (until runWave returned AND it had read every result back). */
    const cpuWithReadBack = process.cpuUsage(wave.cpuStart);
    const statsAfter = await simStats(ready.port);
    const requests = statsAfter.requests - requestsBefore;
    const landscape = landscapeRequests(statsBefore.byCluster, statsAfter.byCluster, 'prod');
    const { peakRssMb } = wave;
    /** Also counting this bench's read-back of all 10,000 results (listWaveRuntimes) for its figures. */
    const peakRssMbWithReadBack = Math.round(process.resourceUsage().maxRSS / 1024);
    // BENCH_HEAP_SNAPSHOT=FILE: what the wave left on the heap (open it in Chrome DevTools › Memory).
    if (process.env.BENCH_HEAP_SNAPSHOT) writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
    const mem = process.memoryUsage();
    const memoryAfterWaveMb = { rss: Math.round(mem.rss / 2 ** 20), heapUsed: Math.round(mem.heapUsed / 2 ** 20), external: Math.round(mem.external / 2 ** 20) };
    const { cpu } = wave;
    const waveConnects = connects - connectsBefore;
    const simCpuAfter = cpuMsOf(child.pid);
    const simPeakRssMb = peakRssMbOf(child.pid);

    const connection = await connectionCost(path.join(out, 'kubeconfigs', 'prod', `${doc.runtimes[0].runtimeId}.yaml`));
    log(`connection cost (CPU ms per request): ${JSON.stringify(connection)}`);
    // The Dev runtimes the calibration left alone: nothing else migrates them.
    const floorKubeconfigs = devDoc.runtimes.slice(CALIBRATION_RUNTIMES).map((r) => readFileSync(path.join(out, 'kubeconfigs', 'dev', `${r.runtimeId}.yaml`), 'utf8'));
    const floor = await ioFloor(floorKubeconfigs, CONCURRENCY, 10 * calibration.T_ms);
    log(`I/O floor: ${JSON.stringify(floor)}`);
    const postgres = await postgresWave(services);

    const N = wave.runtimes;
    const idealMs = (N * calibration.T_ms) / CONCURRENCY;
    const ratio = wave.wallMs / idealMs;
    // SQLite works synchronously inside each call: the time until the call returns is all of its work.
    const sqliteMs = wave.timing.writesSyncMs / N;
    const pgMs = typeof postgres.wallCostMsPerRuntime === 'number' ? postgres.wallCostMsPerRuntime : null;
    const waveT = wave.durations.reduce((a, b) => a + b, 0) / Math.max(1, wave.durations.length);
    const migrated = Math.max(1, wave.migrated);
    const cpuMsPerRuntime = (cpu.user + cpu.system) / 1000 / migrated;
    const skrPerRuntime = wave.resultRequests.skr / migrated;
    // KCP, Gardener and KEB during the wave, as the simulator counted them (resolution and preflight were before).
    const landscapePerRuntime = (landscape.kcp + landscape.gardener + landscape.keb) / migrated;
    const report = {
      runtimes: N,
      concurrency: CONCURRENCY,
      timeScale: TIME_SCALE,
      T_ms: calibration.T_ms,
      wallMs: Math.round(wave.wallMs),
      idealMs: Math.round(idealMs),
      ratio: round(ratio, 3),
      peakRssMb,
      resolveMs,
      journalMsPerRuntime: { sqlite: round(sqliteMs, 3), postgres: pgMs },
      /** CPU (user + system) of this process during the wave, per migrated runtime (the simulator runs elsewhere). */
      cpuMsPerRuntime: round(cpuMsPerRuntime, 2),
      requestsPerMigratedRuntime: {
        skr: round(skrPerRuntime, 2),
        kcp: round(wave.resultRequests.kcp / migrated, 2),
        gardener: round(wave.resultRequests.gardener / migrated, 2),
        /** KCP + Gardener + KEB requests of the wave process during the wave (sim's count), amortised per runtime. */
        landscapeAmortised: round(landscapePerRuntime, 2),
        kcpAmortised: round(landscape.kcp / migrated, 3),
        landscapeBySystem: landscape,
      },
      /** The process's heap settings: `npm run bench:wave` passes the image's; plain `node dist/bench/wave.bench.js` none. */
      nodeOptions: { execArgv: process.execArgv, NODE_OPTIONS: process.env.NODE_OPTIONS ?? null, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? null },
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? null, memGb: round(os.totalmem() / 2 ** 30, 1), node: process.version },
      outcomes: wave.outcomes,
      goals: {
        wallLe105xIdeal: ratio <= GOALS.wallRatio,
        peakRssLe256Mb: peakRssMb <= GOALS.peakRssMb,
        resolveLe2s: resolveMs <= GOALS.resolveMs,
        journalSqliteLe1ms: sqliteMs <= GOALS.journalMsPerRuntime,
        journalPostgresLe1ms: pgMs === null ? null : pgMs <= GOALS.journalMsPerRuntime,
        cpuLe4msPerRuntime: cpuMsPerRuntime <= GOALS.cpuMsPerRuntime,
        skrRequestsLe6PerRuntime: skrPerRuntime <= GOALS.skrRequestsPerRuntime,
        landscapeReadsLe1PerRuntime: landscapePerRuntime <= GOALS.landscapeReadsPerRuntime,
      },
      detail: {
        waveState: wave.state,
        calibration: { runtimes: CALIBRATION_RUNTIMES, concurrency: CALIBRATION_CONCURRENCY, p50Ms: calibration.p50, maxMs: calibration.max, outcomes: calibration.outcomes, phasesMs: calibration.phases },
        /** Per-runtime duration inside the wave (result.durationMs): what N·T/C assumes stays T. */
        inWaveDurationMs: { mean: Math.round(waveT), p50: percentile(wave.durations, 50), p99: percentile(wave.durations, 99), max: wave.durations[wave.durations.length - 1] ?? NaN, phasesMs: wave.phases },
        planMs,
        resolvedRuntimes: resolution.runtimes.length,
        requestsPerSecond: Math.round(requests / (wave.wallMs / 1000)),
        rateCapPerSystem: RATE_CAP,
        sqlite: {
          writesMsPerRuntime: round(sqliteMs, 3),
          /** Until the promises settled: adds the wait for the busy event loop's microtask queue. */
          writesAwaitedMsPerRuntime: round(wave.timing.writesSumMs / N, 3),
          writeCalls: wave.timing.writeCalls,
          otherCallsMsPerRuntime: round(wave.timing.otherSumMs / N, 3),
          otherCalls: wave.timing.otherCalls,
        },
        postgres,
        /** Peak RSS once the wave was planned (resolution of the landscape), before any migration ran. */
        peakRssMbAfterPlan,
        peakRssMbWithReadBack,
        memoryAfterWaveMb,
        eventLoopDelayMs: wave.eventLoopDelayMs,
        gc: wave.gc, // during the wave (cpu-diagnostics.ts gcWatch): counts by kind, the main thread's pauses
        /** CPU of this process during the wave, as a share of its wall time (1 = one core busy). */
        waveCpuShare: round((cpu.user + cpu.system) / 1000 / wave.wallMs, 2),
        /**
         * cpuMsPerRuntime split: user time (JavaScript, V8's GC and compiler threads, TLS) and system time (the kernel:
         * sockets, files); and by thread: the main thread, the rest being V8's and libuv's worker threads.
         */
        cpuSplitMsPerRuntime: { user: round(cpu.user / 1000 / migrated, 2), system: round(cpu.system / 1000 / migrated, 2), mainThread: wave.mainThreadMs === null ? null : round(wave.mainThreadMs / migrated, 2) },
        /** The machine's steal time during the wave (seconds, all cores; cpu-diagnostics.ts stealSeconds): compare runs with little of it. */
        stealSecondsDuringWave: wave.stealSeconds,
        /** cpuMsPerRuntime plus this bench reading every result back and working out its figures (how it was counted before). */
        cpuMsPerRuntimeWithReadBack: round((cpuWithReadBack.user + cpuWithReadBack.system) / 1000 / migrated, 2),
        /** New connections (TCP, and TLS to the API servers) this process opened during the wave, per migrated runtime. */
        connectionsPerRuntime: round(waveConnects / migrated, 2),
        /**
         * CPU of this process per request, measured after the wave against the simulator, by connection: kept alive,
         * new plain HTTP, new TLS resuming a session (the simulator's SKRs share one address), new TLS with a full
         * handshake (each real SKR). A runtime opens `connectionsPerRuntime` new connections; the difference to
         * `keptAlive` is the floor that connection sets under cpuMsPerRuntime.
         */
        connectionCpuMsPerRequest: connection,
        /**
         * The SKR I/O of a migration alone, through the runner's client, at the wave's concurrency (cpu-diagnostics.ts
         * ioFloor: the Dev runtimes left after the calibration): cpuMsPerRuntime minus this is the runner's own work.
         */
        ioFloor: floor,
        /** The same for the simulator process. */
        simCpuShare: simCpuBefore === null || simCpuAfter === null ? null : round((simCpuAfter - simCpuBefore) / wave.wallMs, 2),
        simPeakRssMb,
      },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await services.close();
    await stopSimProcess(child);
    rmSync(out, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
