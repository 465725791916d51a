/**
 * The wave view from journal rows (a recording stub of the few journal reads it makes): counts, the timeline's
 * in-flight and rate figures, patch-to-Ready percentiles (start to result apart where nothing was patched), the
 * concurrency limit now and its history, the non-Ready list with what to do, the wave's tasks; and signed links' checks.
 */
import { describe, expect, it } from '@jest/globals';
import type { Journal, Wave, WaveRuntime } from '../../../src/journal/journal.js';
import type { MigrationResult } from '../../../src/migration/result.js';
import { appendLimitPoint, type LimitPoint } from '../../../src/rollout/limit.js';
import { renderSections } from '../../../src/wave-page/page-server.js';
import { checkLink, signedQuery } from '../../../src/wave-page/signed-link.js';
import { timelineSvg } from '../../../src/wave-page/timeline-chart.js';
import { buildWaveView } from '../../../src/wave-page/wave-view.js';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

function row(id: string, state: WaveRuntime['state'], r?: { outcome: MigrationResult['outcome']; cls: MigrationResult['class']; start: number; end: number; reason?: MigrationResult['reason']; patched?: boolean; transitions?: [number, string, string][] }): WaveRuntime {
  return {
    waveId: 'dev-20261201-1',
    runtimeId: id,
    runtime: { runtimeId: id, shootName: `s-${id}`, globalAccountId: id < 'c' ? 'ga-1' : 'ga-2', subaccountId: 'sa', plan: 'aws', region: id < 'b' ? 'eu' : 'us' },
    state,
    attempts: 1,
    updatedAt: iso(0),
    result: r
      ? { runtimeId: id, outcome: r.outcome, reason: r.reason ?? null, class: r.cls, patched: r.patched ?? false, dryRun: false, message: '', detail: 'why', kymaName: null, inventoryBefore: [], inventoryAfter: [], transitions: (r.transitions ?? []).map(([s, object, state]) => ({ at: iso(s), object, state })), manifest: null, requests: { kcp: 0, skr: 0, gardener: 0, total: 0 }, access: null, startedAt: iso(r.start), finishedAt: iso(r.end), durationMs: (r.end - r.start) * 1000 }
      : null,
  };
}

const wave: Wave = { waveId: 'dev-20261201-1', env: 'dev', target: 'all', planHash: 'a'.repeat(64), state: 'finished', control: 'none', concurrency: 4, requestedBy: 'sre-1', approvedBy: 'oncall-1', createdAt: iso(0), updatedAt: iso(200), finishedAt: iso(200) };
const rows = [
  // Patched at 10 s, Manifest Ready at 70 s: 60 s patch to Ready (90 s start to result).
  row('a1', 'finished', { outcome: 'migrated', cls: 'none', start: 0, end: 90, patched: true, transitions: [[5, 'manifest/m-a1', 'Ready'], [10, 'kyma/default', 'patched'], [20, 'manifest/m-a1', 'Processing'], [70, 'manifest/m-a1', 'Ready']] }),
  // Patched, never Ready: no patch-to-Ready time, and not a start-to-result one either (a failure).
  row('a2', 'finished', { outcome: 'error', cls: 'platform', start: 10, end: 150, reason: 'api-error', patched: true, transitions: [[12, 'kyma/default', 'patched']] }),
  row('b1', 'finished', { outcome: 'multiple-istio-crs', cls: 'customer', start: 20, end: 30 }),
  row('c1', 'finished', { outcome: 'skipped', cls: 'not-eligible', start: 40, end: 40, reason: 'skip-reconciliation' }),
];
const history: LimitPoint[] = [
  { t: T0 / 1000, limit: 4, requested: 4, cause: 'at the requested concurrency' },
  { t: T0 / 1000 + 100, limit: 1, requested: 4, cause: 'held at 1 by the budget guard: 1 failure left, failure rate ≤ 9 % at 99 %' },
];
const stub = {
  getWave: () => Promise.resolve(wave),
  waveLimitHistory: () => Promise.resolve(history),
  waveLimit: () => Promise.resolve({ inFlight: 1, limit: 1, requested: 4, cause: history[1].cause }),
  listWaveRuntimes: () => Promise.resolve(rows),
  getLease: () => Promise.resolve(undefined),
  raisedBudget: () => Promise.resolve(undefined), // the environment's budget (2) applies
  listApprovals: () => Promise.resolve([{ planHash: wave.planHash, approver: 'oncall-1', requestedBy: 'sre-1', action: 'run', createdAt: iso(-60), expiresAt: iso(3600), usedAt: iso(0), usedBy: 'sre-1' }]),
  listTasks: () => Promise.resolve([{ taskId: 'task-1', runtimeId: 'b1', waveId: wave.waveId, env: 'dev', globalAccountId: 'ga-1', subaccountId: 'sa', shootName: 's-b1', istioCrs: [{ name: 'mine', createdAt: null, state: 'Ready' }], message: '', state: 'open', updatedBy: null, createdAt: iso(30), updatedAt: iso(30) }]),
} as unknown as Journal;

describe('src/wave-page/wave-view.ts', () => {
  it('counts, breakdowns, timeline (skipped runtimes never in flight), non-Ready with what to do, tasks, approvals', async () => {
    const v = (await buildWaveView({ journal: stub, budget: { budget: () => 2 }, now: () => T0 + 300_000 }, wave.waveId))!;
    expect(v.counts).toMatchObject({ migrated: 1, error: 1, 'multiple-istio-crs': 1, skipped: 1, pending: 0, running: 0 });
    expect([v.total, v.finished, v.platformFailures, v.budget]).toEqual([4, 4, 1, 2]);
    expect(v.bucketSeconds).toBe(1); // a 200 s wave: one-second intervals
    const at = (s: number) => v.timeline.find((p) => p.t === T0 / 1000 + s)!;
    expect(at(25)).toMatchObject({ done: 0, inFlight: 3, failures: 0 });
    expect(at(45)).toMatchObject({ done: 2, inFlight: 2 }); // b1 done, c1 skipped (never started)
    expect(at(199)).toMatchObject({ done: 4, inFlight: 0, failures: 1 });
    // Patch to Ready where this run patched and saw Ready; start to result, apart, where it patched nothing.
    expect(at(90)).toMatchObject({ p50: 60, p90: 60, unpatchedP50: null, unpatchedP90: null });
    expect(at(30)).toMatchObject({ p50: null, p90: null, unpatchedP50: 10, unpatchedP90: 10 });
    expect(at(150)).toMatchObject({ p50: null, unpatchedP50: null }); // a2: patched, not Ready
    expect(at(40)).toMatchObject({ p50: null, unpatchedP50: null }); // c1: skipped, never started
    // An ended wave has no limit now (a leftover latest value is not shown), but keeps its history.
    expect(v.limitNow).toBeNull();
    expect(v.limitHistory).toEqual(history);
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

  it('a running wave shows its limit now and its cause, and the limit changes as text', async () => {
    const running: Wave = { ...wave, state: 'running', finishedAt: null };
    const j = { ...stub, getWave: () => Promise.resolve(running), getLease: () => Promise.resolve({ waveId: wave.waveId, holder: 'h', expiresAt: iso(3600) }) } as unknown as Journal;
    const v = (await buildWaveView({ journal: j, budget: { budget: () => 2 }, now: () => T0 + 300_000 }, wave.waveId))!;
    expect(v.state).toBe('running');
    expect(v.limitNow).toEqual({ inFlight: 1, limit: 1, requested: 4, cause: history[1].cause });
    const html = renderSections(v);
    expect(html).toContain('concurrency limit now <strong data-field="limit">1</strong> of 4 requested');
    expect(html).toContain(`<span data-field="limitCause">held at 1 by the budget guard: 1 failure left, failure rate ≤ 9 % at 99 %</span>`);
    expect(html).toMatch(/<tr><td>10:01:40<\/td><td class="n">1<\/td><td class="n">4<\/td><td>held at 1 by the budget guard/);
    expect(html).toContain('patch to Ready p50 s');
    expect(html).toContain('start to result p50 s (not patched)');
  });

  it('limit history: appended on a change of limit or cause only, bounded (older half thinned, first point kept)', () => {
    const p = (t: number, limit: number, cause = 'c'): LimitPoint => ({ t, limit, requested: 8, cause });
    const h1 = appendLimitPoint([], p(0, 8));
    expect(appendLimitPoint(h1, p(5, 8))).toBe(h1);
    expect(appendLimitPoint(h1, p(5, 8, 'other'))).toHaveLength(2);
    let h: LimitPoint[] = [];
    for (let i = 0; i < 1000; i++) h = appendLimitPoint(h, p(i, i % 7), 300);
    expect(h.length).toBeLessThanOrEqual(300);
    expect(h[0].t).toBe(0);
    expect(h.at(-1)!.t).toBe(999);
    expect(h.slice(-100).map((x) => x.t)).toEqual(Array.from({ length: 100 }, (_, i) => 900 + i)); // recent ones whole
    for (let i = 1; i < h.length; i++) expect(h[i].t).toBeGreaterThan(h[i - 1].t);
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
