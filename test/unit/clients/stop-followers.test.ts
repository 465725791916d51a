import { describe, expect, it } from '@jest/globals';
import { getEventListeners } from 'node:events';
import { followStop } from '../../../src/clients/stop-followers.js';
import { sleep } from '../../../src/clients/retry.js';

describe('src/clients/stop-followers followStop', () => {
  it('holds one abort listener for any number of followers and stops each with the reason', () => {
    const ac = new AbortController();
    const stopped: unknown[] = [];
    const unfollows = Array.from({ length: 300 }, (_, i) => followStop(ac.signal, { stop: (r) => stopped.push([i, r]) }));
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    unfollows[7]();
    unfollows[7](); // idempotent
    ac.abort('stop-all');
    expect(stopped).toHaveLength(299);
    expect(stopped).not.toContainEqual([7, 'stop-all']);
    expect(stopped).toContainEqual([299, 'stop-all']);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('leaves the signal without a listener of its own once the last follower has gone, and listens again for a new one', () => {
    const ac = new AbortController();
    const a = followStop(ac.signal, { stop: () => undefined });
    const b = followStop(ac.signal, { stop: () => undefined });
    a();
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    b();
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    let reason: unknown;
    followStop(ac.signal, { stop: (r) => (reason = r) });
    ac.abort('later');
    expect(reason).toBe('later');
  });

  it('stops a follower of a signal that has already aborted at once, and adds no listener', () => {
    const ac = new AbortController();
    ac.abort('earlier');
    let reason: unknown;
    followStop(ac.signal, { stop: (r) => (reason = r) })();
    expect(reason).toBe('earlier');
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('without a signal, follows nothing', () => {
    expect(() => followStop(undefined, { stop: () => undefined })()).not.toThrow();
  });
});

describe('src/clients/retry sleep', () => {
  it('shares the signal\'s one listener, rejects with the reason on abort, and lets go of the signal when it resolves', async () => {
    const ac = new AbortController();
    const waits = [sleep(60_000, ac.signal), sleep(60_000, ac.signal)];
    const short = sleep(1, ac.signal);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    await short;
    ac.abort(new Error('wave stopped'));
    for (const w of waits) await expect(w).rejects.toThrow('wave stopped');
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    const after = new AbortController();
    await sleep(1, after.signal);
    expect(getEventListeners(after.signal, 'abort')).toHaveLength(0);
    await expect(sleep(1, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });
});
