import { describe, expect, it } from '@jest/globals';
import { ETA_PACE_MS, etaPaceStart, liveEtaSeconds } from '../../../src/rollout/eta.js';

const NOW = Date.parse('2025-03-04T12:00:00.000Z');
const HOUR_AGO = Date.parse('2025-03-04T11:00:00.000Z');
const PACE_START = etaPaceStart(NOW, HOUR_AGO);

describe('liveEtaSeconds: one rule for the Slack message and the wave page', () => {
  it('takes the pace of the last ten minutes: 50 finished in them, 100 left → 20 minutes', () => {
    expect(liveEtaSeconds({ state: 'running', left: 100, finishedInPace: 50, now: NOW, paceStart: PACE_START })).toBe(1_200);
  });

  it('takes a young wave\'s pace over its age, not over ten minutes it has not lived', () => {
    const twoMinutesAgo = NOW - 120_000;
    expect(etaPaceStart(NOW, twoMinutesAgo)).toBe(NOW - 120_000);
    expect(etaPaceStart(NOW, HOUR_AGO)).toBe(NOW - ETA_PACE_MS);
    // 20 finished in 2 minutes, 100 left → 10 minutes (over ten minutes it would say 50).
    expect(liveEtaSeconds({ state: 'running', left: 100, finishedInPace: 20, now: NOW, paceStart: etaPaceStart(NOW, twoMinutesAgo) })).toBe(600);
  });

  it('tells no ETA when the wave is not running, nothing is left, or nothing finished in the pace window', () => {
    const base = { state: 'running', left: 100, finishedInPace: 50, now: NOW, paceStart: PACE_START };
    for (const state of ['paused', 'draining', 'interrupted', 'finished', 'aborted', 'awaiting-approval']) expect(liveEtaSeconds({ ...base, state })).toBeNull();
    expect(liveEtaSeconds({ ...base, left: 0 })).toBeNull();
    // A wave waiting for its window (or stuck) has finished nothing lately: no pace, no ETA — not a lifetime average.
    expect(liveEtaSeconds({ ...base, finishedInPace: 0 })).toBeNull();
    expect(liveEtaSeconds({ ...base, paceStart: etaPaceStart(NOW, NOW) })).toBeNull();
  });
});
