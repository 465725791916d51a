/** The journal contract, part 2: approvals, cancellations, seen-once keys, tasks, audit and leases (journal-contract.ts runs it). */
import { expect, it } from '@jest/globals';
import { ApprovalUsedError, JournalNotFoundError, RuntimeWriteRefusedError } from '../../../src/journal/errors.js';
import { migrationResult, NOW, plannedRuntime, sleep, type MakeJournal } from './contract-fixtures.js';

export function recordContract(journal: MakeJournal): void {
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

  it('voids the unused approvals of a plan it cancels, and only those', async () => {
    const j = await journal();
    const approval = (planHash: string, approver: string) => ({ planHash, approver, requestedBy: 'sre-1', action: 'run', createdAt: NOW.toISOString(), expiresAt: new Date(NOW.getTime() + 3_600_000).toISOString() });
    await j.recordApproval(approval('p1', 'oncall-1'));
    await j.recordApproval(approval('p1', 'oncall-2'));
    await j.recordApproval(approval('p2', 'oncall-1'));
    const used = (await j.listApprovals('p1')).find((a) => a.approver === 'oncall-2')!;
    expect(await j.consumeApproval(used.id!, 'sre-1', NOW)).toBe(true);
    expect(await j.cancelPlan('p1', 'sre-2', NOW)).toBe(1);
    const p1 = await j.listApprovals('p1');
    expect(p1.find((a) => a.approver === 'oncall-1')).toMatchObject({ usedBy: 'cancelled-by:sre-2', usedAt: NOW.toISOString() });
    expect(p1.find((a) => a.approver === 'oncall-2')).toMatchObject({ usedBy: 'sre-1' });
    expect(await j.consumeApproval(p1.find((a) => a.approver === 'oncall-1')!.id!, 'sre-1', NOW)).toBe(false);
    expect((await j.listApprovals('p2'))[0].usedAt).toBeNull();
    expect(await j.cancelPlan('p1', 'sre-3', NOW)).toBe(0);
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
}
