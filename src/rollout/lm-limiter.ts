/**
 * A concurrency limiter that follows Lifecycle Manager (DESIGN.md §5): a gradient limiter in the manner of Netflix's
 * concurrency-limits (`Gradient2Limit`: new limit = limit × no-load latency / latency, smoothed; the no-load latency
 * as in its `VegasLimit`), with TCP Vegas's rule of judging a change only by what was sent after it, kept small.
 * LM is the bottleneck of a wave: once it has more Manifests to process than it has workers, each runtime's patch →
 * Manifest Ready takes longer while throughput no longer grows — for a saturated worker pool, latency / no-load
 * latency ≈ in flight / LM's capacity, so limit × no-load / latency lands on the capacity in one step. Per window of
 * finished runtimes patched since the limit last changed (older ones show the load of an older limit: LM answers a
 * round late):
 * - a 429 or 5xx answer seen: limit × 0.5 ("backing off: 429/5xx answers");
 * - the latency ratio (window median / no-load latency) above `target`: limit × target / ratio, at least × 0.5
 *   ("backing off: LM latency ×1.6");
 * - otherwise, with the limit in use: × 1.5 while the ratio stays flat (slow start; it ends at the first rise above
 *   `flat`), then half-way towards limit × target / ratio (the smoothing) and at least + 1 — towards the requested
 *   concurrency.
 * Never above the requested concurrency, never below 1.
 *
 * Limits: the no-load latency is the lowest window's lower quartile over the wave, never forgotten (no probing as
 * Vegas does): a landscape that gets slower for good during a wave keeps the limit low. Nothing is known of LM before the
 * first runtimes finish, so the start (`initial`) is a bet: above LM's capacity the first round is slow for every
 * runtime in it. Any slowness reads as LM's: a simulator or API server short of CPU holds the limit down as well. A
 * window's median is robust to a mix of fast and slow runtimes (takeovers and fresh installs) only while that mix
 * stays about the same.
 */

export interface LimiterOptions {
  /** The requested concurrency: the limit never goes above it. */
  max: number;
  /** Where it starts (default min(max, 8)). */
  initial?: number;
  /** The latency ratio it settles at, LM's queue allowance (default 1.2). */
  target?: number;
  /**
   * The latency ratio up to which LM counts as unloaded: slow start ends above it (default 1.15; clusters differ by
   * up to 20 %, so an unloaded window's median / lower quartile is about 1.05).
   */
  flat?: number;
  /** Finished runtimes per decision (default min(8, limit)). */
  window?: number;
  /** The clock (ms), for tests. */
  now?: () => number;
}

export type LimiterCause = { kind: 'overload'; answers: number } | { kind: 'latency'; ratio: number } | null;

export class LmLimiter {
  private current: number;
  private max: number;
  private readonly target: number;
  private readonly flat: number;
  private readonly window: number | undefined;
  private readonly now: () => number;
  private samples: number[] = [];
  private overloads = 0;
  private busiest = 0;
  private noLoad: number | undefined;
  private slowStart = true;
  /** When the limit last changed: samples of runtimes patched before show an older limit's load. */
  private changedAt: number;
  /** Why the limit was last lowered (null: it is not held below the requested concurrency by LM). */
  cause: LimiterCause = null;
  /** The last window's latency ratio to the no-load latency. */
  ratio = 1;

  constructor(o: LimiterOptions) {
    this.max = Math.max(1, Math.floor(o.max));
    this.current = clamp(o.initial ?? Math.min(this.max, 8), this.max);
    this.target = o.target ?? 1.2;
    this.flat = o.flat ?? 1.15;
    this.window = o.window;
    this.now = o.now ?? Date.now;
    this.changedAt = this.now();
  }

  get limit(): number {
    return Math.floor(this.current);
  }

  /** The requested concurrency changed (set-concurrency): followed at once unless LM is being backed off from. */
  setMax(max: number): void {
    this.max = Math.max(1, Math.floor(max));
    this.set(this.cause ? this.current : this.max);
  }

  /** A 429 or 5xx answer from a remote system. */
  overload(): void {
    this.overloads++;
  }

  /** A runtime's patch → Manifest Ready latency, told when it finished, with the number in flight then. */
  sample(latencyMs: number, inFlight: number): void {
    if (this.now() - latencyMs < this.changedAt && this.overloads === 0) return; // patched under an older limit
    this.samples.push(latencyMs);
    this.busiest = Math.max(this.busiest, inFlight);
    if (this.samples.length < (this.window ?? Math.min(8, this.limit))) return;
    const sorted = [...this.samples].sort((a, b) => a - b);
    this.samples = [];
    const median = sorted[Math.floor(sorted.length / 2)];
    // The no-load latency: the lowest window's lower quartile (its fastest runtimes, served first by a busy LM; a
    // quartile, not the fastest one, so that one lucky runtime does not read as everyone else's load). Never
    // forgotten: a forgetting minimum creeps up under steady load and reads that load as the no-load latency.
    const low = sorted[Math.floor(sorted.length / 4)];
    this.noLoad = Math.min(this.noLoad ?? low, low);
    this.ratio = median / this.noLoad;
    const used = this.busiest >= this.limit;
    this.busiest = 0;
    if (this.overloads > 0) {
      this.cause = { kind: 'overload', answers: this.overloads };
      this.overloads = 0;
      this.slowStart = false;
      this.set(this.current * 0.5);
    } else if (this.ratio > this.target) {
      this.cause = { kind: 'latency', ratio: this.ratio };
      this.slowStart = false;
      this.set(this.current * Math.max(0.5, this.target / this.ratio));
    } else if (used) {
      if (this.ratio > this.flat) this.slowStart = false;
      const gradient = this.current + Math.max(1, (this.current * (this.target / this.ratio - 1)) / 2);
      this.set(this.slowStart ? this.current * 1.5 : gradient);
      if (this.limit >= this.max) this.cause = null;
    }
  }

  /** "backing off: LM latency ×2.1" / "backing off: 429/5xx answers (3)", or null. */
  causeText(): string | null {
    if (!this.cause || this.limit >= this.max) return null;
    return this.cause.kind === 'overload' ? `backing off: 429/5xx answers (${this.cause.answers})` : `backing off: LM latency ×${this.cause.ratio.toFixed(1)}`;
  }

  private set(v: number): void {
    const next = clamp(v, this.max);
    if (Math.floor(next) !== this.limit) this.changedAt = this.now();
    this.current = next;
  }
}

function clamp(v: number, max: number): number {
  return Math.min(max, Math.max(1, v));
}
