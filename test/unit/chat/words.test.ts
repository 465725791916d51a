/**
 * Words that do not mislead (issue 17): counts in the right number, durations rounded, a drained wave called
 * drained, "did you mean" for near misses, and the live progress line's arithmetic.
 */
import { describe, expect, it } from '@jest/globals';
import { closest, didYouMean, editDistance } from '../../../commands/suggest.js';
import { WaveProgress } from '../../../commands/wave-progress.js';
import { count, duration, seconds, waveStateWords } from '../../../src/text/words.js';
import { finalSummary } from '../../../src/chat/console/progress.js';
import { renderText } from '../../../src/chat/console/text.js';
import type { WaveStatus } from '../../../src/rollout/wave-status.js';

describe('words', () => {
  it('pluralises counts', () => {
    expect(count(1, 'runtime')).toBe('1 runtime');
    expect(count(0, 'runtime')).toBe('0 runtimes');
    expect(count(2, 'runtime')).toBe('2 runtimes');
    expect(count(3, 'customer-contact task')).toBe('3 customer-contact tasks');
  });

  it('rounds durations: one decimal below 10 s, whole seconds above, minutes for long ones', () => {
    expect(seconds(5.1000000000000005)).toBe('5.1 s');
    expect(seconds(31.875)).toBe('32 s');
    expect(seconds(0.04)).toBe('0 s');
    expect(duration(600)).toBe('10 min');
    expect(duration(2 * 3600 + 30 * 60)).toBe('2 h 30 min');
  });

  it('calls a finished wave with runtimes never started drained, with what was left', () => {
    expect(waveStateWords('finished', 40)).toBe('drained (40 runtimes not started)');
    expect(waveStateWords('finished', 1)).toBe('drained (1 runtime not started)');
    expect(waveStateWords('finished', 0)).toBe('finished');
    expect(waveStateWords('budget-stopped', 13)).toBe('budget-stopped');
  });

  it("the console's final summary of a drained wave says drained, not finished … pending", () => {
    const counts = { migrated: 8, 'already-migrated': 0, 'multiple-istio-crs': 0, 'kyma-cr-missing': 0, 'kyma-cr-ambiguous': 0, 'module-template-missing': 0, timeout: 0, error: 0, skipped: 0, pending: 40, running: 0 };
    const status = { waveId: 'dev-20261125-1', env: 'dev', target: 'all', state: 'finished', counts } as WaveStatus;
    const text = renderText(finalSummary(status, [], 0));
    expect(text).toContain('Wave dev-20261125-1 drained (40 runtimes not started)');
    expect(text).not.toContain('finished');
    expect(text).not.toContain('40 pending');
  });
});

describe('did you mean', () => {
  it('measures edits, a swap of neighbours counting one', () => {
    expect(editDistance('plan', 'plan')).toBe(0);
    expect(editDistance('plann', 'plan')).toBe(1);
    expect(editDistance('stauts', 'status')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests the nearest candidate within reach, or the only one a prefix names, else nothing', () => {
    const names = ['plan', 'run', 'status', 'resume', 'retry-failed', 'runbook'];
    expect(closest('plann', names)).toBe('plan');
    expect(closest('stats', names)).toBe('status');
    expect(closest('retry', names)).toBe('retry-failed');
    expect(closest('frobnicate', names)).toBeUndefined();
    expect(didYouMean('--sampel', ['--sample', '--json'])).toBe(' (did you mean "--sample"?)');
    expect(didYouMean('--zzz', ['--sample', '--json'])).toBe('');
  });
});

describe('the live progress line', () => {
  it('counts done and in flight, estimates the rest at the pace so far, and shows the budget left', () => {
    const p = new WaveProgress({ waveId: 'stage-20261125-1', total: 10, done: 2, failures: 0, budget: 2, now: 0 });
    p.started();
    p.started();
    expect(p.line(1000)).toBe('stage-20261125-1 2/10 done · 2 in flight · ETA … · budget 2 of 2 left');
    p.finished(false, 3000);
    p.finished(true, 3900);
    // 2 finished here in 4 s: 2 s each, 6 left → 12 s.
    expect(p.line(4000)).toBe('stage-20261125-1 4/10 done · 0 in flight · ETA ~12 s · budget 1 of 2 left');
    // Paused (or draining): no ETA, as on the Slack message and the wave page; running again, the pace counts again.
    p.stateChanged('paused');
    expect(p.line(4000)).toBe('stage-20261125-1 4/10 done · 0 in flight · ETA … · budget 1 of 2 left');
    p.stateChanged('running');
    expect(p.line(4000)).toBe('stage-20261125-1 4/10 done · 0 in flight · ETA ~12 s · budget 1 of 2 left');
  });

  it('goes by the last ten minutes of the run, as the Slack message and the wave page do, and says … without a pace', () => {
    const min = 60_000;
    const p = new WaveProgress({ waveId: 'stage-20261125-1', total: 100, done: 0, failures: 0, budget: 5, now: 0 });
    // 40 in the first ten minutes, then 10 in the next ten: 50 left at 10 per ten minutes → 50 min.
    for (let i = 0; i < 40; i++) p.finished(false, 5 * min);
    for (let i = 0; i < 10; i++) p.finished(false, 15 * min);
    expect(p.line(20 * min)).toBe('stage-20261125-1 50/100 done · 0 in flight · ETA ~50 min · budget 5 of 5 left');
    // Nothing finished for ten minutes (a closed window, a stuck LM): no pace, no ETA.
    expect(p.line(26 * min)).toBe('stage-20261125-1 50/100 done · 0 in flight · ETA … · budget 5 of 5 left');
  });
});
