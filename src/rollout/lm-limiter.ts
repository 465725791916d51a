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
 * - otherwise, with the limit in use: × 1.25 while the ratio stays flat (slow start; it ends at the first rise above
 *   `flat`), then half-way towards limit × target / ratio (the smoothing) and at least + 1 — towards the requested
 *   concurrency.
 * Never above the requested concurrency, never below 1.
 *
 * The no-load latency is the lowest window median of the wave (medians against medians: a landscape whose runtimes
 * differ a lot does not read its own spread as load). A window run with at most `floor` (default 2) in flight
 * cannot have loaded LM: if its latency is still above `target`, the slowness is not LM's load (a slower landscape, a
 * busy API server, a lucky first window) and that window's median becomes the no-load latency, with slow start again.
 * Without this, one fast window early in a wave held a 10,000-runtime wave at 1 in flight for good ("backing off:
 * LM latency ×1.3" with one runtime in flight).
 *
 * Limits: a landscape that gets slower for good during a wave costs one series of back-offs down to `floor` and a
 * slow start. Nothing is known of LM before the
 * first runtimes finish, so the start (`initial`) is a bet: above LM's capacity the first round is slow for every
 * runtime in it. Any slowness reads as LM's: a simulator or API server short of CPU holds the limit down as well. A
 * window's median is robust to a mix of fast and slow runtimes (takeovers and fresh installs) only while that mix
 * stays about the same.
 */

export interface LimiterOptions {
  /** The requested concurrency: the limit never goes above it. */
  max: number;
  /**
   * Where it starts. Default: the requested concurrency up to `TRUSTED_START` (16, what the scripts ran with under
   * `kcp taskrun -p 16`: no more than they put on LM at once), else 8, from where it probes. The commands pass
   * what the environment's last wave learned instead (`learnedLmStart`), when there is one.
   */
  initial?: number;
  /** The latency ratio (window median / no-load latency) it settles at, LM's queue allowance (default 1.1). */
  target?: number;
  /**
   * The latency ratio up to which LM counts as unloaded: slow start (× 1.25 a window: gentle, as the first rounds
   * above LM's capacity are slow for every runtime in them) ends above it (default 1.08; a window median of 8 varies
   * by a few per cent when clusters differ by up to 20 %).
   */
  flat?: number;
  /** Finished runtimes per decision (default 8: fewer read one runtime's spread as LM's load). */
  window?: number;
  /** In flight up to which a window cannot have loaded LM (default 2): its latency is no-load, whatever it is. */
  floor?: number;
  /** The clock (ms), for tests. */
  now?: () => number;
}

/** A requested concurrency up to this starts as asked: the scripts' `-p 16` put as much on LM from the start. */
export const TRUSTED_START = 16;

export type LimiterCause = { kind: 'overload'; answers: number } | { kind: 'latency'; ratio: number } | null;

export class LmLimiter {
  private current: number;
  private max: number;
  private readonly target: number;
  private readonly flat: number;
  private readonly window: number;
  private readonly floor: number;
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
    this.current = clamp(o.initial ?? (this.max <= TRUSTED_START ? this.max : 8), this.max);
    this.target = o.target ?? 1.1;
    this.flat = o.flat ?? 1.08;
    this.window = o.window ?? 8;
    this.floor = o.floor ?? 2;
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
    if (this.samples.length < this.window) return;
    const sorted = [...this.samples].sort((a, b) => a - b);
    this.samples = [];
    const median = sorted[Math.floor(sorted.length / 2)];
    // The no-load latency: the lowest window median. Not forgotten as time passes (a forgetting minimum creeps up
    // under steady load and reads that load as the no-load latency); measured again only by a slow window run with at
    // most `floor` in flight (below).
    this.noLoad = Math.min(this.noLoad ?? median, median);
    this.ratio = median / this.noLoad;
    if (this.ratio > this.target && this.busiest <= this.floor) {
      // Slow with at most `floor` in flight: not LM's load. Measured again, and the limit may grow as at the start.
      this.noLoad = median;
      this.ratio = 1;
      this.slowStart = true;
    }
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
      this.set(this.slowStart ? this.current * 1.25 : gradient);
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
