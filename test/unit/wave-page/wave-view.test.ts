/**
 * The wave view from journal rows (a recording stub of the few journal reads it makes): counts, the timeline's
 * in-flight and rate figures, the non-Ready list with what to do, the wave's tasks; and signed links' checks.
 */
import { describe, expect, it } from '@jest/globals';
import type { Journal, Wave, WaveRuntime } from '../../../src/journal/journal.js';
import type { MigrationResult } from '../../../src/migration/result.js';
import { checkLink, signedQuery } from '../../../src/wave-page/signed-link.js';
import { timelineSvg } from '../../../src/wave-page/timeline-chart.js';
import { buildWaveView } from '../../../src/wave-page/wave-view.js';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

function row(id: string, state: WaveRuntime['state'], r?: { outcome: MigrationResult['outcome']; cls: MigrationResult['class']; start: number; end: number; reason?: MigrationResult['reason'] }): WaveRuntime {
  return {
    waveId: 'dev-20261201-1',
    runtimeId: id,
    runtime: { runtimeId: id, shootName: `s-${id}`, globalAccountId: id < 'c' ? 'ga-1' : 'ga-2', subaccountId: 'sa', plan: 'aws', region: id < 'b' ? 'eu' : 'us' },
    state,
    attempts: 1,
    updatedAt: iso(0),
    result: r
      ? { runtimeId: id, outcome: r.outcome, reason: r.reason ?? null, class: r.cls, patched: true, dryRun: false, message: '', detail: 'why', kymaName: null, inventoryBefore: [], inventoryAfter: [], transitions: [], manifest: null, requests: { kcp: 0, skr: 0, gardener: 0, total: 0 }, access: null, startedAt: iso(r.start), finishedAt: iso(r.end), durationMs: (r.end - r.start) * 1000 }
      : null,
  };
}

const wave: Wave = { waveId: 'dev-20261201-1', env: 'dev', target: 'all', planHash: 'a'.repeat(64), state: 'finished', control: 'none', concurrency: 4, requestedBy: 'sre-1', approvedBy: 'oncall-1', createdAt: iso(0), updatedAt: iso(200), finishedAt: iso(200) };
const rows = [
  row('a1', 'finished', { outcome: 'migrated', cls: 'none', start: 0, end: 90 }),
  row('a2', 'finished', { outcome: 'error', cls: 'platform', start: 10, end: 150, reason: 'api-error' }),
  row('b1', 'finished', { outcome: 'multiple-istio-crs', cls: 'customer', start: 20, end: 30 }),
  row('c1', 'finished', { outcome: 'skipped', cls: 'not-eligible', start: 40, end: 40, reason: 'skip-reconciliation' }),
];
const stub = {
  getWave: () => Promise.resolve(wave),
  listWaveRuntimes: () => Promise.resolve(rows),
  getLease: () => Promise.resolve(undefined),
  listApprovals: () => Promise.resolve([{ planHash: wave.planHash, approver: 'oncall-1', requestedBy: 'sre-1', action: 'run', createdAt: iso(-60), expiresAt: iso(3600), usedAt: iso(0), usedBy: 'sre-1' }]),
  listTasks: () => Promise.resolve([{ taskId: 'task-1', runtimeId: 'b1', waveId: wave.waveId, env: 'dev', globalAccountId: 'ga-1', subaccountId: 'sa', shootName: 's-b1', istioCrs: [{ name: 'mine', createdAt: null, state: 'Ready' }], message: '', state: 'open', updatedBy: null, createdAt: iso(30), updatedAt: iso(30) }]),
} as unknown as Journal;

describe('src/wave-page/wave-view.ts', () => {
  it('counts, breakdowns, timeline (skipped runtimes never in flight), non-Ready with what to do, tasks, approvals', async () => {
    const v = (await buildWaveView({ journal: stub, budgetOf: () => 2, now: () => T0 + 300_000 }, wave.waveId))!;
    expect(v.counts).toMatchObject({ migrated: 1, error: 1, 'multiple-istio-crs': 1, skipped: 1, pending: 0, running: 0 });
    expect([v.total, v.finished, v.platformFailures, v.budget]).toEqual([4, 4, 1, 2]);
    expect(v.bucketSeconds).toBe(1); // a 200 s wave: one-second intervals
    const at = (s: number) => v.timeline.find((p) => p.t === T0 / 1000 + s)!;
    expect(at(25)).toMatchObject({ done: 0, inFlight: 3, failures: 0 });
    expect(at(45)).toMatchObject({ done: 2, inFlight: 2 }); // b1 done, c1 skipped (never started)
    expect(at(199)).toMatchObject({ done: 4, inFlight: 0, failures: 1 });
    expect(v.byRegion).toEqual([ // most runtimes first, then by name
      { key: 'eu', total: 2, done: 2, ok: 1, customer: 0, platform: 1, skipped: 0 },
      { key: 'us', total: 2, done: 2, ok: 0, customer: 1, platform: 0, skipped: 1 },
    ]);
    expect(v.notReady.map((n) => [n.runtimeId, n.outcome, n.reason])).toEqual([
      ['a2', 'error', 'api-error'],
      ['b1', 'multiple-istio-crs', null],
      ['c1', 'skipped', 'skip-reconciliation'],
    ]);
    expect(v.notReady.find((n) => n.runtimeId === 'b1')!.todo).toContain('contact the customer');
    expect(v.tasks).toEqual([expect.objectContaining({ taskId: 'task-1', istioCrs: 'mine=Ready' })]);
    expect(v.approvals).toEqual([expect.objectContaining({ approver: 'oncall-1', action: 'run', usedBy: 'sre-1' })]);
    expect(v.etaSeconds).toBeNull();
    // The chart says the same in text (its <desc>) and tells lines apart without colour (dash patterns).
    const svg = timelineSvg(v);
    expect(svg).toContain('4 of 4 runtimes done, 0 in flight, 1 platform failures against a budget of 2');
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(3);
  });

  it('signed links: ok, expired, altered, other subject, unsigned', () => {
    const key = Buffer.from('unit-test-key-0123456789');
    const q = new URLSearchParams(signedQuery(key, 'wave:w-1', 60, T0));
    expect(checkLink(key, 'wave:w-1', q, T0)).toBe('ok');
    expect(checkLink(key, 'wave:w-1', q, T0 + 61_000)).toBe('expired');
    expect(checkLink(key, 'wave:w-2', q, T0)).toBe('bad-signature');
    expect(checkLink(Buffer.from('another-key-0123456789'), 'wave:w-1', q, T0)).toBe('bad-signature');
    expect(checkLink(key, 'wave:w-1', new URLSearchParams(`exp=${q.get('exp')}`), T0)).toBe('unsigned');
    expect(checkLink(key, 'wave:w-1', new URLSearchParams(`exp=${Number(q.get('exp')) + 1}&sig=${q.get('sig')}`), T0)).toBe('bad-signature');
  });
});
