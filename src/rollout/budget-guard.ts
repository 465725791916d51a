/**
 * The error-budget guard (DESIGN.md C4): how many runtimes may be in flight given what the wave has seen.
 *
 * At each start, with `n` = runtimes in flight including the one about to start, `s` and `f` = finished runtimes
 * without and with a platform failure (customer outcomes count as `s`), and `p` = the upper one-sided (1−α)
 * Clopper–Pearson bound of the failure rate (`p` = 1 with no history): start while
 * P(Binomial(n, p) > budget − f) ≤ α. With `p` = 1 (or α = 0) this is the strict rule n ≤ budget − f.
 *
 * `s` and `f` that estimate `p` may carry weighted history (earlier waves of the environment and of the one before
 * it in the runbook, `priorOf` below); the `f` in `budget − f` is always the wave's own failures.
 *
 * Limit: the binomial model treats runtimes as independent. Correlated failures (a region outage) break it; the
 * small α is the margin for that (bench/budget.bench.ts measures how much).
 */
import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';
import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import type { Journal } from '../journal/journal.js';
import { ENDED_WAVE_STATES } from '../journal/ids-and-states.js';
import { classOf, type Outcome } from '../migration/outcomes.js';

/**
 * The upper one-sided (1−α) Clopper–Pearson bound of a failure rate from `s` successes and `f` failures (weights
 * may be fractional): the (1−α) quantile of Beta(f + 1, s). 1 without a success seen, or with α = 0.
 */
export function failureRateBound(s: number, f: number, alpha: number): number {
  if (alpha <= 0 || s <= 0) return 1;
  return Math.min(1, betaQuantile(1 - alpha, f + 1, s));
}

/** P(Binomial(n, p) > left): the risk that `n` runtimes in flight bring more than `left` platform failures. */
export function overshootRisk(n: number, p: number, left: number): number {
  if (left < 0) return 1;
  if (n <= left || p <= 0) return 0;
  if (p >= 1) return 1;
  return Math.max(0, 1 - binomialCdf(left, n, p));
}

export interface GuardInput {
  /** Finished without a platform failure (history included, weighted). */
  s: number;
  /** Finished with a platform failure (history included, weighted): estimates the rate. */
  f: number;
  /** The wave's own platform failures (what the budget counts). */
  waveFailures: number;
  budget: number;
  alpha: number;
  /** The most that may ever be in flight (the requested concurrency). */
  max: number;
}

export interface GuardDecision {
  /** How many may be in flight now (0: none; the budget is spent). */
  limit: number;
  /** Failures the budget still allows (budget − f). */
  left: number;
  /** The failure-rate bound used. */
  p: number;
  alpha: number;
}

/** The largest n ≤ max with P(Binomial(n, p) > budget − f) ≤ α (the strict n ≤ budget − f when α = 0 or p = 1). */
export function allowedInFlight(g: GuardInput): GuardDecision {
  const left = g.budget - g.waveFailures;
  const p = failureRateBound(g.s, g.f, g.alpha);
  const max = Math.max(0, Math.floor(g.max));
  if (left <= 0) return { limit: 0, left: Math.max(0, left), p, alpha: g.alpha };
  const strict = Math.min(max, left);
  if (g.alpha <= 0 || p >= 1 || strict === max) return { limit: strict, left, p, alpha: g.alpha };
  // The risk grows with n: binary search for the last n whose risk stays ≤ α (n = left has risk 0).
  let lo = strict;
  let hi = max;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (overshootRisk(mid, p, left) <= g.alpha) lo = mid;
    else hi = mid - 1;
  }
  return { limit: lo, left, p, alpha: g.alpha };
}

/** Weighted history for a wave's guard: successes and platform failures of earlier waves. */
export interface GuardPrior {
  s: number;
  f: number;
  /** Waves counted (for the plan and the cause text). */
  waves: number;
}

export const NO_PRIOR: GuardPrior = { s: 0, f: 0, waves: 0 };

/** The environment before each one in the runbook (Dev → Stage → Prod). */
export const PREVIOUS_ENV: Record<string, string | undefined> = { dev: undefined, stage: 'dev', prod: 'stage' };


/**
 * History from the journal: the finished runtimes of ended waves of `env` and of the environment before it in the
 * runbook, each counted with `weight` (C4: default 0.5). Skipped runtimes (not eligible) count for neither side.
 * `exclude`: the wave itself (its own results count in full, by the runner).
 */
export async function priorOf(journal: Journal, env: string, weight: number, exclude?: string): Promise<GuardPrior> {
  if (weight <= 0) return NO_PRIOR;
  const envs = [env, PREVIOUS_ENV[env]].filter((e): e is string => !!e);
  let s = 0;
  let f = 0;
  let waves = 0;
  for (const e of envs) {
    for (const w of await journal.listWaves({ env: e, states: [...ENDED_WAVE_STATES] })) {
      if (w.waveId === exclude) continue;
      let counted = false;
      for (const row of await journal.countWaveRuntimes(w.waveId)) {
        if (row.state !== 'finished' || !row.outcome) continue;
        const cls = classOf(row.outcome as Outcome);
        if (cls === 'not-eligible') continue;
        counted = true;
        if (cls === 'platform') f += row.n;
        else s += row.n;
      }
      if (counted) waves++;
    }
  }
  return { s: s * weight, f: f * weight, waves };
}

/** "failure rate ≤ 4.9 % at 99 %" (or "no history yet" while p = 1). */
export function rateText(d: Pick<GuardDecision, 'p' | 'alpha'>): string {
  if (d.alpha <= 0) return 'strict rule (α = 0)';
  if (d.p >= 1) return 'no history yet';
  return `failure rate ≤ ${pct(d.p)} at ${pct(1 - d.alpha)}`;
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10} %`;
}

/** What the plan says about concurrency: the guard at the start, and a clean wave's ramp (for the ETA). */
export interface ExpectedConcurrency {
  /** What the guard allows at the start (history included). */
  atStart: number;
  /** Runtimes that must finish cleanly before the requested concurrency is allowed (null: never, for this wave). */
  fullAfter: number | null;
  /** Rounds of runtimes a clean wave takes under the guard (each round: as many as allowed, one runtime's time). */
  rounds: number;
}

/**
 * A clean wave of `runtimes` under the guard: round by round, as many start as the guard allows given the clean
 * runtimes so far (plus the prior). An estimate for the plan: failures, LM's pace and the limiter can only slow it.
 */
export function expectedConcurrency(o: { runtimes: number; budget: number; alpha: number; requested: number; prior: GuardPrior }): ExpectedConcurrency {
  const max = Math.max(1, Math.min(o.requested, o.runtimes || 1));
  const at = (done: number) => allowedInFlight({ s: o.prior.s + done, f: o.prior.f, waveFailures: 0, budget: o.budget, alpha: o.alpha, max }).limit;
  const atStart = at(0);
  let done = 0;
  let rounds = 0;
  let fullAfter: number | null = atStart >= max ? 0 : null;
  while (done < o.runtimes) {
    const c = Math.max(1, at(done));
    if (fullAfter === null && c >= max) fullAfter = done;
    done += c;
    rounds++;
  }
  return { atStart, fullAfter, rounds };
}
