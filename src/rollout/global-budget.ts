/**
 * The global error budget (config `globalBudget`, DESIGN.md §5, C4; the guard of budget-guard.ts over the ledger, with the smallest α of its waves): one ledger of platform failures + runtimes in
 * flight over every wave running under it. A wave runner joins it when it starts and leaves when it ends; a new
 * runtime starts only while the wave's own budget AND the global one allow it, and a wave whose global failures
 * reach the global budget ends `budget-stopped` as it would for its own budget.
 *
 * Counting: each wave brings its platform failures so far (a resumed wave brings those of its earlier runs, as its
 * own budget counts them) and its runtimes in flight; a wave's counts leave the ledger with it (the budget is over
 * the *running* waves) — except that a wave stopped by a budget keeps its failures in the ledger until it runs again
 * (resume, retry-failed: it joins afresh), is aborted (`release`) or the process restarts. Otherwise the first wave
 * to stop would take its failures away and let the others start again: the budget must stay spent. A percent budget is of the eligible runtimes of the waves currently in the ledger, rounded
 * down, at least 1 — so it grows when another wave joins and shrinks when one leaves.
 *
 * The ledger lives in one process (`Services`). With several bot replicas on PostgreSQL only the leader runs waves
 * (docs/ha.md), so its ledger is the deployment's; a new leader rebuilds it from the journal before it resumes any
 * wave (`hold`: every wave it is about to resume, with its failures so far, and the waves stopped by a budget while
 * those ran), so that the counts carry over exactly. Waves run from the shell or the console in another process are
 * not in the bot's ledger. (At most one wave runs per environment, so a ledger holds at most one wave per environment.)
 *
 * Every check-and-reserve is synchronous (no await in between), so two waves of one process never both take the
 * last unit of the budget: it is never overshot.
 */
import { resolveBudget } from '../config/config.js';
import { allowedInFlight, NO_PRIOR, type GuardPrior } from './budget-guard.js';

/** How a wave's counts feed the global budget guard (C4: the same rule as a wave's own budget). */
export interface GlobalGuardInput {
  /** The wave's α (the ledger uses the smallest α of its waves); default 0, the strict rule. */
  alpha?: number;
  /** The wave's finished runtimes without a platform failure so far. */
  successes?: number;
  /** The wave's weighted history. */
  prior?: GuardPrior;
}

interface Entry {
  eligible: number;
  failures: number;
  successes: number;
  alpha: number;
  prior: GuardPrior;
  inFlight: number;
  /** Left the ledger stopped by a budget: only its failures are kept. */
  retained?: boolean;
}

/** One wave's place in the ledger. */
export interface GlobalBudgetSlot {
  /**
   * Whether the global budget allows one more start now: the budget guard (C4) over all waves in the ledger — their
   * runtimes in flight plus this one, their successes and failures (and histories), the smallest α among them.
   */
  canStart(): boolean;
  /** Counts a runtime of this wave in flight (call right after `canStart()`, without awaiting in between). */
  started(): void;
  /**
   * A runtime of this wave is no longer in flight; `platformFailure` counts it as a failure, `evidence: false` (a
   * not-eligible result) as neither failure nor success.
   */
  finished(platformFailure: boolean, evidence?: boolean): void;
  /** Whether the global failures alone have spent the budget (then no wave starts again until some leave). */
  exhausted(): boolean;
  /** Platform failures over all waves in the ledger, and the budget they are measured against. */
  usage(): { failures: number; inFlight: number; budget: number };
  /**
   * Leaves the ledger (the wave ended or stopped); idempotent. `keepFailures` (the wave was stopped by a budget):
   * its failures (and eligible runtimes) stay counted until the wave joins again or is released.
   */
  leave(keepFailures?: boolean): void;
}

export class GlobalBudget {
  private readonly waves = new Map<string, Entry>();
  private readonly listeners = new Set<() => void>();

  /** `budget`: a count or a percentage (`"5%"`), as in the config. */
  constructor(readonly budget: number | string) {}

  /** The budget as a count now: a percentage of the eligible runtimes of the waves in the ledger (C4 rounding). */
  resolved(): number {
    let eligible = 0;
    for (const e of this.waves.values()) eligible += e.eligible;
    return resolveBudget(this.budget, eligible);
  }

  private totals(): { failures: number; inFlight: number } {
    let failures = 0;
    let inFlight = 0;
    for (const e of this.waves.values()) {
      failures += e.failures;
      inFlight += e.inFlight;
    }
    return { failures, inFlight };
  }

  /** The guard over the ledger: may one more runtime be in flight? */
  private allows(): boolean {
    let failures = 0;
    let inFlight = 0;
    let s = 0;
    let f = 0;
    let alpha = Infinity;
    for (const e of this.waves.values()) {
      failures += e.failures;
      inFlight += e.inFlight;
      s += e.successes + e.prior.s;
      f += e.failures + e.prior.f;
      if (!e.retained) alpha = Math.min(alpha, e.alpha);
    }
    const n = inFlight + 1;
    return allowedInFlight({ s, f, waveFailures: failures, budget: this.resolved(), alpha: Number.isFinite(alpha) ? alpha : 0, max: n }).limit >= n;
  }

  /** Told whenever a runtime of any wave finishes or a wave leaves (a waiting wave may start again). */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  /** Forgets a wave's retained failures (it was aborted); a wave running here is left alone (its runner leaves). */
  release(waveId: string): void {
    if (this.waves.get(waveId)?.retained && this.waves.delete(waveId)) this.changed();
  }

  /**
   * Counts a wave's failures before its runner joins (a new leader rebuilding the ledger, `retained`: a wave stopped by
   * a budget); unless the wave is in the ledger already. Returns a function that takes the entry out again, unless a
   * runner has joined since.
   */
  hold(waveId: string, eligible: number, failures: number, retained = false): () => void {
    if (this.waves.has(waveId)) return () => undefined;
    // No α of its own (it does not loosen nor tighten the others' guard) and no successes counted: conservative.
    const entry: Entry = { eligible, failures, successes: 0, alpha: Number.POSITIVE_INFINITY, prior: NO_PRIOR, inFlight: 0, retained };
    this.waves.set(waveId, entry);
    return () => {
      if (this.waves.get(waveId) === entry && this.waves.delete(waveId)) this.changed();
    };
  }

  /** Joins a wave with its eligible runtimes and its platform failures so far. A second join of one wave replaces the first. */
  join(waveId: string, eligible: number, failures: number, guard: GlobalGuardInput = {}): GlobalBudgetSlot {
    const entry: Entry = { eligible, failures, successes: guard.successes ?? 0, alpha: guard.alpha ?? 0, prior: guard.prior ?? NO_PRIOR, inFlight: 0 };
    this.waves.set(waveId, entry);
    const live = () => this.waves.get(waveId) === entry;
    return {
      canStart: () => this.allows(),
      started: () => {
        entry.inFlight++;
      },
      finished: (platformFailure, evidence = true) => {
        entry.inFlight--;
        if (platformFailure) entry.failures++;
        else if (evidence) entry.successes++;
        if (live()) this.changed();
      },
      exhausted: () => this.totals().failures >= this.resolved(),
      usage: () => ({ ...this.totals(), budget: this.resolved() }),
      leave: (keepFailures = false) => {
        if (!live()) return;
        if (keepFailures) this.waves.set(waveId, { ...entry, inFlight: 0, retained: true });
        else this.waves.delete(waveId);
        this.changed();
      },
    };
  }
}
