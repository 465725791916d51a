/** The journal contract, part 1: plans, waves, their runtimes' writes and history (journal-contract.ts runs it). */
import { expect, it } from '@jest/globals';
import { JournalNotFoundError, WaveActiveError } from '../../../src/journal/errors.js';
import { migrationResultSchema } from '../../../src/migration/result.js';
import { DAY, migrationResult, NOW, plannedRuntime, waveInput, type MakeJournal } from './contract-fixtures.js';

export function waveContract(journal: MakeJournal): void {
  it('migrates idempotently', async () => {
    const j = await journal();
    await j.migrate();
    await j.migrate();
    await j.freeze('prod', 'sre-1');
    expect(await j.frozenScopes()).toEqual(['prod']);
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
    // Only hex digits name a plan by prefix: a typo is not stripped down to a prefix that happens to match.
    expect((await j.getPlan('ABCDEF012345'))?.hash).toBe('abcdef0123456789');
    expect(await j.getPlan('zzzzzzzz')).toBeUndefined();
    expect(await j.getPlan('abcdef01-2345')).toBeUndefined();
    expect(await j.getPlan('abcdef0x12345')).toBeUndefined();
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

  it('counts the runtimes whose result finished at or after a moment (the live ETA\'s pace), finished ones only', async () => {
    const j = await journal();
    const rts = [plannedRuntime(1), plannedRuntime(2), plannedRuntime(3), plannedRuntime(4)];
    const w = await j.createWave(waveInput('stage'), rts, NOW);
    const other = await j.createWave(waveInput('dev'), [plannedRuntime(1)], NOW);
    for (const r of rts) await j.startRuntime(w.waveId, r.runtimeId);
    const at = (iso: string, r: (typeof rts)[number]) => migrationResult(r.runtimeId, { finishedAt: iso });
    await j.finishRuntime(w.waveId, rts[0].runtimeId, at('2025-03-04T10:00:00.000Z', rts[0]));
    await j.finishRuntime(w.waveId, rts[1].runtimeId, at('2025-03-04T10:09:59.999Z', rts[1]));
    await j.finishRuntime(w.waveId, rts[2].runtimeId, at('2025-03-04T10:10:00.000Z', rts[2]));
    await j.startRuntime(other.waveId, plannedRuntime(1).runtimeId);
    await j.finishRuntime(other.waveId, plannedRuntime(1).runtimeId, at('2025-03-04T10:30:00.000Z', rts[0]));

    expect(await j.countFinishedSince(w.waveId, new Date('2025-03-04T10:10:00.000Z'))).toBe(1);
    expect(await j.countFinishedSince(w.waveId, new Date('2025-03-04T10:05:00.000Z'))).toBe(2);
    expect(await j.countFinishedSince(w.waveId, new Date('2025-03-04T09:00:00.000Z'))).toBe(3);
    expect(await j.countFinishedSince(w.waveId, new Date('2025-03-04T10:10:00.001Z'))).toBe(0);
    // Reopened: no longer finished, so no longer counted.
    await j.resetRuntimes(w.waveId, [rts[2].runtimeId]);
    expect(await j.countFinishedSince(w.waveId, new Date('2025-03-04T10:05:00.000Z'))).toBe(1);
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
}
