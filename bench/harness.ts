/**
 * Shared by bench:limiter and bench:script: a simulated landscape in this process (with LM's capacity model), the
 * bot's services on its config, and a wave run through the real runner with the figures these benchmarks print —
 * wall time, runtimes in flight over time, LM's patch → Manifest Ready latencies.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import YAML from 'yaml';
import { Services } from '../src/app/services.js';
import type { EnvName } from '../src/config/config.js';
import type { PlannedRuntime } from '../src/journal/journal.js';
import type { RuntimeFileEntry } from '../src/sim/landscape/files.js';
import { startSim, type RunningSim } from '../src/sim/run-sim.js';
import { patchToReadyMs } from '../src/rollout/limit.js';
import { runWave, type RunnerDeps, type WaveEvent } from '../src/rollout/wave-runner.js';

export interface BenchLandscape {
  sim: RunningSim;
  services: Services;
  runtimes: RuntimeFileEntry[];
  close(): Promise<void>;
}

export async function benchLandscape(o: { profile: string; runtimes: number; timeScale: number; lmCapacity?: Record<string, number>; budget?: number | string }): Promise<BenchLandscape> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'istio-migrate-bench-'));
  const sim = await startSim({ out, port: 0, seed: 1, profile: o.profile, runtimes: o.runtimes, timeScale: o.timeScale, lmCapacity: o.lmCapacity });
  const cfg = YAML.parse(readFileSync(path.join(out, 'config.yaml'), 'utf8')) as { environments: Record<string, Record<string, unknown>>; journal?: unknown };
  for (const env of Object.values(cfg.environments)) env.budgets = { wave: o.budget ?? 1_000_000 };
  cfg.journal = { sqlite: { file: path.join(out, 'journal.db') } };
  const file = path.join(out, 'bench-config.yaml');
  writeFileSync(file, YAML.stringify(cfg), { mode: 0o600 });
  const services = await Services.create({ configFile: file, journalUse: 'create' }); // a fresh journal, as a first plan makes
  return {
    sim,
    services,
    runtimes: JSON.parse(readFileSync(path.join(out, 'runtimes.json'), 'utf8')) as RuntimeFileEntry[],
    close: async () => {
      await services.close();
      await sim.close();
      rmSync(out, { recursive: true, force: true });
    },
  };
}

export interface WaveRun {
  wallMs: number;
  state: string;
  /** Time-weighted mean of runtimes in flight, and the most at once. */
  meanInFlight: number;
  /** Time-weighted mean in flight per tenth of the wave's wall time. */
  inFlightByTenth: number[];
  maxInFlight: number;
  /** Runtimes per second. */
  throughput: number;
  latenciesMs: number[];
  /** Mean of the runtimes' own durations (result.durationMs). */
  meanRuntimeMs: number;
  /** The distinct causes the runner gave for its limit, with how often each was shown. */
  causes: Record<string, number>;
  outcomes: Record<string, number>;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
}

/** Runs `runtimes` of `env` as one wave at `concurrency` through the real runner (`extra`: guard, limiter). */
export async function benchWave(l: BenchLandscape, env: EnvName, runtimes: RuntimeFileEntry[], concurrency: number, extra: Partial<RunnerDeps> = {}): Promise<WaveRun> {
  const journal = await l.services.journal();
  const planned: PlannedRuntime[] = runtimes.map((r) => ({ runtimeId: r.runtimeId, shootName: r.shootName, globalAccountId: r.globalAccountId, subaccountId: r.subaccountId, plan: r.plan, region: r.region }));
  const wave = await journal.createWave({ env, target: 'bench', planHash: 'bench', state: 'running', concurrency, requestedBy: 'bench', approvedBy: null }, planned);
  let inFlight = 0;
  let maxInFlight = 0;
  let area = 0;
  let last = performance.now();
  const changes: [number, number][] = [];
  const latenciesMs: number[] = [];
  const outcomes: Record<string, number> = {};
  const causes: Record<string, number> = {};
  let durations = 0;
  const step = () => {
    const now = performance.now();
    area += inFlight * (now - last);
    last = now;
  };
  const onEvent = (e: WaveEvent) => {
    if (e.waveId !== wave.waveId) return;
    if (e.type === 'limit') {
      const cause = e.limit.cause.replace(/\d+(\.\d+)?/g, 'N');
      causes[cause] = (causes[cause] ?? 0) + 1;
    } else if (e.type === 'runtime-started') {
      step();
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      changes.push([last, inFlight]);
    } else if (e.type === 'runtime-finished') {
      step();
      changes.push([last, --inFlight]);
      const key = e.result.reason ? `${e.result.outcome}/${e.result.reason}` : e.result.outcome;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      durations += e.result.durationMs;
      const ms = patchToReadyMs(e.result);
      if (ms !== undefined) latenciesMs.push(ms);
    }
  };
  l.services.events.on('event', onEvent);
  const t0 = performance.now();
  try {
    const ended = await runWave(
      { journal, access: await l.services.access(env), budget: l.services.budget(env, runtimes.length), holder: l.services.holder, events: l.services.events, throttle: l.services.throttle(env), controlIntervalMs: 50, ...extra },
      wave.waveId,
    );
    const wallMs = performance.now() - t0;
    step();
    return { wallMs, state: ended.state, meanInFlight: area / wallMs, inFlightByTenth: meanByTenth(changes, t0, t0 + wallMs), maxInFlight, throughput: runtimes.length / (wallMs / 1000), latenciesMs, meanRuntimeMs: durations / Math.max(1, runtimes.length), causes, outcomes };
  } finally {
    l.services.events.off('event', onEvent);
  }
}

/**
 * Time-weighted mean of a step function per tenth of [t0, t1]: `changes` are (time, value from then on) in time order
 * (value 0 before the first).
 */
export function meanByTenth(changes: [number, number][], t0: number, t1: number): number[] {
  const out: number[] = [];
  const width = (t1 - t0) / 10;
  for (let k = 0; k < 10; k++) {
    const a = t0 + k * width;
    const b = a + width;
    let area = 0;
    let value = 0;
    let at = a;
    for (const [t, v] of changes) {
      if (t >= b) break;
      if (t > at) {
        area += value * (t - at);
        at = t;
      }
      value = v;
    }
    area += value * (b - at);
    out.push(Math.round((area / width) * 10) / 10);
  }
  return out;
}
