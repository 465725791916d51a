import { describe, expect, it } from '@jest/globals';
import { waveParentMessage, type WaveView } from '../../../src/chat/wave-message.js';
import { LmLimiter, type LimiterOptions } from '../../../src/rollout/lm-limiter.js';

let clock = 0;
/** A limiter on the fake clock above. */
const limiter = (o: LimiterOptions) => new LmLimiter({ now: () => clock, ...o });

/** Feeds one window of samples of `ms` with `inFlight` in flight, patched after the last change (`ms` ago). */
function window(l: LmLimiter, ms: number, inFlight = l.limit, n = 8): void {
  clock += ms;
  for (let i = 0; i < n; i++) l.sample(ms, inFlight);
}

/**
 * A fake Lifecycle Manager: `capacity` workers, so a runtime patched with n in flight takes base × max(1, n /
 * capacity), times a spread of its own in [1, 1.2) (clusters differ). The wave starts runtimes while fewer than the
 * limit are in flight and samples each when it finishes, on a fake clock.
 */
function fakeWave(o: { capacity: number; max: number; runtimes: number; initial?: number; base?: number; overloadAbove?: number; spread?: number; lucky?: number }) {
  let now = 0;
  const base = o.base ?? 1000;
  const l = new LmLimiter({ max: o.max, initial: o.initial, now: () => now });
  const running: { end: number; ms: number }[] = [];
  const ratios: number[] = [];
  const limits: number[] = [];
  let started = 0;
  while (started < o.runtimes || running.length) {
    while (started < o.runtimes && running.length < l.limit) {
      const n = running.length + 1;
      // `lucky`: the first runtimes are that much faster than any later one (a quiet landscape at the start).
      const luck = started < 8 && o.lucky !== undefined ? o.lucky : 1;
      const ms = luck * base * (1 + (o.spread ?? 0.2) * ((started * 0.618) % 1)) * Math.max(1, n / o.capacity);
      running.push({ end: now + ms, ms });
      started++;
    }
    running.sort((a, b) => a.end - b.end);
    const done = running.shift()!;
    now = done.end;
    if (o.overloadAbove !== undefined && running.length + 1 > o.overloadAbove) l.overload();
    l.sample(done.ms, running.length + 1);
    ratios.push(done.ms / base);
    limits.push(l.limit);
  }
  return { l, ratios, limits };
}

const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(0.95 * xs.length) - 1];

describe('src/rollout/lm-limiter.ts', () => {
  it('converges near LM\'s capacity from below, with latency within 1.5× of unloaded, and stays there', () => {
    const { limits, ratios } = fakeWave({ capacity: 10, max: 32, initial: 2, runtimes: 600 });
    const late = limits.slice(200);
    expect(Math.min(...late)).toBeGreaterThanOrEqual(8);
    expect(Math.max(...late)).toBeLessThanOrEqual(14);
    // Unloaded is up to 1.2 (the spread); the whole wave's p95 stays within 1.5× of that.
    expect(p95(ratios)).toBeLessThanOrEqual(1.5 * 1.2);
  });

  it('comes down to LM\'s capacity from a start far above it (by half at most per round)', () => {
    const { limits, ratios } = fakeWave({ capacity: 8, max: 64, initial: 64, runtimes: 400 });
    expect(Math.max(...limits.slice(200))).toBeLessThanOrEqual(12);
    expect(p95(ratios.slice(200))).toBeLessThanOrEqual(1.5 * 1.2);
  });

  it('is not held at its floor by a latency that does not follow the load (a wide spread, a fast first window)', () => {
    // LM never loaded (capacity 10,000), runtimes differing by up to 60 %, the first ones 30 % faster than any later:
    // the latency is above the first window's for good, whatever the limit. It used to back off to 1 and stay there.
    const { limits } = fakeWave({ capacity: 10_000, max: 100, initial: 8, runtimes: 4_000, spread: 0.6, lucky: 0.7 });
    const late = limits.slice(2_000).sort((a, b) => a - b);
    expect(late[Math.floor(late.length / 2)]).toBeGreaterThanOrEqual(80);
    expect(late[Math.floor(late.length / 10)]).toBeGreaterThanOrEqual(30);
  });

  it("starts at a requested concurrency up to 16 (the scripts' -p 16), probes from 8 above it, or where it is told", () => {
    expect([4, 12, 16, 17, 32, 100].map((max) => limiter({ max }).limit)).toEqual([4, 12, 16, 8, 8, 8]);
    expect(limiter({ max: 100, initial: 40 }).limit).toBe(40); // what the environment's last wave learned
    expect(limiter({ max: 16, initial: 40 }).limit).toBe(16); // never above the request
  });

  it('raises the limit while latency stays flat, never above the requested concurrency', () => {
    const { l, limits } = fakeWave({ capacity: 400, max: 20, initial: 4, runtimes: 300 });
    expect(Math.max(...limits)).toBe(20);
    expect(l.limit).toBe(20);
    expect(l.causeText()).toBeNull();
  });

  it('backs off when patch → Ready latency grows, and says by how much', () => {
    const l = limiter({ max: 32, initial: 32 });
    window(l, 1000);
    window(l, 2400);
    expect(l.limit).toBe(16); // 32 × 1.2 / 2.4
    expect(l.causeText()).toBe('backing off: LM latency ×2.4');
  });

  it('judges a change only by runtimes patched after it', () => {
    const l = limiter({ max: 32, initial: 8 });
    window(l, 1000); // flat: slow start, 8 → 10
    expect(l.limit).toBe(10);
    clock += 500;
    for (let i = 0; i < 8; i++) l.sample(3000, 10); // patched 2.5 s before the change: an older limit's load, ignored
    expect(l.limit).toBe(10);
    window(l, 1000, 10); // patched after it
    expect(l.limit).toBe(12);
  });

  it('halves on 429/5xx answers, never below 1', () => {
    const l = limiter({ max: 8, initial: 8 });
    for (let i = 0; i < 6; i++) {
      l.overload();
      window(l, 1000, l.limit); // one decision each
    }
    expect(l.limit).toBe(1);
    expect(l.causeText()).toBe('backing off: 429/5xx answers (1)');
  });

  it('backs off on 429/5xx answers in a wave and recovers no higher than the answers allow', () => {
    const { limits } = fakeWave({ capacity: 400, max: 32, initial: 32, runtimes: 300, overloadAbove: 6 });
    expect(Math.min(...limits)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...limits.slice(100))).toBeLessThanOrEqual(12);
  });

  it('does not raise a limit that is not used, and follows set-concurrency when not backing off', () => {
    const l = limiter({ max: 16, initial: 4 });
    window(l, 1000, 2);
    expect(l.limit).toBe(4);
    l.setMax(2);
    expect(l.limit).toBe(2);
    l.setMax(12);
    expect(l.limit).toBe(12);
  });
});

describe('src/chat/wave-message.ts: say why', () => {
  const view: WaveView = {
    waveId: 'stage-20261206-1', env: 'stage', target: 'kyma-test', state: 'running', counts: { migrated: 3, pending: 50, running: 3 }, total: 56, platformFailures: 1, budget: 3,
    concurrency: 8, requestedBy: 'U1', approvedBy: null, planHash: 'a'.repeat(64), createdAt: '2026-12-06T07:00:00.000Z', finishedAt: null, etaSeconds: 60,
    limit: { inFlight: 3, limit: 3, requested: 8, cause: 'held at 3 by the budget guard: 2 failures left, failure rate ≤ 4.9 % at 99 %' },
  };
  it('shows in flight, the limit now and its cause on the live message', () => {
    const text = JSON.stringify(waveParentMessage(view).blocks);
    expect(text).toContain('in flight 3, limit 3 of 8: held at 3 by the budget guard: 2 failures left, failure rate ≤ 4.9 % at 99 %');
  });
  it('shows the concurrency once the wave ended', () => {
    const text = JSON.stringify(waveParentMessage({ ...view, state: 'finished', finishedAt: '2026-12-06T08:00:00.000Z' }).blocks);
    expect(text).toContain('concurrency 8');
    expect(text).not.toContain('in flight 3');
  });
});
