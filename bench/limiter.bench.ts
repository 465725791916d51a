/**
 * Limiter benchmark (issue 16 §2): Stage waves on a simulated landscape whose Lifecycle Manager has a capacity
 * (lm-load.ts: beyond CAPACITY Manifests at once, its steps take proportionally longer). A sweep of fixed
 * concurrencies (the limiter off) finds the best throughput; then the limiter (lm-limiter.ts) runs at the highest
 * requested concurrency. Goals, reported next to the figures: the limiter's throughput ≥ 0.9 × the sweep's best,
 * and LM's p95 patch → Manifest Ready ≤ 1.5 × its unloaded value (a wave at concurrency 1).
 *
 * Scenario `existing-default` (the common case: LM takes over the old reconciler's Istio), so LM's own steps are
 * most of a runtime's time. Every wave gets runtimes of its own (a migrated runtime cannot be migrated again).
 * The simulator runs in this process: figures are noisy on a shared machine.
 *
 * Run: `npm run build && npm run bench:limiter`. BENCH_TIME_SCALE (default 0.05), BENCH_WAVE_RUNTIMES (default 96).
 */
import { benchLandscape, benchWave, percentile } from './harness.js';

const TIME_SCALE = Number(process.env.BENCH_TIME_SCALE ?? 0.05);
const PER_WAVE = Number(process.env.BENCH_WAVE_RUNTIMES ?? 96);
const CAPACITY = 8;
const SWEEP = [4, 8, 12, 16, 24, 32];
const UNLOADED = 12;

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const needed = UNLOADED + PER_WAVE * (SWEEP.length + 1);
  // Stage is 30 % of the landscape.
  const l = await benchLandscape({ profile: 'existing-default', runtimes: Math.ceil(needed / 0.3) + 10, timeScale: TIME_SCALE, lmCapacity: { stage: CAPACITY } });
  try {
    const stage = l.runtimes.filter((r) => r.env === 'stage' && r.kubeconfig);
    let next = 0;
    const take = (n: number) => stage.slice(next, (next += n));
    const unloaded = await benchWave(l, 'stage', take(UNLOADED), 1);
    const unloadedP95 = percentile(unloaded.latenciesMs, 95);
    const sweep = [];
    for (const c of SWEEP) {
      const w = await benchWave(l, 'stage', take(PER_WAVE), c);
      sweep.push({ concurrency: c, throughputPerS: round(w.throughput), wallMs: Math.round(w.wallMs), lmP95Ms: Math.round(percentile(w.latenciesMs, 95)), p95VsUnloaded: round(percentile(w.latenciesMs, 95) / unloadedP95), outcomes: w.outcomes });
      process.stderr.write(`limiter-bench: fixed ${c}: ${round(w.throughput)} runtimes/s\n`);
    }
    const best = sweep.reduce((a, b) => (b.throughputPerS > a.throughputPerS ? b : a));
    const lim = await benchWave(l, 'stage', take(PER_WAVE), SWEEP[SWEEP.length - 1], { adaptive: true });
    const limP95 = percentile(lim.latenciesMs, 95);
    const report = {
      bench: 'limiter',
      timeScale: TIME_SCALE,
      lmCapacity: CAPACITY,
      runtimesPerWave: PER_WAVE,
      unloaded: { concurrency: 1, runtimes: UNLOADED, lmP95Ms: Math.round(unloadedP95) },
      sweep,
      best: { concurrency: best.concurrency, throughputPerS: best.throughputPerS },
      limiter: {
        requested: SWEEP[SWEEP.length - 1],
        throughputPerS: round(lim.throughput),
        meanInFlight: round(lim.meanInFlight, 1),
        maxInFlight: lim.maxInFlight,
        lmP95Ms: Math.round(limP95),
        p95VsUnloaded: round(limP95 / unloadedP95),
        throughputVsBest: round(lim.throughput / best.throughputPerS),
        outcomes: lim.outcomes,
      },
      goals: { throughputGe09xBest: lim.throughput / best.throughputPerS >= 0.9, p95Le15xUnloaded: limP95 / unloadedP95 <= 1.5 },
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await l.close();
  }
}

await main();
