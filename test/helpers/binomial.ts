/**
 * Exact binomial sums written out, for tests that hold the budget guard (C4) to a rule computed independently of
 * src/rollout/budget-guard.ts: no beta quantile, only term-by-term sums and a bisection.
 */

/** C(n, k) as a double (n ≤ 1000 here; exact for small n, relative error ~1e-15 beyond). */
export function choose(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

export function pmf(n: number, k: number, p: number): number {
  return choose(n, k) * p ** k * (1 - p) ** (n - k);
}

/** P(Binomial(n, p) ≤ k), summed term by term. */
export function cdfLe(n: number, k: number, p: number): number {
  let sum = 0;
  for (let i = 0; i <= Math.min(k, n); i++) sum += pmf(n, i, p);
  return sum;
}

/** P(Binomial(n, p) > k), summed term by term from the top (no cancellation). */
export function tailGt(n: number, k: number, p: number): number {
  if (k < 0) return 1;
  let sum = 0;
  for (let i = k + 1; i <= n; i++) sum += pmf(n, i, p);
  return sum;
}

/** Clopper–Pearson upper bound on the failure rate after s clean and f failed, by bisection on the exact CDF. */
export function cpUpper(s: number, f: number, alpha: number): number {
  if (alpha === 0 || s === 0) return 1;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (cdfLe(s + f, f, mid) > alpha) lo = mid;
    else hi = mid;
  }
  return hi;
}
