import { describe, expect, it } from '@jest/globals';
import { GlobalBudget } from '../../../src/rollout/global-budget.js';

describe('GlobalBudget', () => {
  it('counts failures + in flight over every joined wave against a count budget', () => {
    const g = new GlobalBudget(3);
    const a = g.join('dev-1', 10, 1);
    const b = g.join('stage-1', 10, 0);
    expect(a.canStart()).toBe(true);
    a.started();
    b.started();
    expect(b.canStart()).toBe(false); // 1 failure + 2 in flight
    b.finished(false);
    expect(b.canStart()).toBe(true);
    a.finished(true);
    expect(a.usage()).toEqual({ failures: 2, inFlight: 0, budget: 3 });
    expect(a.exhausted()).toBe(false);
    b.started();
    b.finished(true);
    expect(a.exhausted()).toBe(true);
    expect(b.canStart()).toBe(false);
    // A wave that leaves takes its counts with it.
    a.leave();
    expect(b.usage()).toEqual({ failures: 1, inFlight: 0, budget: 3 });
  });

  it('resolves a percentage of the eligible runtimes of the joined waves, rounded down, at least 1', () => {
    const g = new GlobalBudget('10%');
    expect(g.resolved()).toBe(1);
    const a = g.join('dev-1', 15, 0);
    expect(g.resolved()).toBe(1);
    const b = g.join('stage-1', 30, 0);
    expect(g.resolved()).toBe(4);
    b.leave();
    expect(g.resolved()).toBe(1);
    a.leave();
  });

  it('tells listeners when a runtime finishes or a wave leaves', () => {
    const g = new GlobalBudget(5);
    let n = 0;
    const off = g.onChange(() => n++);
    const a = g.join('dev-1', 1, 0);
    a.started();
    a.finished(false);
    a.leave();
    a.leave();
    off();
    g.join('dev-2', 1, 0).leave();
    expect(n).toBe(2);
  });
});

describe('GlobalBudget: waves stopped by a budget', () => {
  it('keeps their failures counted until they join again or are released', () => {
    const g = new GlobalBudget(2);
    const a = g.join('dev-1', 5, 0);
    const b = g.join('stage-1', 5, 0);
    a.started();
    a.finished(true);
    b.started();
    b.finished(true);
    expect(a.exhausted()).toBe(true);
    a.leave(true); // stopped by the budget: its failure stays
    expect(b.exhausted()).toBe(true);
    expect(b.canStart()).toBe(false);
    g.release('stage-1'); // running here: not released
    expect(b.usage().failures).toBe(2);
    g.release('dev-1');
    expect(b.usage()).toEqual({ failures: 1, inFlight: 0, budget: 2 });
    b.leave(true);
    const again = g.join('stage-1', 5, 0); // a resume joins afresh with the journal's count
    expect(again.usage().failures).toBe(0);
  });
});
