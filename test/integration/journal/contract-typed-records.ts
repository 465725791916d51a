/**
 * The journal contract, part 3: the typed records (freezes, wave budgets, verdicts and limits, the landscape claim,
 * chat message references, wave finals, approval requests), and the move of the settings rows that older versions
 * kept them in (migration 4). journal-contract.ts runs it.
 */
import { expect, it } from '@jest/globals';
import type { ApprovalRequest } from '../../../src/journal/journal.js';
import type { SqlJournal } from '../../../src/journal/sql/store.js';
import type { Dialect, Session } from '../../../src/journal/sql/dialect.js';
import { readLimit, readLimitHistory, saveLimit } from '../../../src/rollout/limit.js';
import { NOW, type MakeJournal } from './contract-fixtures.js';

const request = (over: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
  id: '0123456789abcdef',
  planHash: 'a'.repeat(64),
  action: 'run',
  env: 'prod',
  target: 'kyma-prod-1',
  requester: 'U0SRE1',
  channel: 'C0PROD',
  ts: '1700000000.000100',
  then: { kind: 'command', name: 'run', argv: ['--plan', 'a'.repeat(12), '--yes'] },
  subject: { kind: 'plan' },
  requestedAt: '2025-03-04T10:20:30.000Z',
  expiresAt: '2025-03-04T11:20:30.000Z',
  state: 'pending',
  ...over,
});

export function typedRecordContract(journal: MakeJournal, unmigrated?: () => Promise<SqlJournal>): void {
  it('freezes scopes (who and when; freezing again keeps the first), lists and lifts them', async () => {
    const j = await journal();
    expect(await j.frozenScopes()).toEqual([]);
    await j.freeze('prod', 'sre-1', NOW);
    await j.freeze('all', 'sre-2', NOW);
    await j.freeze('prod', 'sre-3');
    expect(await j.frozenScopes()).toEqual(['all', 'prod']);
    expect(await j.listFreezes()).toEqual([
      { scope: 'all', frozenBy: 'sre-2', frozenAt: NOW.toISOString() },
      { scope: 'prod', frozenBy: 'sre-1', frozenAt: NOW.toISOString() },
    ]);
    expect(await j.unfreeze('prod')).toBe(true);
    expect(await j.unfreeze('prod')).toBe(false);
    expect(await j.frozenScopes()).toEqual(['all']);
  });

  it("keeps a wave's raised budget and verdict, replacing them", async () => {
    const j = await journal();
    const w = 'prod-20250304-1';
    expect(await j.raisedBudget(w)).toBeUndefined();
    expect(await j.waveVerdict(w)).toBeUndefined();
    await j.setRaisedBudget(w, 5);
    await j.setRaisedBudget(w, 10);
    await j.setWaveVerdict(w, 'failed');
    await j.setWaveVerdict(w, 'ok');
    expect([await j.raisedBudget(w), await j.waveVerdict(w), await j.raisedBudget('prod-20250304-2')]).toEqual([10, 'ok', undefined]);
  });

  it("keeps a wave's limit history beside its latest limit (saveLimit): appended on change, kept after the run", async () => {
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

  it('records the landscape a journal belongs to once: a second claim gets the first', async () => {
    const j = await journal();
    expect(await j.landscapeClaim()).toBeUndefined();
    const first = { id: 'landscape:dev stage', description: 'the landscape of a.yaml', recordedAt: NOW.toISOString() };
    expect(await j.claimLandscape(first)).toEqual(first);
    expect(await j.claimLandscape({ id: 'simulated:dev', description: 'the simulated landscape', recordedAt: new Date().toISOString() })).toEqual(first);
    expect(await j.landscapeClaim()).toEqual(first);
  });

  it('keeps chat message references per kind and subject, and wave finals claimed once', async () => {
    const j = await journal();
    await j.setChatMessage('wave', 'stage-20250304-1', { channel: 'C1', ts: '1.1' });
    await j.setChatMessage('task', 'stage-20250304-1', { channel: 'C2', ts: '2.2' });
    await j.setChatMessage('wave', 'stage-20250304-1', { channel: 'C1', ts: '1.5' });
    expect(await j.chatMessage('wave', 'stage-20250304-1')).toEqual({ channel: 'C1', ts: '1.5' });
    expect(await j.chatMessage('task', 'stage-20250304-1')).toEqual({ channel: 'C2', ts: '2.2' });
    expect(await j.chatMessage('plan', 'stage-20250304-1')).toBeUndefined();

    const claims = await Promise.all([j.claimWaveFinal('w1'), j.claimWaveFinal('w1')]);
    expect(claims.sort()).toEqual([false, true]);
    expect(await j.waveFinal('w1')).toEqual({ state: 'started' });
    await j.setWaveFinal('w1', { state: 'done', final: { check: { ok: true }, notMigrated: ['a b'] } });
    expect(await j.waveFinal('w1')).toEqual({ state: 'done', final: { check: { ok: true }, notMigrated: ['a b'] } });
    expect(await j.waveFinal('w2')).toBeUndefined();
    await j.ping();
  });

  it('records approval requests and their approval, round-tripping every field', async () => {
    const j = await journal();
    expect(await j.approvalRequest('0123456789abcdef')).toBeUndefined();
    await j.saveApprovalRequest(request());
    expect(await j.approvalRequest('0123456789abcdef')).toEqual(request());
    const done = request({ state: 'approved', approvedBy: 'U0ONCALL', approvedAt: '2025-03-04T10:25:00.000Z', threadTs: '1699999999.000200', subject: { kind: 'task', taskId: 'task-3', runtimeId: 'r-3' } });
    await j.saveApprovalRequest(done);
    expect(await j.approvalRequest('0123456789abcdef')).toEqual(done);
    const old = request({ id: 'fedcba9876543210', then: { kind: 'run' } });
    delete old.subject;
    await j.saveApprovalRequest(old);
    expect(await j.approvalRequest('fedcba9876543210')).toEqual(old);
  });


  if (unmigrated) {
    it('moves the settings rows of a journal written by an older version into the typed records (migrations 4 and 5)', async () => {
      const j = await unmigrated();
      await j.migrate(3);
      const rows: [string, string][] = [
        ['freeze:prod', 'true'],
        ['freeze:stage', 'false'],
        ['budget:prod-20250304-1', '12'],
        ['verified:prod-20250304-1', 'ok'],
        ['wave-limit:prod-20250304-1', JSON.stringify({ inFlight: 1, limit: 2, requested: 4, cause: 'held at 2' })],
        ['wave-limit-history:prod-20250304-1', JSON.stringify([{ t: 1, limit: 2, requested: 4, cause: 'held at 2' }])],
        ['landscape', JSON.stringify({ id: 'simulated:dev', description: 'the simulated landscape', recordedAt: NOW.toISOString() })],
        ['slack:wave:prod-20250304-1', JSON.stringify({ channel: 'C1', ts: '1.1' })],
        ['slack:task:task-1', JSON.stringify({ channel: 'C2', ts: '2.2' })],
        ['slack:plan:abc', JSON.stringify({ channel: 'C3', ts: '3.3' })],
        ['slack:wave-final:prod-20250304-1', JSON.stringify({ state: 'done', final: { check: { ok: true } } })],
        ['slack:approval:0123456789abcdef', JSON.stringify(request())],
        ['slack:approval:broken', '{"id":'],
        ['something-else', 'kept'],
      ];
      // As the older version wrote them: straight into its settings table.
      const raw = j as unknown as { db: Session; d: Dialect };
      for (const [k, v] of rows) await raw.db.query(undefined, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, ${raw.d.now})`, [k, v]);
      await j.migrate();
      expect(await j.frozenScopes()).toEqual(['prod']);
      expect((await j.listFreezes())[0].frozenBy).toBeNull();
      expect([await j.raisedBudget('prod-20250304-1'), await j.waveVerdict('prod-20250304-1')]).toEqual([12, 'ok']);
      expect(await j.waveLimit('prod-20250304-1')).toEqual({ inFlight: 1, limit: 2, requested: 4, cause: 'held at 2' });
      expect(await j.waveLimitHistory('prod-20250304-1')).toEqual([{ t: 1, limit: 2, requested: 4, cause: 'held at 2' }]);
      expect(await j.landscapeClaim()).toEqual({ id: 'simulated:dev', description: 'the simulated landscape', recordedAt: NOW.toISOString() });
      expect(await j.chatMessage('wave', 'prod-20250304-1')).toEqual({ channel: 'C1', ts: '1.1' });
      expect(await j.chatMessage('task', 'task-1')).toEqual({ channel: 'C2', ts: '2.2' });
      expect(await j.chatMessage('plan', 'abc')).toEqual({ channel: 'C3', ts: '3.3' });
      expect(await j.waveFinal('prod-20250304-1')).toEqual({ state: 'done', final: { check: { ok: true } } });
      expect(await j.approvalRequest('0123456789abcdef')).toEqual(request());
      // The settings table is gone (migration 5); what could not be read, and what is not a record, is in the audit log.
      const catalog =
        j.constructor.name === 'SqliteJournal'
          ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'settings'"
          : "SELECT table_name AS name FROM information_schema.tables WHERE table_name = 'settings' AND table_schema = current_schema()";
      expect((await raw.db.query(undefined, catalog)).rows).toEqual([]);
      const dropped = (await j.listAudit()).filter((e) => e.action === 'settings-dropped');
      expect(dropped.map((e) => [e.subject, e.detail])).toEqual(
        expect.arrayContaining([
          ['slack:approval:broken', { value: '{"id":' }],
          ['something-else', { value: 'kept' }],
        ]),
      );
      expect(dropped).toHaveLength(2);
    });
  }
}
