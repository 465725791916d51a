/**
 * A concurrency limiter that follows Lifecycle Manager (DESIGN.md §5): AIMD on LM's own pace, in the manner of
 * Netflix's concurrency-limits (`AIMDLimit`: additive increase, multiplicative decrease on a drop; the
 * no-load latency as in its `VegasLimit`), kept small. LM is the bottleneck of a wave: once it has more
 * Manifests to process than it has workers, each runtime's patch → Manifest Ready takes longer while throughput
 * no longer grows. So, per window of finished runtimes:
 * - a 429 or 5xx answer seen: limit × 0.5 ("backing off: 429/5xx answers");
 * - the window's median patch → Ready latency above `tolerance` × the no-load latency (the lowest window median
 *   seen): limit × 0.8 ("backing off: LM latency ×2.1");
 * - otherwise, with the limit in use: limit × 1.5 until the first back-off (slow start, as TCP and the library's
 *   limits ramp, gentler: LM reacts a round late), then limit + √limit (Gradient2's queue allowance) — towards the
 *   requested concurrency.
 * Never above the requested concurrency, never below 1.
 *
 * Limits: the no-load latency is a minimum over windows that rises by 1 % a window (no probing as Vegas does): a
 * landscape that gets slower for good keeps the limit low for a while. Any slowness reads as LM's: a simulator or
 * API server short of CPU holds the limit down as well. A window's median is robust to a
 * mix of fast and slow runtimes (takeovers and fresh installs) only while that mix stays about the same.
 */

export interface LimiterOptions {
  /** The requested concurrency: the limit never goes above it. */
  max: number;
  /** Where it starts (default min(max, 8): LM's no-load latency is measured at that load). */
  initial?: number;
  /** Latency ratio above which it backs off (default 1.25). */
  tolerance?: number;
  /** Finished runtimes per decision (default 8). */
  window?: number;
}

export type LimiterCause = { kind: 'overload'; answers: number } | { kind: 'latency'; ratio: number } | null;

export class LmLimiter {
  private current: number;
  private max: number;
  private readonly tolerance: number;
  private readonly window: number;
  private samples: number[] = [];
  private overloads = 0;
  private busiest = 0;
  private noLoad: number | undefined;
  private slowStart = true;
  /** Why the limit was last lowered (null: it is not held below the requested concurrency by LM). */
  cause: LimiterCause = null;
  /** The last window's latency ratio to the no-load latency. */
  ratio = 1;

  constructor(o: LimiterOptions) {
    this.max = Math.max(1, Math.floor(o.max));
    this.current = clamp(o.initial ?? Math.min(this.max, 8), this.max);
    this.tolerance = o.tolerance ?? 1.25;
    this.window = o.window ?? 8;
  }

  get limit(): number {
    return Math.floor(this.current);
  }

  /** The requested concurrency changed (set-concurrency): followed at once unless LM is being backed off from. */
  setMax(max: number): void {
    this.max = Math.max(1, Math.floor(max));
    this.current = clamp(this.cause ? this.current : this.max, this.max);
  }

  /** A 429 or 5xx answer from a remote system. */
  overload(): void {
    this.overloads++;
  }

  /** A runtime's patch → Manifest Ready latency, with the number in flight when it finished. */
  sample(latencyMs: number, inFlight: number): void {
    this.samples.push(latencyMs);
    this.busiest = Math.max(this.busiest, inFlight);
    if (this.samples.length < this.window) return;
    const median = [...this.samples].sort((a, b) => a - b)[Math.floor(this.samples.length / 2)];
    this.samples = [];
    // The no-load latency: the lowest window median, forgotten by 1 % a window (a minimum over many noisy windows
    // would only ever fall, and read ordinary noise as load).
    this.noLoad = this.noLoad === undefined ? median : Math.min(this.noLoad * 1.01, median);
    this.ratio = median / this.noLoad;
    const used = this.busiest >= this.limit;
    this.busiest = 0;
    if (this.overloads > 0) {
      this.cause = { kind: 'overload', answers: this.overloads };
      this.overloads = 0;
      this.slowStart = false;
      this.current = clamp(this.current * 0.5, this.max);
    } else if (this.ratio > this.tolerance) {
      this.cause = { kind: 'latency', ratio: this.ratio };
      this.slowStart = false;
      this.current = clamp(this.current * 0.8, this.max);
    } else if (used) {
      this.current = clamp(this.slowStart ? this.current * 1.5 : this.current + Math.sqrt(this.current), this.max);
      if (this.limit >= this.max) this.cause = null;
    }
  }

  /** "backing off: LM latency ×2.1" / "backing off: 429/5xx answers (3)", or null. */
  causeText(): string | null {
    if (!this.cause || this.limit >= this.max) return null;
    return this.cause.kind === 'overload' ? `backing off: 429/5xx answers (${this.cause.answers})` : `backing off: LM latency ×${this.cause.ratio.toFixed(1)}`;
  }
}

function clamp(v: number, max: number): number {
  return Math.min(max, Math.max(1, v));
}
