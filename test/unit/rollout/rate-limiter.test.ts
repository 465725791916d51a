/**
 * src/rollout/rate-limiter.ts: one token bucket per (environment, system), at that environment's cap, on a
 * manual clock (no wall-clock timing in the assertions).
 */
import { describe, expect, it } from '@jest/globals';
import { RateLimiter, type LimiterClock } from '../../../src/rollout/rate-limiter.js';

/** A clock that moves only when told; due timers fire on `advance`. */
function manualClock() {
  let t = 0;
  const timers: { at: number; fn: () => void }[] = [];
  const clock: LimiterClock = { now: () => t, setTimer: (fn, ms) => void timers.push({ at: t + ms, fn }) };
  const advance = async (ms: number) => {
    const until = t + ms;
    for (;;) {
      timers.sort((a, b) => a.at - b.at);
      const next = timers[0];
      if (!next || next.at > until) break;
      timers.shift();
      t = next.at;
      next.fn();
      await Promise.resolve();
    }
    t = until;
    await new Promise((r) => setImmediate(r));
  };
  return { clock, advance, now: () => t };
}

describe('RateLimiter', () => {
  it('keeps a bucket per (environment, system) at that environment’s cap; systems without a cap pass', async () => {
    const { clock, advance } = manualClock();
    const limiter = new RateLimiter({ dev: { kcp: 2, keb: 5 }, prod: { kcp: 100 }, stage: undefined }, clock);
    const granted: string[] = [];
    const take = (env: string, system: 'kcp' | 'keb' | 'gardener' | 'skr', tag: string) => void limiter.for(env)(system).then(() => granted.push(tag));

    for (let i = 0; i < 4; i++) take('dev', 'kcp', `dev-kcp-${i}`);
    for (let i = 0; i < 50; i++) take('prod', 'kcp', `prod-kcp-${i}`);
    for (let i = 0; i < 20; i++) take('dev', 'gardener', `dev-gardener-${i}`);
    for (let i = 0; i < 20; i++) take('stage', 'kcp', `stage-kcp-${i}`);
    await advance(0);
    // Dev's KCP cap (2/s) binds Dev's KCP only: Prod's KCP (100/s), Dev's Gardener and Stage (no caps) go at once.
    expect(granted.filter((g) => g.startsWith('dev-kcp'))).toEqual(['dev-kcp-0', 'dev-kcp-1']);
    expect(granted.filter((g) => g.startsWith('prod-kcp'))).toHaveLength(50);
    expect(granted.filter((g) => g.startsWith('dev-gardener'))).toHaveLength(20);
    expect(granted.filter((g) => g.startsWith('stage-kcp'))).toHaveLength(20);
    expect(limiter.stats('dev', 'kcp')).toEqual({ perSecond: 2, granted: 2, delayed: 2, waiting: 2 });
    expect(limiter.stats('prod', 'kcp')).toMatchObject({ perSecond: 100, granted: 50, delayed: 0 });
    expect(limiter.stats('dev', 'gardener')).toBeUndefined();
    expect(limiter.stats('stage', 'kcp')).toBeUndefined();

    // Half a second later one more token (2/s), a second later all four.
    await advance(499);
    expect(granted.filter((g) => g.startsWith('dev-kcp'))).toHaveLength(2);
    await advance(1);
    expect(granted.filter((g) => g.startsWith('dev-kcp'))).toEqual(['dev-kcp-0', 'dev-kcp-1', 'dev-kcp-2']);
    await advance(500);
    expect(granted.filter((g) => g.startsWith('dev-kcp'))).toHaveLength(4);
    expect(limiter.stats('dev', 'kcp')).toEqual({ perSecond: 2, granted: 4, delayed: 2, waiting: 0 });
    // Dev's KEB bucket was never touched by the KCP requests.
    expect(limiter.stats('dev', 'keb')).toEqual({ perSecond: 5, granted: 0, delayed: 0, waiting: 0 });
  });

  it('the same throttle function per environment (clients can compare it)', () => {
    const limiter = new RateLimiter({ dev: { kcp: 1 } });
    expect(limiter.for('dev')).toBe(limiter.for('dev'));
    expect(limiter.for('dev')).not.toBe(limiter.for('prod'));
  });
});
