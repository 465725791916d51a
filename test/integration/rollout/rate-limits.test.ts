/**
 * Request-rate caps per remote system (DESIGN.md §5): a bucket per (environment, system) at that environment's
 * cap, and KEB throttled like the clusters. The KEB cap is shown to bind on a paged listing of the simulator's
 * KEB: the limiter runs on a virtual clock that moves only while requests wait, so the grants are counted per
 * window of that clock — no wall-clock durations are asserted.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { KebClient } from '../../../src/clients/keb-client.js';
import { RateLimiter, type LimiterClock } from '../../../src/rollout/rate-limiter.js';
import { planWave } from '../../../src/rollout/plan-wave.js';
import { simServices } from '../../helpers/sim-services.js';

/** Virtual time: a timer fires on the next turn and moves the clock to its due time. */
function virtualClock(): LimiterClock {
  let t = 0;
  return {
    now: () => t,
    setTimer: (fn, ms) => {
      const due = t + ms;
      setImmediate(() => {
        t = Math.max(t, due);
        fn();
      });
    },
  };
}

describe('src/rollout/rate-limiter.ts with the clients', () => {
  const f = simServices({ profile: 'scenarios', runtimes: 300, timeScale: 0.01 }, 'rate-limits', (cfg) => {
    cfg.environments.dev.limits = { requestsPerSecond: { keb: 1000, kcp: 1000 } };
    cfg.environments.prod.limits = { requestsPerSecond: { kcp: 2, keb: 5 } };
  });

  it('gives every environment its own caps: Prod’s KCP cap does not throttle Dev’s KCP', () => {
    expect(f.services.limiter.stats('dev', 'kcp')?.perSecond).toBe(1000);
    expect(f.services.limiter.stats('prod', 'kcp')?.perSecond).toBe(2);
    expect(f.services.limiter.stats('prod', 'keb')?.perSecond).toBe(5);
    expect(f.services.limiter.stats('stage', 'kcp')).toBeUndefined();
    expect(f.services.throttle('dev')).not.toBe(f.services.throttle('prod'));
  });

  it('planning throttles KEB, KCP and Gardener through the environment’s buckets', async () => {
    await planWave(f.services, { env: 'dev', specs: ['all'] });
    expect(f.services.limiter.stats('dev', 'keb')?.granted).toBeGreaterThan(0);
    expect(f.services.limiter.stats('dev', 'kcp')?.granted).toBeGreaterThan(0);
    // Prod's buckets saw nothing of Dev's plan.
    expect(f.services.limiter.stats('prod', 'keb')?.granted).toBe(0);
    expect(f.services.limiter.stats('prod', 'kcp')?.granted).toBe(0);
  });

  it('a KEB cap of 5/s binds a paged listing: never more than the burst + 5 per second of the limiter’s clock', async () => {
    const clock = virtualClock();
    const limiter = new RateLimiter({ prod: { keb: 5 } }, clock);
    const throttle = limiter.for('prod');
    const grants: number[] = [];
    const e = f.services.envConfig('prod');
    const keb = new KebClient({
      url: e.keb.url,
      token: readFileSync(e.keb.tokenFile, 'utf8').trim(),
      pageSize: 4,
      concurrency: 8,
      throttle: async (system) => {
        await throttle(system);
        grants.push(clock.now());
      },
    });
    const listed = await keb.listRuntimes({ state: 'all' });
    const expected = f.sim.sim.landscape.runtimes.filter((r) => r.env === 'prod').length;
    expect(listed).toHaveLength(expected);
    const pages = Math.ceil(expected / 4);
    expect(pages).toBeGreaterThanOrEqual(15);
    // Every request went through the bucket.
    expect(grants).toHaveLength(keb.requests);
    expect(limiter.stats('prod', 'keb')).toMatchObject({ perSecond: 5, granted: keb.requests, waiting: 0 });
    expect(limiter.stats('prod', 'keb')!.delayed).toBeGreaterThan(0);
    // Token bucket: in any window [t, t + w] of the limiter's clock at most 5 (the burst) + 5·w/1000 requests start.
    for (let i = 0; i < grants.length; i++) {
      for (let j = i; j < grants.length; j++) expect(j - i + 1).toBeLessThanOrEqual(5 + (5 * (grants[j] - grants[i])) / 1000 + 1e-9);
    }
    // And per whole second of that clock, at most 5 after the first one.
    const perSecond = new Map<number, number>();
    for (const g of grants) perSecond.set(Math.floor(g / 1000), (perSecond.get(Math.floor(g / 1000)) ?? 0) + 1);
    expect(Math.max(...[...perSecond.entries()].filter(([s]) => s > 0).map(([, n]) => n))).toBeLessThanOrEqual(5);
    expect(perSecond.get(0)).toBeLessThanOrEqual(10);
  });
});
