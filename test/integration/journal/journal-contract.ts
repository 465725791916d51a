/**
 * The one contract every Journal implementation passes (DESIGN.md §6). `make` returns a fresh, migrated journal
 * for each test; `cleanup` (optional) runs once after the suite. Timestamps that the store stamps itself are
 * only compared for order; the ones passed in must come back as the same instants.
 */
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import type { Journal, PlannedRuntime } from '../../../src/journal/journal.js';
import { ApprovalUsedError, JournalNotFoundError, RuntimeWriteRefusedError, WaveActiveError } from '../../../src/journal/errors.js';
import { migrationResultSchema, type MigrationResult } from '../../../src/migration/result.js';
import { readLimit, readLimitHistory, saveLimit } from '../../../src/rollout/limit.js';

const NOW = new Date('2025-03-04T10:20:30.000Z');
const DAY = '20250304';

export function plannedRuntime(n: number, over: Partial<PlannedRuntime> = {}): PlannedRuntime {
  return {
    runtimeId: `5f0c1a2b-0000-4000-8000-${String(n).padStart(12, '0')}`,
    shootName: `c-${n.toString(16).padStart(7, '0')}`,
    globalAccountId: 'ga-0001',
    subaccountId: `sa-${n % 7}`,
    plan: n % 2 ? 'aws' : 'azure',
    region: n % 3 ? 'eu-central-1' : 'westeurope',
    ...over,
  };
}

/** A result as migrateRuntime produces one for a `custom-cr` runtime (held before the patch). */
export function migrationResult(runtimeId: string, over: Partial<MigrationResult> = {}): MigrationResult {
  return migrationResultSchema.parse({
    runtimeId,
    outcome: 'multiple-istio-crs',
    reason: null,
    class: 'customer',
    patched: false,
    dryRun: false,
    message: 'More than one Istio CR present on the cluster. Script rename-to-default.sh might be required.',
    detail: 'Istio CR kyma-system/custom (created 2024-11-02T08:00:00Z) is older than the default LM would create',
    kymaName: runtimeId,
    inventoryBefore: [
      { name: 'custom', namespace: 'kyma-system', createdAt: '2024-11-02T08:00:00Z', state: 'Ready', description: null, reason: null },
      {
        name: 'default',
        namespace: 'kyma-system',
        createdAt: '2025-01-15T12:00:00Z',
        state: 'Warning',
        description: 'Istio CR is not in kyma-system namespace or is not the oldest one',
        reason: 'OlderCRExists',
      },
    ],
    inventoryAfter: [],
    transitions: [
      { at: '2025-03-04T10:20:31.120Z', object: 'istio/kyma-system/custom', state: 'Ready' },
      { at: '2025-03-04T10:20:31.130Z', object: 'istio/kyma-system/default', state: 'Warning', detail: 'OlderCRExists' },
    ],
    manifest: null,
    requests: { kcp: 1, skr: 6, gardener: 0, total: 7 },
    access: 'kcp-secret',
    startedAt: '2025-03-04T10:20:31.000Z',
    finishedAt: '2025-03-04T10:20:31.450Z',
    durationMs: 450.25,
    ...over,
  });
}

const waveInput = (env: string, over: Partial<{ target: string; planHash: string; concurrency: number }> = {}) => ({
  env,
  target: over.target ?? 'kyma-test',
  planHash: over.planHash ?? 'a'.repeat(64),
  state: 'running' as const,
  concurrency: over.concurrency ?? 4,
  requestedBy: 'sre-1',
  approvedBy: null,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function journalContract(name: string, make: () => Promise<Journal>, cleanup?: () => Promise<void>): void {
  describe(`${name}: Journal contract`, () => {
    let open: Journal[] = [];
    const journal = async () => {
      const j = await make();
      open.push(j);
      return j;
    };
    afterEach(async () => {
      await Promise.all(open.map((j) => j.close()));
      open = [];
    });
    if (cleanup) afterAll(cleanup);

    it('migrates idempotently', async () => {
      const j = await journal();
      await j.migrate();
      await j.migrate();
      await j.setSetting('k', 'v');
      expect(await j.getSetting('k')).toBe('v');
    });

    it('saves and reads a plan by hash (saving it again replaces it)', async () => {
      const j = await journal();
      const doc = { hash: 'h1', env: 'stage', runtimes: [plannedRuntime(1)], skipped: [{ runtimeId: 'x', reason: 'suspended' }], concurrency: 4, eta: 'PT2M' };
      await j.savePlan({ hash: 'h1', env: 'stage', target: 'kyma-test', document: doc, createdBy: 'sre-1', createdAt: NOW.toISOString() });
      expect(await j.getPlan('h1')).toEqual({ hash: 'h1', env: 'stage', target: 'kyma-test', document: doc, createdBy: 'sre-1', createdAt: NOW.toISOString() });
      await j.savePlan({ hash: 'h1', env: 'stage', target: 'kyma-test', document: { ...doc, concurrency: 8 }, createdBy: 'sre-2', createdAt: NOW.toISOString() });
      expect((await j.getPlan('h1'))?.createdBy).toBe('sre-2');
      // Deduplicated by hash: the document stored first stays (one hash, one plan).
      expect((await j.getPlan('h1'))?.document).toEqual(doc);
      // A unique prefix of ≥ 8 characters finds a plan (messages show 12); an ambiguous one does not.
      await j.savePlan({ hash: 'abcdef0123456789', env: 'stage', target: 't', document: {}, createdBy: 'sre-1', createdAt: NOW.toISOString() });
      await j.savePlan({ hash: 'abcdef0199999999', env: 'stage', target: 't', document: {}, createdBy: 'sre-1', createdAt: NOW.toISOString() });
      expect((await j.getPlan('abcdef012345'))?.hash).toBe('abcdef0123456789');
      expect(await j.getPlan('abcdef01')).toBeUndefined();
      expect(await j.getPlan('nope')).toBeUndefined();
    });

    it('numbers waves <env>-<yyyymmdd>-<n> from 1, per environment and day', async () => {
      const j = await journal();
      const a = await j.createWave(waveInput('stage'), [plannedRuntime(1)], NOW);
      const b = await j.createWave(waveInput('stage'), [plannedRuntime(1)], NOW);
      const c = await j.createWave(waveInput('prod'), [plannedRuntime(1)], NOW);
      const d = await j.createWave(waveInput('stage'), [], new Date('2025-03-05T00:00:01.000Z'));
      expect([a.waveId, b.waveId, c.waveId, d.waveId]).toEqual([`stage-${DAY}-1`, `stage-${DAY}-2`, `prod-${DAY}-1`, 'stage-20250305-1']);
      expect(a).toEqual({
        waveId: `stage-${DAY}-1`,
        env: 'stage',
        target: 'kyma-test',
        planHash: 'a'.repeat(64),
        state: 'running',
        control: 'none',
        concurrency: 4,
        requestedBy: 'sre-1',
        approvedBy: null,
        createdAt: NOW.toISOString(),
        updatedAt: NOW.toISOString(),
        finishedAt: null,
      });
      expect(await j.getWave(a.waveId)).toEqual(a);
      expect(await j.getWave('stage-19700101-1')).toBeUndefined();
    });

    it('creates a wave with its runtimes pending, in plan order', async () => {
      const j = await journal();
      const runtimes = [plannedRuntime(3), plannedRuntime(1, { instanceId: 'inst-1' }), plannedRuntime(2)];
      const w = await j.createWave(waveInput('dev'), runtimes, NOW);
      const listed = await j.listWaveRuntimes(w.waveId);
      expect(listed.map((r) => r.runtimeId)).toEqual(runtimes.map((r) => r.runtimeId));
      expect(listed[1]).toEqual({ waveId: w.waveId, runtimeId: runtimes[1].runtimeId, runtime: runtimes[1], state: 'pending', attempts: 0, result: null, updatedAt: NOW.toISOString() });
    });

    it('takes a runtime pending → running → before-patch → patched → finished, the result round-tripping', async () => {
      const j = await journal();
      const rt = plannedRuntime(1);
      const w = await j.createWave(waveInput('stage'), [rt, plannedRuntime(2)], NOW);
      const stateOf = async () => (await j.listWaveRuntimes(w.waveId))[0];

      const before = Date.now();
      await j.startRuntime(w.waveId, rt.runtimeId);
      expect(await stateOf()).toMatchObject({ state: 'running', attempts: 1, result: null });
      await j.checkpoint(w.waveId, rt.runtimeId, 'before-patch');
      expect((await stateOf()).state).toBe('before-patch');
      await j.checkpoint(w.waveId, rt.runtimeId, 'patched');
      expect((await stateOf()).state).toBe('patched');
      const result = migrationResult(rt.runtimeId, { outcome: 'migrated', class: 'none', patched: true, message: 'Migration successful', manifest: { name: `${rt.runtimeId}-istio-4034478325`, state: 'Ready', message: null } });
      await j.finishRuntime(w.waveId, rt.runtimeId, result);
      const after = Date.now();

      const done = await stateOf();
      expect(done.state).toBe('finished');
      expect(done.result).toEqual(result);
      expect(migrationResultSchema.parse(done.result)).toEqual(result);
      // updatedAt is the time of the last write (the wave's own creation time is NOW, in 2025).
      expect(Date.parse(done.updatedAt)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(done.updatedAt)).toBeLessThanOrEqual(after);
      expect((await j.listWaveRuntimes(w.waveId))[1].state).toBe('pending');
    });

    it('counts attempts and keeps a before-patch or patched checkpoint when a resumed runtime starts again', async () => {
      const j = await journal();
      const [a, b] = [plannedRuntime(1), plannedRuntime(2)];
      const w = await j.createWave(waveInput('stage'), [a, b], NOW);
      await j.startRuntime(w.waveId, a.runtimeId);
      await j.checkpoint(w.waveId, a.runtimeId, 'before-patch');
      await j.startRuntime(w.waveId, a.runtimeId); // resumed after a crash
      await j.startRuntime(w.waveId, b.runtimeId);
      await j.startRuntime(w.waveId, b.runtimeId);
      await j.startRuntime(w.waveId, b.runtimeId);
      const [ra, rb] = await j.listWaveRuntimes(w.waveId);
      expect(ra).toMatchObject({ state: 'before-patch', attempts: 2 });
      expect(rb).toMatchObject({ state: 'running', attempts: 3 });
    });

    it('applies a burst of concurrent runtime writes, each exactly once, failing only the write to an unknown runtime', async () => {
      const j = await journal();
      const rts = Array.from({ length: 60 }, (_, i) => plannedRuntime(i + 1));
      const w = await j.createWave(waveInput('prod'), rts, NOW);
      // As a wave at concurrency 60 does: every runtime starts at once, then checkpoints, then finishes.
      const missing = j.startRuntime(w.waveId, 'no-such-runtime');
      await Promise.all(rts.map((r) => j.startRuntime(w.waveId, r.runtimeId)));
      await expect(missing).rejects.toBeInstanceOf(JournalNotFoundError);
      await Promise.all(rts.map((r) => j.checkpoint(w.waveId, r.runtimeId, 'before-patch')));
      await Promise.all(rts.slice(0, 30).map((r) => j.checkpoint(w.waveId, r.runtimeId, 'patched')));
      const results = rts.slice(0, 20).map((r) => migrationResult(r.runtimeId, { outcome: 'migrated', class: 'none', patched: true, message: 'Migration successful' }));
      await Promise.all([...results.map((res, i) => j.finishRuntime(w.waveId, rts[i].runtimeId, res)), ...rts.slice(40).map((r) => j.startRuntime(w.waveId, r.runtimeId))]);

      const rows = await j.listWaveRuntimes(w.waveId);
      expect(rows.slice(0, 20).map((r) => [r.state, r.attempts, r.result])).toEqual(results.map((res) => ['finished', 1, res]));
      expect(rows.slice(20, 30).every((r) => r.state === 'patched' && r.attempts === 1 && r.result === null)).toBe(true);
      expect(rows.slice(30, 40).every((r) => r.state === 'before-patch' && r.attempts === 1)).toBe(true);
      // Started again after a checkpoint: the checkpoint is kept, the attempt counted.
      expect(rows.slice(40).every((r) => r.state === 'before-patch' && r.attempts === 2)).toBe(true);
    });

    it('rejects writes to an unknown wave or runtime', async () => {
      const j = await journal();
      const w = await j.createWave(waveInput('stage'), [plannedRuntime(1)], NOW);
      await expect(j.startRuntime(w.waveId, 'no-such-runtime')).rejects.toBeInstanceOf(JournalNotFoundError);
      await expect(j.checkpoint('no-such-wave', plannedRuntime(1).runtimeId, 'patched')).rejects.toMatchObject({ code: 'journal-not-found' });
      await expect(j.setWaveState('no-such-wave', 'paused')).rejects.toBeInstanceOf(JournalNotFoundError);
      await expect(j.setTaskState('task-999999', 'resolved', 'sre-1')).rejects.toBeInstanceOf(JournalNotFoundError);
    });

    it('resets finished runtimes (only those named, only finished ones) to pending without a result', async () => {
      const j = await journal();
      const rts = [plannedRuntime(1), plannedRuntime(2), plannedRuntime(3), plannedRuntime(4)];
      const w = await j.createWave(waveInput('stage'), rts, NOW);
      for (const r of rts) await j.startRuntime(w.waveId, r.runtimeId);
      await j.finishRuntime(w.waveId, rts[0].runtimeId, migrationResult(rts[0].runtimeId, { outcome: 'kyma-cr-missing', class: 'platform', patched: false }));
      await j.finishRuntime(w.waveId, rts[1].runtimeId, migrationResult(rts[1].runtimeId, { outcome: 'error', reason: 'api-error', class: 'platform' }));
      await j.finishRuntime(w.waveId, rts[3].runtimeId, migrationResult(rts[3].runtimeId, { outcome: 'timeout', class: 'platform', patched: true }));

      await j.resetRuntimes(w.waveId, [rts[0].runtimeId, rts[2].runtimeId, rts[3].runtimeId]);

      const [a, b, c, d] = await j.listWaveRuntimes(w.waveId);
      expect(a).toMatchObject({ state: 'pending', result: null, attempts: 1 });
      expect(b).toMatchObject({ state: 'finished', result: { outcome: 'error' } });
      expect(c).toMatchObject({ state: 'running' });
      // Patched by this wave: back as `patched`, so the retry waits for LM (C5).
      expect(d).toMatchObject({ state: 'patched', result: null, attempts: 1 });
      const counts = (await j.countWaveRuntimes(w.waveId)).sort((x, y) => `${x.state}${x.outcome}`.localeCompare(`${y.state}${y.outcome}`));
      expect(counts).toEqual([
        { state: 'finished', outcome: 'error', n: 1 },
        { state: 'patched', outcome: null, n: 1 },
        { state: 'pending', outcome: null, n: 1 },
        { state: 'running', outcome: null, n: 1 },
      ]);
    });

    it('lists waves newest first, filtered by environment and states', async () => {
      const j = await journal();
      const s1 = await j.createWave(waveInput('stage'), [], NOW);
      const p1 = await j.createWave(waveInput('prod'), [], NOW);
      const s2 = await j.createWave(waveInput('stage'), [], NOW);
      await j.setWaveState(s1.waveId, 'finished');
      await j.setWaveState(p1.waveId, 'aborted');

      expect((await j.listWaves()).map((w) => w.waveId)).toEqual([s2.waveId, p1.waveId, s1.waveId]);
      expect((await j.listWaves({ env: 'stage' })).map((w) => w.waveId)).toEqual([s2.waveId, s1.waveId]);
      expect((await j.listWaves({ states: ['finished', 'aborted'] })).map((w) => w.waveId)).toEqual([p1.waveId, s1.waveId]);
      expect((await j.listWaves({ env: 'stage', states: ['running'] })).map((w) => w.waveId)).toEqual([s2.waveId]);
      expect(await j.listWaves({ env: 'dev' })).toEqual([]);
      expect(await j.listWaves({ states: [] })).toEqual([]);
    });

    it('sets state (finishedAt on finished/aborted only), control, concurrency and approver', async () => {
      const j = await journal();
      const w = await j.createWave(waveInput('prod'), [plannedRuntime(1)], NOW);
      await j.setWaveControl(w.waveId, 'pause');
      await j.setWaveConcurrency(w.waveId, 16);
      await j.setWaveApprover(w.waveId, 'oncall-1');
      await j.setWaveState(w.waveId, 'paused');
      let got = (await j.getWave(w.waveId))!;
      expect(got).toMatchObject({ control: 'pause', concurrency: 16, approvedBy: 'oncall-1', state: 'paused', finishedAt: null });
      expect(Date.parse(got.updatedAt)).toBeGreaterThan(NOW.getTime());

      await j.setWaveControl(w.waveId, 'abort');
      await j.setWaveState(w.waveId, 'aborted');
      got = (await j.getWave(w.waveId))!;
      expect(got).toMatchObject({ control: 'abort', state: 'aborted' });
      expect(got.finishedAt).not.toBeNull();
      await j.setWaveState(w.waveId, 'running');
      expect((await j.getWave(w.waveId))!.finishedAt).toBeNull();
    });

    it('creates an exclusive wave only while its environment has no active wave (interrupted counts)', async () => {
      const j = await journal();
      const first = await j.createWave(waveInput('stage'), [plannedRuntime(1)], NOW, { exclusive: true });
      // Another environment is independent.
      const prod = await j.createWave(waveInput('prod'), [plannedRuntime(2)], NOW, { exclusive: true });
      expect(prod.waveId).toBe(`prod-${DAY}-1`);
      for (const state of ['running', 'paused', 'draining', 'interrupted'] as const) {
        await j.setWaveState(first.waveId, state);
        const refused = await j.createWave(waveInput('stage'), [plannedRuntime(3)], NOW, { exclusive: true }).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(WaveActiveError);
        expect(refused).toMatchObject({ code: 'wave-active', env: 'stage', waveId: first.waveId, state });
      }
      // The refused creates left nothing behind: no wave, no runtimes, no number used.
      expect((await j.listWaves({ env: 'stage' })).map((w) => w.waveId)).toEqual([first.waveId]);
      // Ended waves do not hold the environment.
      let n = 2;
      for (const state of ['finished', 'aborted', 'budget-stopped'] as const) {
        await j.setWaveState(first.waveId, state);
        const next = await j.createWave(waveInput('stage'), [plannedRuntime(4)], NOW, { exclusive: true });
        expect(next.waveId).toBe(`stage-${DAY}-${n++}`);
        await j.setWaveState(next.waveId, 'finished');
      }
    });

    it('lets exactly one of two concurrent exclusive creates for one environment win', async () => {
      const j = await journal();
      for (let round = 0; round < 5; round++) {
        const env = `env${round}`;
        const settled = await Promise.allSettled([
          j.createWave(waveInput(env), [plannedRuntime(1)], NOW, { exclusive: true }),
          j.createWave(waveInput(env, { planHash: 'b'.repeat(64) }), [plannedRuntime(2)], NOW, { exclusive: true }),
        ]);
        const won = settled.filter((s) => s.status === 'fulfilled');
        const lost = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0].reason).toBeInstanceOf(WaveActiveError);
        const waves = await j.listWaves({ env });
        expect(waves).toHaveLength(1);
        expect((lost[0].reason as WaveActiveError).waveId).toBe(waves[0].waveId);
        expect(await j.listWaveRuntimes(waves[0].waveId)).toHaveLength(1);
      }
    });

    it("gives a runtime's history across waves, oldest wave first", async () => {
      const j = await journal();
      const rt = plannedRuntime(7);
      const w1 = await j.createWave(waveInput('stage'), [rt, plannedRuntime(8)], NOW);
      await j.startRuntime(w1.waveId, rt.runtimeId);
      await j.finishRuntime(w1.waveId, rt.runtimeId, migrationResult(rt.runtimeId, { outcome: 'timeout', class: 'platform' }));
      const w2 = await j.createWave(waveInput('stage'), [rt], NOW);

      const history = await j.runtimeHistory(rt.runtimeId);
      expect(history.map((h) => [h.waveId, h.state, h.result?.outcome ?? null])).toEqual([
        [w1.waveId, 'finished', 'timeout'],
        [w2.waveId, 'pending', null],
      ]);
      expect(await j.runtimeHistory('unknown')).toEqual([]);
    });

    it('records and lists approvals per plan hash, in the order recorded', async () => {
      const j = await journal();
      const a1 = { planHash: 'p1', approver: 'oncall-1', requestedBy: 'sre-1', action: 'run', createdAt: '2025-03-04T10:00:00.000Z', expiresAt: '2025-03-04T10:30:00.000Z' };
      const a2 = { ...a1, approver: 'oncall-2', action: 'rename:rt-1', createdAt: '2025-03-04T10:05:00.000Z' };
      await j.recordApproval(a1);
      await j.recordApproval(a2);
      await j.recordApproval({ ...a1, planHash: 'p2' });
      const listed = await j.listApprovals('p1');
      expect(listed).toMatchObject([
        { ...a1, usedAt: null, usedBy: null },
        { ...a2, usedAt: null, usedBy: null },
      ]);
      expect(typeof listed[0].id).toBe('number');
      expect(await j.listApprovals('p3')).toEqual([]);
    });

    it('uses an approval up exactly once, also when two callers race for it', async () => {
      const j = await journal();
      await j.recordApproval({ planHash: 'p1', approver: 'oncall-1', requestedBy: 'sre-1', action: 'retry-failed', createdAt: '2025-03-04T10:00:00.000Z', expiresAt: '2025-03-04T10:30:00.000Z' });
      const [a] = await j.listApprovals('p1');
      const raced = await Promise.all([j.consumeApproval(a.id!, 'sre-1', NOW), j.consumeApproval(a.id!, 'sre-2', NOW)]);
      expect(raced.filter(Boolean)).toHaveLength(1);
      expect(await j.consumeApproval(a.id!, 'sre-3', NOW)).toBe(false);
      expect(await j.consumeApproval(999_999, 'sre-3', NOW)).toBe(false);
      const [after] = await j.listApprovals('p1');
      expect(after.usedAt).toBe(NOW.toISOString());
      expect(['sre-1', 'sre-2']).toContain(after.usedBy);
    });

    it('uses a run approval up with the wave it creates: one approval, one wave, also when two creators race', async () => {
      const j = await journal();
      await j.recordApproval({ planHash: 'p1', approver: 'oncall-1', requestedBy: 'sre-1', action: 'run', createdAt: '2025-03-04T10:00:00.000Z', expiresAt: '2025-03-04T10:30:00.000Z' });
      const [a] = await j.listApprovals('p1');
      const create = (env: string) =>
        j.createWave({ env, target: 'trial', planHash: 'p1', state: 'running', concurrency: 4, requestedBy: 'sre-1', approvedBy: 'oncall-1' }, [plannedRuntime(1)], NOW, { consumeApproval: { id: a.id!, usedBy: 'sre-1' } });
      const raced = await Promise.allSettled([create('prod'), create('stage')]);
      expect(raced.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = raced.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toBeInstanceOf(ApprovalUsedError);
      // The refused creator left nothing behind: one wave, the approval used by it.
      expect(await j.listWaves()).toHaveLength(1);
      expect((await j.listApprovals('p1'))[0]).toMatchObject({ usedAt: NOW.toISOString(), usedBy: 'sre-1' });
      await expect(create('dev')).rejects.toBeInstanceOf(ApprovalUsedError);
      expect(await j.listWaves()).toHaveLength(1);
    });

    it('records plan cancellations until a new plan lifts them', async () => {
      const j = await journal();
      expect(await j.planCancellation('p1')).toBeUndefined();
      await j.cancelPlan('p1', 'sre-1', NOW);
      await j.cancelPlan('p1', 'sre-2', new Date(NOW.getTime() + 1000));
      expect(await j.planCancellation('p1')).toEqual({ planHash: 'p1', cancelledBy: 'sre-1', cancelledAt: NOW.toISOString() });
      expect(await j.planCancellation('p2')).toBeUndefined();
      expect(await j.clearPlanCancellation('p1', 'sre-3', NOW)).toBe(true);
      expect(await j.planCancellation('p1')).toBeUndefined();
      expect(await j.clearPlanCancellation('p1', 'sre-3', NOW)).toBe(false);
      await j.cancelPlan('p1', 'sre-4', NOW);
      expect((await j.planCancellation('p1'))?.cancelledBy).toBe('sre-4');
    });

    it('remembers a key once until it expires, also when two callers race', async () => {
      const j = await journal();
      const raced = await Promise.all([j.rememberOnce('sig-1', 300_000, NOW), j.rememberOnce('sig-1', 300_000, NOW)]);
      expect(raced.filter(Boolean)).toHaveLength(1);
      expect(await j.rememberOnce('sig-1', 300_000, new Date(NOW.getTime() + 299_000))).toBe(false);
      expect(await j.rememberOnce('sig-2', 300_000, NOW)).toBe(true);
      // Expired: seen again as new (Slack refuses such an old request by its timestamp anyway).
      expect(await j.rememberOnce('sig-1', 300_000, new Date(NOW.getTime() + 300_001))).toBe(true);
    });

    it('keeps one active task per runtime, records state changes and who made them, and filters by state', async () => {
      const j = await journal();
      const rt = plannedRuntime(1);
      const input = {
        runtimeId: rt.runtimeId,
        waveId: null,
        env: 'prod',
        globalAccountId: rt.globalAccountId,
        subaccountId: rt.subaccountId,
        shootName: rt.shootName,
        istioCrs: [
          { name: 'custom', createdAt: '2024-11-02T08:00:00Z', state: 'Ready' },
          { name: 'default', createdAt: null, state: null },
        ],
        message: 'More than one Istio CR present on the cluster. Script rename-to-default.sh might be required.',
      };
      const t1 = await j.openTask(input);
      expect(t1).toMatchObject({ ...input, state: 'open', updatedBy: null });
      expect(t1.taskId).toMatch(/^task-\d+$/);

      expect(await j.openTask({ ...input, message: 'again' })).toEqual(t1);
      const other = await j.openTask({ ...input, runtimeId: plannedRuntime(2).runtimeId });
      expect(other.taskId).not.toBe(t1.taskId);

      await j.setTaskState(t1.taskId, 'agreed', 'sre-2');
      expect(await j.getTask(t1.taskId)).toMatchObject({ state: 'agreed', updatedBy: 'sre-2' });
      expect((await j.openTask(input)).taskId).toBe(t1.taskId); // agreed is still active

      await j.setTaskState(t1.taskId, 'resolved', 'sre-3');
      const t2 = await j.openTask({ ...input, waveId: 'prod-20250304-1' });
      expect(t2.taskId).not.toBe(t1.taskId);
      expect(t2).toMatchObject({ state: 'open', waveId: 'prod-20250304-1' });

      expect((await j.listTasks()).map((t) => t.taskId)).toEqual([t1.taskId, other.taskId, t2.taskId]);
      expect((await j.listTasks({ states: ['open'] })).map((t) => t.taskId)).toEqual([other.taskId, t2.taskId]);
      expect((await j.listTasks({ states: ['resolved', 'declined'] })).map((t) => [t.taskId, t.updatedBy])).toEqual([[t1.taskId, 'sre-3']]);
      expect(await j.getTask('task-424242')).toBeUndefined();
      expect(await j.getTask('nonsense')).toBeUndefined();
    });

    it('replaces a task\'s Istio CR list (after a rename) and refuses an unknown task', async () => {
      const j = await journal();
      const rt = plannedRuntime(11);
      const t = await j.openTask({ runtimeId: rt.runtimeId, waveId: null, env: 'dev', globalAccountId: 'ga', subaccountId: 'sa', shootName: 's', istioCrs: [{ name: 'my-istio', createdAt: '2024-11-02T08:00:00Z', state: 'Ready' }], message: 'm' });
      await j.setTaskIstioCrs(t.taskId, [{ name: 'default', createdAt: '2025-03-04T10:00:00Z', state: 'Ready' }]);
      expect((await j.getTask(t.taskId))?.istioCrs).toEqual([{ name: 'default', createdAt: '2025-03-04T10:00:00Z', state: 'Ready' }]);
      expect((await j.getTask(t.taskId))?.state).toBe('open');
      await expect(j.setTaskIstioCrs('task-999999', [])).rejects.toBeInstanceOf(JournalNotFoundError);
    });

    it('opens one task when two openers race for the same runtime', async () => {
      const j = await journal();
      const rt = plannedRuntime(9);
      const input = { runtimeId: rt.runtimeId, waveId: null, env: 'prod', globalAccountId: 'ga', subaccountId: 'sa', shootName: 's', istioCrs: [], message: 'm' };
      const tasks = await Promise.all(Array.from({ length: 5 }, () => j.openTask(input)));
      expect(new Set(tasks.map((t) => t.taskId)).size).toBe(1);
      expect(await j.listTasks()).toHaveLength(1);
    });

    it('appends audit entries and lists them newest first, by subject, with a limit', async () => {
      const j = await journal();
      await j.audit({ actor: 'sre-1', action: 'run', subject: 'stage-20250304-1', detail: { planHash: 'p1', runtimes: 3 }, at: '2025-03-04T10:00:00.000Z' });
      await j.audit({ actor: 'sre-2', action: 'pause', subject: 'stage-20250304-1', detail: null });
      await j.audit({ actor: 'oncall-1', action: 'approve', subject: 'p1', detail: ['a', 1] });
      await j.audit({ actor: 'sre-1', action: 'resume', subject: 'stage-20250304-1', detail: undefined });

      const all = await j.listAudit();
      expect(all.map((e) => e.action)).toEqual(['resume', 'approve', 'pause', 'run']);
      expect(all[3]).toEqual({ id: expect.any(Number), at: '2025-03-04T10:00:00.000Z', actor: 'sre-1', action: 'run', subject: 'stage-20250304-1', detail: { planHash: 'p1', runtimes: 3 } });
      expect(all[1].detail).toEqual(['a', 1]);
      expect(all[0].detail).toBeNull();
      expect(all[0].id!).toBeGreaterThan(all[1].id!);
      expect(Number.isNaN(Date.parse(all[0].at))).toBe(false);
      expect((await j.listAudit({ subject: 'stage-20250304-1', limit: 2 })).map((e) => e.action)).toEqual(['resume', 'pause']);
      expect((await j.listAudit({ limit: 1 })).map((e) => e.action)).toEqual(['resume']);
    });

    it('sets, overwrites, reads and deletes (null) settings', async () => {
      const j = await journal();
      expect(await j.getSetting('freeze:prod')).toBeUndefined();
      await j.setSetting('freeze:prod', 'true');
      await j.setSetting('freeze:prod', 'false');
      await j.setSetting('slack:wave:stage-20250304-1', 'C123/1700000000.000100');
      expect(await j.getSetting('freeze:prod')).toBe('false');
      await j.setSetting('freeze:prod', null);
      expect(await j.getSetting('freeze:prod')).toBeUndefined();
      expect(await j.getSetting('slack:wave:stage-20250304-1')).toBe('C123/1700000000.000100');
      await j.setSetting('never-set', null);
    });

    it("keeps a wave's limit history beside its latest limit in settings (saveLimit): appended on change, kept after the run", async () => {
      const j = await journal();
      const w = 'stage-20250304-1';
      const t0 = NOW.getTime();
      const held = { inFlight: 2, limit: 2, requested: 8, cause: 'held at 2 by the budget guard: 1 failure left' };
      await saveLimit(j, w, { inFlight: 0, limit: 8, requested: 8, cause: 'at the requested concurrency' }, t0);
      await saveLimit(j, w, { inFlight: 5, limit: 8, requested: 8, cause: 'at the requested concurrency' }, t0 + 1000); // in flight only: no point
      await saveLimit(j, w, held, t0 + 5000);
      expect(await readLimit(j, w)).toEqual(held);
      await saveLimit(j, w, null, t0 + 9000);
      expect(await readLimit(j, w)).toBeUndefined();
      expect(await readLimitHistory(j, w)).toEqual([
        { t: t0 / 1000, limit: 8, requested: 8, cause: 'at the requested concurrency' },
        { t: t0 / 1000 + 5, limit: 2, requested: 8, cause: 'held at 2 by the budget guard: 1 failure left' },
      ]);
      expect(await readLimitHistory(j, 'stage-20250304-2')).toEqual([]);
    });

    it('runtime writes of a runner apply only while it holds the wave lease (same statement); a finished result is never overwritten', async () => {
      const j = await journal();
      const [a, b] = [plannedRuntime(1), plannedRuntime(2)];
      const w = await j.createWave({ env: 'stage', target: 'all', planHash: 'p', state: 'running', concurrency: 4, requestedBy: 'sre-1', approvedBy: null }, [a, b], NOW);
      await j.acquireLease(w.waveId, 'host:1:aaaa', 60_000);
      await j.startRuntime(w.waveId, a.runtimeId, 'host:1:aaaa');
      await j.checkpoint(w.waveId, a.runtimeId, 'before-patch', 'host:1:aaaa');
      // A second runner of the same process (another holder) cannot write, whatever it writes.
      const refused = await Promise.allSettled([
        j.startRuntime(w.waveId, b.runtimeId, 'host:1:bbbb'),
        j.checkpoint(w.waveId, a.runtimeId, 'patched', 'host:1:bbbb'),
        j.finishRuntime(w.waveId, a.runtimeId, migrationResult(a.runtimeId), 'host:1:bbbb'),
        // Leaving the holder out does not bypass the check on a wave that has a lease.
        j.startRuntime(w.waveId, b.runtimeId),
        j.checkpoint(w.waveId, a.runtimeId, 'patched'),
        j.finishRuntime(w.waveId, a.runtimeId, migrationResult(a.runtimeId)),
      ]);
      for (const r of refused) {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(RuntimeWriteRefusedError);
        expect(((r as PromiseRejectedResult).reason as RuntimeWriteRefusedError).reason).toBe('not-lease-holder');
      }
      let rows = await j.listWaveRuntimes(w.waveId);
      expect(rows.map((r) => [r.state, r.attempts])).toEqual([
        ['before-patch', 1],
        ['pending', 0],
      ]);
      // The holder finishes; nothing overwrites the result afterwards — not even the holder.
      const first = migrationResult(a.runtimeId, { outcome: 'error', reason: 'istio-error', class: 'platform', patched: true });
      await j.finishRuntime(w.waveId, a.runtimeId, first, 'host:1:aaaa');
      for (const write of [
        () => j.finishRuntime(w.waveId, a.runtimeId, migrationResult(a.runtimeId, { outcome: 'already-migrated', class: 'none' }), 'host:1:aaaa'),
        () => j.finishRuntime(w.waveId, a.runtimeId, migrationResult(a.runtimeId, { outcome: 'already-migrated', class: 'none' })),
        () => j.startRuntime(w.waveId, a.runtimeId, 'host:1:aaaa'),
        () => j.checkpoint(w.waveId, a.runtimeId, 'patched'),
      ]) {
        const e = await write().then(() => undefined, (err: unknown) => err);
        expect(e).toBeInstanceOf(RuntimeWriteRefusedError);
        expect((e as RuntimeWriteRefusedError).reason).toBe('finished');
      }
      rows = await j.listWaveRuntimes(w.waveId);
      expect([rows[0].state, rows[0].attempts, rows[0].result?.outcome, rows[0].result?.reason]).toEqual(['finished', 1, 'error', 'istio-error']);
      // retry-failed reopens it: then it may be written again.
      await j.resetRuntimes(w.waveId, [a.runtimeId]);
      await j.startRuntime(w.waveId, a.runtimeId, 'host:1:aaaa');
      expect((await j.listWaveRuntimes(w.waveId))[0].attempts).toBe(2);
    });

    it('leases: a live lease is taken over only from the holder named as dead (takeOverFrom)', async () => {
      const j = await journal();
      await j.acquireLease('stage-20250304-9', 'host:1:aaaa', 60_000);
      expect((await j.acquireLease('stage-20250304-9', 'host:2:cccc', 60_000, { takeOverFrom: 'host:1:other' })).holder).toBe('host:1:aaaa');
      expect((await j.acquireLease('stage-20250304-9', 'host:2:cccc', 60_000, { takeOverFrom: 'host:1:aaaa' })).holder).toBe('host:2:cccc');
      expect((await j.acquireLease('stage-20250304-9', 'host:1:aaaa', 60_000)).holder).toBe('host:2:cccc');
    });

    it('leases: the second holder is refused while the lease is valid, takes over after expiry; release frees it', async () => {
      const j = await journal();
      const a = await j.acquireLease('stage-20250304-1', 'runner-a', 60_000);
      expect(a.holder).toBe('runner-a');
      expect(Date.parse(a.expiresAt)).toBeGreaterThan(Date.now() + 50_000);

      const b = await j.acquireLease('stage-20250304-1', 'runner-b', 60_000);
      expect(b).toEqual(a);
      const renewed = await j.acquireLease('stage-20250304-1', 'runner-a', 120_000);
      expect(renewed.holder).toBe('runner-a');
      expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.parse(a.expiresAt));
      expect((await j.acquireLease('stage-20250304-2', 'runner-b', 60_000)).holder).toBe('runner-b');

      await j.releaseLease('stage-20250304-1', 'runner-b'); // not the holder: no effect
      expect((await j.acquireLease('stage-20250304-1', 'runner-b', 60_000)).holder).toBe('runner-a');
      await j.releaseLease('stage-20250304-1', 'runner-a');
      expect((await j.acquireLease('stage-20250304-1', 'runner-b', 60_000)).holder).toBe('runner-b');

      // A lease of 3 s (not a few ms that a busy machine could overshoot between two calls), then wait for its end.
      const short = await j.acquireLease('w-short', 'runner-a', 3000);
      expect((await j.acquireLease('w-short', 'runner-b', 3000)).holder).toBe('runner-a');
      while (Date.now() <= Date.parse(short.expiresAt) + 20) await sleep(Math.max(10, Date.parse(short.expiresAt) + 25 - Date.now()));
      // getLease reads without taking: the expired lease is still runner-a's until someone takes it.
      expect((await j.getLease('w-short'))?.holder).toBe('runner-a');
      expect(Date.parse((await j.getLease('w-short'))!.expiresAt)).toBeLessThan(Date.now());
      expect((await j.acquireLease('w-short', 'runner-b', 60_000)).holder).toBe('runner-b');
      expect(await j.getLease('never-leased')).toBeUndefined();
    });
  });
}
