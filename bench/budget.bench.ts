/**
 * Budget guard benchmark (issue 16 §1, DESIGN.md C4): how often does a wave's platform failures end above its
 * budget under the guard, next to α — on 200 seeded waves with independent failures and 200 with an injected
 * region outage (every runtime of one region that is in flight or starts during the outage fails: correlated
 * failures the binomial model does not expect). The runner's start rule is replayed in virtual time with the real
 * guard (`allowedInFlight`); the migration itself is a duration and a failure draw, so this runs in about a second.
 *
 * Also printed: how long the waves took relative to the strict rule (α = 0: in flight ≤ budget − failures), and
 * with a per-region cap on runtimes in flight (at most the failures left, so one region alone cannot overshoot).
 *
 * Run: `npm run build && npm run bench:budget`. Prints one JSON document; nothing fails.
 */
import { allowedInFlight } from '../src/rollout/budget-guard.js';
import { seededRandom } from '../src/targets/resolve.js';

const WAVES = 200;
const RUNTIMES = 100;
const BUDGET = 5; // 5 % of 100
const REQUESTED = 16;
const REGIONS = ['eu10', 'eu20', 'us10', 'ap10'];
const T = 60; // seconds per runtime before its own spread

interface Scenario {
  kind: 'independent' | 'outage';
  seed: number;
  /** Per-runtime failure probability outside an outage. */
  q: number;
  outage?: { region: string; from: number; to: number };
}

interface WaveOutcome {
  failures: number;
  overshot: boolean;
  seconds: number;
  maxInFlight: number;
  finished: number;
}

/** One wave under the guard with α (and an optional per-region cap), in virtual time. */
function runWave(sc: Scenario, alpha: number, regionCap: boolean): WaveOutcome {
  const rand = seededRandom(sc.seed);
  const rts = Array.from({ length: RUNTIMES }, (_, i) => ({ region: REGIONS[Math.floor(rand() * REGIONS.length)], duration: T * (1 + 0.2 * rand()), draw: rand(), i }));
  const pending = [...rts];
  const flying: { at: number; rt: (typeof rts)[number]; startedAt: number }[] = [];
  let now = 0;
  let s = 0;
  let f = 0;
  let maxInFlight = 0;
  let finished = 0;
  const perRegion = new Map<string, number>();
  const failsAt = (rt: (typeof rts)[number], startedAt: number, endAt: number): boolean => {
    const o = sc.outage;
    if (o && rt.region === o.region && startedAt < o.to && endAt > o.from) return true;
    return rt.draw < sc.q;
  };
  while (true) {
    if (f < BUDGET) {
      const limit = allowedInFlight({ s, f, waveFailures: f, budget: BUDGET, alpha, max: REQUESTED }).limit;
      const left = BUDGET - f;
      for (let k = 0; k < pending.length && flying.length < limit; ) {
        const rt = pending[k];
        if (regionCap && (perRegion.get(rt.region) ?? 0) >= left) {
          k++;
          continue;
        }
        pending.splice(k, 1);
        perRegion.set(rt.region, (perRegion.get(rt.region) ?? 0) + 1);
        flying.push({ at: now + rt.duration, rt, startedAt: now });
      }
    }
    maxInFlight = Math.max(maxInFlight, flying.length);
    if (!flying.length) break;
    flying.sort((a, b) => a.at - b.at);
    const next = flying.shift()!;
    now = next.at;
    perRegion.set(next.rt.region, perRegion.get(next.rt.region)! - 1);
    finished++;
    if (failsAt(next.rt, next.startedAt, next.at)) f++;
    else s++;
  }
  return { failures: f, overshot: f > BUDGET, seconds: now, maxInFlight, finished };
}

function scenarios(kind: Scenario['kind']): Scenario[] {
  return Array.from({ length: WAVES }, (_, i) => {
    const rand = seededRandom(10_000 + i + (kind === 'outage' ? 50_000 : 0));
    if (kind === 'independent') return { kind, seed: i + 1, q: 0.1 * rand() };
    // A clean-ish landscape (1 % failures) with one region down for 5 runtime-durations, starting early in the wave.
    const from = rand() * 4 * T;
    return { kind, seed: 20_000 + i, q: 0.01, outage: { region: REGIONS[Math.floor(rand() * REGIONS.length)], from, to: from + 5 * T } };
  });
}

function summarise(kind: Scenario['kind'], alpha: number, regionCap: boolean) {
  const strict = scenarios(kind).map((sc) => runWave(sc, 0, false));
  const runs = scenarios(kind).map((sc) => runWave(sc, alpha, regionCap));
  const overshot = runs.filter((r) => r.overshot).length;
  const strictOvershot = strict.filter((r) => r.overshot).length;
  // Time is compared on waves that finished every runtime in both (a budget-stopped wave's time says little).
  const both = runs.map((r, i) => [r, strict[i]] as const).filter(([r, st]) => r.finished === RUNTIMES && st.finished === RUNTIMES);
  const ratio = both.length ? both.reduce((n, [r, st]) => n + r.seconds / st.seconds, 0) / both.length : null;
  return {
    kind,
    alpha,
    regionCap,
    waves: WAVES,
    overshotWaves: overshot,
    overshotShare: overshot / WAVES,
    strictOvershotWaves: strictOvershot,
    meanExcessWhenOvershot: overshot ? runs.filter((r) => r.overshot).reduce((n, r) => n + r.failures - BUDGET, 0) / overshot : 0,
    meanMaxInFlight: runs.reduce((n, r) => n + r.maxInFlight, 0) / WAVES,
    timeVsStrictRule: ratio === null ? null : Math.round(ratio * 1000) / 1000,
    completedWaves: runs.filter((r) => r.finished === RUNTIMES).length,
  };
}

const started = performance.now();
const results = [0.01, 0.001].flatMap((alpha) => [summarise('independent', alpha, false), summarise('outage', alpha, false), summarise('outage', alpha, true)]);
console.log(
  JSON.stringify({
    bench: 'budget',
    model: { runtimes: RUNTIMES, budget: BUDGET, requestedConcurrency: REQUESTED, regions: REGIONS.length, independent: 'q ~ U(0, 10 %) per wave', outage: '1 % background, one region fails for 5 runtime-durations early in the wave' },
    note: 'α bounds the risk of each start decision, not of a whole wave: a wave makes many decisions, so its overshoot share can exceed α',
    results,
    ms: Math.round(performance.now() - started),
  }),
);
