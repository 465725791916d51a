import { describe, expect, it } from '@jest/globals';
import { actorActionsOf, immediateLine, immediateOf, WaveThread, type ThreadPolicy } from '../../../src/chat/wave-thread.js';
import type { WaveRuntime } from '../../../src/journal/journal.js';
import type { WaveEvent } from '../../../src/rollout/wave-runner.js';
import { waveStart, type WaveStart } from '../../../src/rollout/wave-status.js';

const MIN = 60_000;
const policy: ThreadPolicy = { intervalMs: 5 * MIN, threshold: 25, examples: 3, ageShare: 10 };
const apiError = { class: 'platform', outcome: 'error', reason: 'api-error' } as const;
const istioError = { class: 'platform', outcome: 'error', reason: 'istio-error' } as const;
const customer = { class: 'customer', outcome: 'multiple-istio-crs', reason: null } as const;

function clocked() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** Sums the `× n` counts of a digest's group lines. */
const counted = (text: string) => [...text.matchAll(/^• `[a-z-]+` × (\d+):/gm)].reduce((n, m) => n + Number(m[1]), 0);

describe('src/chat/wave-thread.ts — WaveThread (injected clock)', () => {
  it('holds failures until the interval passed, then groups them by reason with a few examples', () => {
    const c = clocked();
    const t = new WaveThread('prod-20261206-1', policy, c.now);
    for (let i = 0; i < 5; i++) t.finished(`c-api-${i}`, apiError);
    t.finished('c-istio-0', istioError);
    t.finished('c-ok', { class: 'none', outcome: 'migrated', reason: null });
    expect(t.pending()).toBe(6);
    c.advance(5 * MIN - 1);
    expect(t.due()).toBe(false);
    c.advance(1);
    expect(t.due()).toBe(true);
    const d = t.take('C-CUSTOMER')!;
    const text = d.message.blocks.map((b) => (b.type === 'section' ? b.markdown : '')).join('\n');
    expect(d.failures).toBe(6);
    expect(text).toContain('• `api-error` × 5: `c-api-0`, `c-api-1`, `c-api-2` …');
    expect(text).toContain('• `istio-error` × 1: `c-istio-0`');
    expect(text).not.toContain('c-ok');
    expect(t.due()).toBe(false);
    expect(t.take()).toBeUndefined();
    expect(t.totals()).toEqual([
      { group: 'api-error', count: 5 },
      { group: 'istio-error', count: 1 },
    ]);
  });

  it('a group crossing the threshold (25, then 250) makes the digest due at once', () => {
    const c = clocked();
    const t = new WaveThread('w', policy, c.now);
    for (let i = 0; i < 24; i++) t.finished(`a${i}`, apiError);
    expect(t.due()).toBe(false);
    t.finished('a24', apiError);
    expect(t.due()).toBe(true);
    t.take();
    for (let i = 25; i < 249; i++) t.finished(`a${i}`, apiError);
    expect(t.due()).toBe(false);
    t.finished('a249', apiError);
    expect(t.due()).toBe(true);
  });

  it('stretches the gap to a tenth of the wave age, and loses no failure over a long wave', () => {
    const c = clocked();
    const t = new WaveThread('w', policy, c.now);
    let posts = 0;
    let told = 0;
    let failed = 0;
    // 16 hours, a failure (of changing reasons) every 4 minutes, customer ones with their tasks.
    for (let m = 0; m < 16 * 60; m += 4) {
      c.advance(4 * MIN);
      if (m % 40 === 0) {
        t.finished(`cust-${m}`, customer);
        t.task(`task-${m}`);
      } else t.finished(`rt-${m}`, m % 12 === 0 ? istioError : apiError);
      failed++;
      if (t.due()) {
        const d = t.take('C-CUSTOMER')!;
        posts++;
        told += counted((d.message.blocks[0] as { markdown: string }).markdown);
      }
    }
    const last = t.take('C-CUSTOMER');
    if (last) told += counted((last.message.blocks[0] as { markdown: string }).markdown);
    expect(told).toBe(failed);
    expect(posts).toBeLessThanOrEqual(45); // 288 at a flat 5 minutes
  });

  it('counts a failure per runtime, its latest attempt (retry-failed): a runtime failing again is not counted twice', () => {
    const c = clocked();
    const t = new WaveThread('w', policy, c.now);
    for (let i = 0; i < 4; i++) t.finished(`c-${i}`, apiError);
    t.seed('istio-error', ['c-seeded']); // told before this process followed the wave
    t.take();
    // retry-failed: c-0 fails again the same way, c-1 another way, c-2 now migrates, c-seeded fails again.
    t.finished('c-0', apiError);
    t.finished('c-1', istioError);
    t.finished('c-2', { class: 'none', outcome: 'migrated', reason: null });
    t.finished('c-seeded', istioError);
    expect(t.totals()).toEqual([
      { group: 'api-error', count: 2 },
      { group: 'istio-error', count: 2 },
    ]);
    // Twice within one digest: once, in the group of its latest attempt.
    t.finished('c-0', istioError);
    expect(t.pending()).toBe(3);
    const text = t.take()!.message.blocks.map((b) => (b.type === 'section' ? b.markdown : '')).join('\n');
    expect(counted(text)).toBe(3);
    expect(text).toContain('3 failures since the last digest (4 in all)');
    expect(text).toContain('• `istio-error` × 3: `c-1`, `c-seeded`, `c-0`');
    expect(t.totals()).toEqual([
      { group: 'istio-error', count: 3 },
      { group: 'api-error', count: 1 },
    ]);
  });

  it('posts at once only what needs a person', () => {
    expect(immediateOf({ type: 'budget-stopped', waveId: 'w', failures: 3, budget: 3, scope: 'wave' })).toBe('budget-stopped');
    expect(immediateOf({ type: 'state', waveId: 'w', state: 'paused' })).toBe('paused');
    expect(immediateOf({ type: 'state', waveId: 'w', state: 'draining' })).toBe('draining');
    expect(immediateOf({ type: 'wave-finished', waveId: 'w', state: 'aborted' })).toBe('aborted');
    expect(immediateOf({ type: 'wave-finished', waveId: 'w', state: 'finished' })).toBe('ended');
    expect(immediateOf({ type: 'wave-started', waveId: 'w', start: 'new' })).toBeUndefined();
    expect(immediateOf({ type: 'runtime-started', waveId: 'w', runtimeId: 'r' })).toBeUndefined();
  });

  it('tells a wave start as what it was: a recovery, a resume by a person, or a retry of the failed runtimes', () => {
    const started = (start: WaveStart): WaveEvent => ({ type: 'wave-started', waveId: 'w', start });
    const told = (e: WaveEvent, actor?: string) => immediateLine(e, immediateOf(e)!, actor);
    expect(told(started('recovery'))).toBe(':arrow_forward: resumed after an interruption');
    expect(actorActionsOf(started('recovery'), 'resumed')).toBeUndefined();
    expect(told(started('resume'), 'U1')).toBe(':arrow_forward: resumed by <@U1>');
    expect(actorActionsOf(started('resume'), 'resumed')).toEqual(['resume']);
    expect(immediateOf(started('retry'))).toBe('retried');
    expect(told(started('retry'), 'U1')).toBe(':repeat: retry-failed by <@U1>: the runtimes that failed on the platform side run again');
    expect(actorActionsOf(started('retry'), 'retried')).toEqual(['retry-failed']);
    expect(told({ type: 'state', waveId: 'w', state: 'running' }, 'U2')).toBe(':arrow_forward: running again by <@U2>');
  });

  it('knows a start from the stored state and the runtimes (rollout/wave-status.ts waveStart)', () => {
    const rts = (...states: WaveRuntime['state'][]) => states.map((state) => ({ state }));
    expect(waveStart('running', rts('pending', 'pending'))).toBe('new');
    expect(waveStart('interrupted', rts('finished', 'pending'))).toBe('recovery');
    expect(waveStart('running', rts('patched', 'pending'))).toBe('recovery'); // its runner died (kill -9)
    expect(waveStart('budget-stopped', rts('finished', 'pending'))).toBe('resume');
    expect(waveStart('aborted', rts('finished', 'pending'))).toBe('resume');
    expect(waveStart('finished', rts('finished', 'pending'), true)).toBe('retry');
    expect(waveStart('interrupted', rts('finished', 'pending'), true)).toBe('retry');
  });
});
