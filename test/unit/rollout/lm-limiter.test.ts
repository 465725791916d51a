import { describe, expect, it } from '@jest/globals';
import { waveParentMessage, type WaveView } from '../../../src/chat/wave-message.js';
import { LmLimiter } from '../../../src/rollout/lm-limiter.js';

/** Feeds one window of samples of `ms` with `inFlight` in flight. */
function window(l: LmLimiter, ms: number, inFlight = l.limit, n = 8): void {
  for (let i = 0; i < n; i++) l.sample(ms, inFlight);
}

describe('src/rollout/lm-limiter.ts', () => {
  it('raises the limit while latency stays flat, never above the requested concurrency', () => {
    const l = new LmLimiter({ max: 20, initial: 4 });
    for (let i = 0; i < 40; i++) window(l, 1000);
    expect(l.limit).toBe(20);
    expect(l.causeText()).toBeNull();
  });

  it('backs off multiplicatively when patch → Ready latency grows, and says by how much', () => {
    const l = new LmLimiter({ max: 32, initial: 32 });
    window(l, 1000);
    window(l, 2100);
    expect(l.limit).toBe(25); // 32 × 0.8
    expect(l.causeText()).toBe('backing off: LM latency ×2.1');
  });

  it('halves on 429/5xx answers, never below 1', () => {
    const l = new LmLimiter({ max: 8, initial: 8 });
    for (let i = 0; i < 6; i++) {
      l.overload();
      window(l, 1000);
    }
    expect(l.limit).toBe(1);
    expect(l.causeText()).toBe('backing off: 429/5xx answers (1)');
  });

  it('does not raise a limit that is not used, and follows set-concurrency when not backing off', () => {
    const l = new LmLimiter({ max: 16, initial: 4 });
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
