import { describe, expect, it } from '@jest/globals';
import { faultDice, flakyDecision } from '../../../src/sim/controllers/faults.js';
import { DEFAULT_TIMINGS, scaleTimings } from '../../../src/sim/controllers/timings.js';

describe('src/sim/controllers/faults.ts', () => {
  it('decides from (seed, cluster, index) only, at about the configured rate', () => {
    const seq = (seed: number, id: string) => Array.from({ length: 2000 }, (_, i) => flakyDecision(seed, id, i, 0.3));
    expect(seq(1, 'a')).toEqual(seq(1, 'a'));
    expect(seq(1, 'a')).not.toEqual(seq(2, 'a'));
    expect(seq(1, 'a')).not.toEqual(seq(1, 'b'));
    const faults = seq(1, 'a').filter((d) => d !== 'none').length / 2000;
    expect(faults).toBeGreaterThan(0.25);
    expect(faults).toBeLessThan(0.35);
    expect(new Set(seq(1, 'a'))).toEqual(new Set(['none', '500', '503', '429', 'reset', 'reset-after-apply']));
    expect(faultDice(1, 'a', 0)).toBe(faultDice(1, 'a', 0));
  });
});

describe('src/sim/controllers/timings.ts', () => {
  it('multiplies every duration, not the slow factor', () => {
    const t = scaleTimings(DEFAULT_TIMINGS, 0.5);
    expect(t.lmNoticeMs).toBe(DEFAULT_TIMINGS.lmNoticeMs / 2);
    expect(t.operatorInstallMs).toBe(DEFAULT_TIMINGS.operatorInstallMs / 2);
    expect(t.slowFactor).toBe(DEFAULT_TIMINGS.slowFactor);
  });
});
