/**
 * Request-rate caps per remote system, shared by every running wave in the process (DESIGN.md §5): a token
 * bucket per system; `throttle(system)` waits for a token. Systems without a cap pass at once.
 */
import type { System } from '../landscape/kube-client.js';

export type RateSystem = System | 'keb';

class Bucket {
  private tokens: number;
  private last = Date.now();
  private readonly waiters: (() => void)[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly perSecond: number) {
    this.tokens = Math.max(1, perSecond);
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(Math.max(1, this.perSecond), this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }

  take(): Promise<void> {
    this.refill();
    if (this.tokens >= 1 && this.waiters.length === 0) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(1, Math.ceil(((1 - this.tokens) / this.perSecond) * 1000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.tokens >= 1 && this.waiters.length) {
        this.tokens -= 1;
        this.waiters.shift()!();
      }
      if (this.waiters.length) this.schedule();
    }, wait);
  }
}

export class RateLimiter {
  private readonly buckets = new Map<RateSystem, Bucket>();

  constructor(caps: Partial<Record<RateSystem, number>>) {
    for (const [system, rate] of Object.entries(caps) as [RateSystem, number | undefined][]) {
      if (rate !== undefined && rate > 0) this.buckets.set(system, new Bucket(rate));
    }
  }

  /** Waits until a request to `system` may go out. */
  throttle = (system: RateSystem): Promise<void> => this.buckets.get(system)?.take() ?? Promise.resolve();
}
