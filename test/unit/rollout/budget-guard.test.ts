/**
 * The budget guard (DESIGN.md C4) against a table computed independently: the expected n of each row is the
 * largest n ≤ max with P(Binomial(n, p) > budget − f) ≤ α, where p is the upper one-sided (1−α) Clopper–Pearson
 * bound — found here by bisection on exact binomial sums (P(Binomial(s + f, p) ≤ f) = α), not by a beta quantile.
 * The literal `n` column was computed that way (outside the project, with exact integer binomial coefficients);
 * `exactAllowed` below recomputes each row with the sums written out, so a reader can check the table itself.
 */
import { describe, expect, it } from '@jest/globals';
import { allowedInFlight, failureRateBound, overshootRisk, rateText } from '../../../src/rollout/budget-guard.js';
import { cpUpper, tailGt } from '../../helpers/binomial.js';

function exactAllowed(s: number, f: number, budget: number, alpha: number, max: number): number {
  const left = budget - f;
  if (left <= 0) return 0;
  const p = cpUpper(s, f, alpha);
  let best = 0;
  for (let n = 1; n <= max; n++) {
    const ok = alpha === 0 ? n <= left : n <= left || (p < 1 && tailGt(n, left, p) <= alpha);
    if (!ok) break;
    best = n;
  }
  return best;
}

// s, f (the wave's own: history 0), budget, α, max (requested concurrency) → allowed n in flight
const TABLE: [number, number, number, number, number, number][] = [
  [0, 0, 1, 0.01, 16, 1], // no history: p = 1, the strict rule; budget 1 runs one at a time
  [0, 0, 3, 0.01, 16, 3],
  [5, 0, 1, 0.01, 16, 1],
  [20, 0, 1, 0.01, 16, 1],
  [100, 0, 1, 0.01, 16, 3], // budget 1 widens only after a long clean run
  [100, 0, 1, 0, 16, 1], // α = 0: the strict rule whatever the history
  [10, 0, 3, 0, 16, 3],
  [10, 0, 3, 0.01, 16, 3],
  [30, 0, 3, 0.01, 16, 6],
  [60, 0, 3, 0.01, 16, 12],
  [57, 1, 3, 0.01, 16, 4],
  [40, 2, 3, 0.01, 16, 1],
  [50, 3, 3, 0.01, 16, 0], // the budget is spent
  [200, 0, 3, 0.001, 100, 13], // Prod's α
  [200, 5, 10, 0.001, 100, 16],
  [200, 5, 10, 0.01, 100, 30],
  [30, 0, 16, 0.01, 16, 16], // never above the requested concurrency
  [0, 0, 16, 0.01, 16, 16],
  [1000, 0, 2, 0.01, 1000, 95],
];

describe('src/rollout/budget-guard.ts', () => {
  it.each(TABLE)('s=%d f=%d budget=%d α=%d max=%d → %d in flight', (s, f, budget, alpha, max, n) => {
    expect(exactAllowed(s, f, budget, alpha, max)).toBe(n); // the table itself, from the sums above
    expect(allowedInFlight({ s, f, waveFailures: f, budget, alpha, max }).limit).toBe(n);
  });

  it('uses weighted history for the rate, but only the wave’s own failures against the budget', () => {
    // History of 2 failures weighted in: p is wider than with none, but budget − f counts the wave's 0 failures.
    const withHistory = allowedInFlight({ s: 60, f: 2, waveFailures: 0, budget: 3, alpha: 0.01, max: 16 });
    const clean = allowedInFlight({ s: 60, f: 0, waveFailures: 0, budget: 3, alpha: 0.01, max: 16 });
    expect(withHistory.left).toBe(3);
    expect(withHistory.limit).toBeGreaterThanOrEqual(3);
    expect(withHistory.limit).toBeLessThan(clean.limit);
  });

  it('bounds the failure rate as Clopper–Pearson does (closed form with f = 0: 1 − α^(1/s))', () => {
    expect(failureRateBound(10, 0, 0.01)).toBeCloseTo(1 - 0.01 ** (1 / 10), 10);
    expect(failureRateBound(57, 1, 0.01)).toBeCloseTo(cpUpper(57, 1, 0.01), 8);
    expect(failureRateBound(0, 0, 0.01)).toBe(1);
    expect(overshootRisk(5, 0.1, 2)).toBeCloseTo(tailGt(5, 2, 0.1), 12);
    expect(overshootRisk(2, 1, 2)).toBe(0);
    expect(overshootRisk(3, 1, 2)).toBe(1);
  });

  it('says the rate it used', () => {
    expect(rateText({ p: 0.049, alpha: 0.01 })).toBe('failure rate ≤ 4.9 % at 99 %');
    expect(rateText({ p: 0.12, alpha: 0.001 })).toBe('failure rate ≤ 12 % at 99.9 %');
    expect(rateText({ p: 1, alpha: 0.01 })).toBe('no history yet');
    expect(rateText({ p: 1, alpha: 0 })).toBe('strict rule (α = 0)');
  });
});
