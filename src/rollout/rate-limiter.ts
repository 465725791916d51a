/**
 * Request-rate caps per remote system, shared by every running wave in the process (DESIGN.md §5). A remote
 * system is one environment's KCP, Gardener, KEB or SKRs — Dev's KCP is another server than Prod's — so there
 * is a token bucket per (environment, system), filled at that environment's `limits.requestsPerSecond` cap.
 * `for(env)` gives the throttle the clients of that environment call before every request; a system without a
 * cap passes at once. The clock is injectable (tests count grants per window on a virtual clock).
 */
import type { System } from '../clients/kube-client.js';

export type RateSystem = System | 'keb';

/** A throttle bound to one environment: waits until a request to `system` may go out. */
export type EnvThrottle = (system: RateSystem) => Promise<void>;

/** Time for the buckets: `now()` in ms, and a one-shot timer. */
export interface LimiterClock {
  now(): number;
  setTimer(fn: () => void, ms: number): void;
}

export const SYSTEM_CLOCK: LimiterClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => void setTimeout(fn, ms),
};

export interface BucketStats {
  /** The cap (requests per second). */
  perSecond: number;
  /** Requests let through. */
  granted: number;
  /** Of those, how many had to wait. */
  delayed: number;
  /** Waiting now. */
  waiting: number;
}

class Bucket {
  private tokens: number;
  private last: number;
  private readonly waiters: (() => void)[] = [];
  private timerSet = false;
  granted = 0;
  delayed = 0;

  constructor(
    readonly perSecond: number,
    private readonly clock: LimiterClock,
  ) {
    // The burst is one second's worth (at least one request).
    this.tokens = Math.max(1, perSecond);
    this.last = clock.now();
  }

  get waiting(): number {
    return this.waiters.length;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(Math.max(1, this.perSecond), this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }

  take(): Promise<void> {
    this.refill();
    if (this.tokens >= 1 && this.waiters.length === 0) {
      this.tokens -= 1;
      this.granted++;
      return Promise.resolve();
    }
    this.delayed++;
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.timerSet) return;
    this.timerSet = true;
    const wait = Math.max(1, Math.ceil(((1 - this.tokens) / this.perSecond) * 1000));
    this.clock.setTimer(() => {
      this.timerSet = false;
      this.refill();
      while (this.tokens >= 1 && this.waiters.length) {
        this.tokens -= 1;
        this.granted++;
        this.waiters.shift()!();
      }
      if (this.waiters.length) this.schedule();
    }, wait);
  }
}

/** Caps by environment, then by system (an environment's `limits.requestsPerSecond`). */
export type RateCaps = Record<string, Partial<Record<RateSystem, number | undefined>> | undefined>;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly throttles = new Map<string, EnvThrottle>();

  constructor(caps: RateCaps, private readonly clock: LimiterClock = SYSTEM_CLOCK) {
    for (const [env, systems] of Object.entries(caps)) {
      for (const [system, rate] of Object.entries(systems ?? {}) as [RateSystem, number | undefined][]) {
        if (rate !== undefined && rate > 0) this.buckets.set(key(env, system), new Bucket(rate, this.clock));
      }
    }
  }

  /** The throttle for the clients of one environment (the same function for every call). */
  for(env: string): EnvThrottle {
    let t = this.throttles.get(env);
    if (!t) {
      t = (system) => this.buckets.get(key(env, system))?.take() ?? Promise.resolve();
      this.throttles.set(env, t);
    }
    return t;
  }

  /** The bucket of (env, system), or undefined when that system has no cap there. */
  stats(env: string, system: RateSystem): BucketStats | undefined {
    const b = this.buckets.get(key(env, system));
    return b && { perSecond: b.perSecond, granted: b.granted, delayed: b.delayed, waiting: b.waiting };
  }
}

function key(env: string, system: RateSystem): string {
  return `${env}/${system}`;
}
