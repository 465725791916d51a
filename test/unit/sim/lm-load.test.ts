import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { lmLoad } from '../../../src/sim/controllers/lm-load.js';

describe('src/sim/controllers/lm-load.ts (virtual time)', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('runs at most `capacity` steps at once; the others wait in line, so latency grows with the load', () => {
    jest.useFakeTimers();
    const lm = lmLoad(2);
    const done: string[] = [];
    for (const id of ['a', 'b', 'c', 'd', 'e']) lm.submit(100, () => done.push(id));
    expect(lm.queued).toBe(3);
    jest.advanceTimersByTime(100);
    expect(done).toEqual(['a', 'b']);
    jest.advanceTimersByTime(100);
    expect(done).toEqual(['a', 'b', 'c', 'd']);
    jest.advanceTimersByTime(100);
    expect(done).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(lm.queued).toBe(0);
  });

  it('a cancelled step frees its worker for the next one in line', () => {
    jest.useFakeTimers();
    const lm = lmLoad(1);
    const done: string[] = [];
    const cancel = lm.submit(100, () => done.push('a'));
    lm.submit(100, () => done.push('b'));
    cancel();
    jest.advanceTimersByTime(100);
    expect(done).toEqual(['b']);
  });
});
