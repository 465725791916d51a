/**
 * rollout/approval-requests.ts: the verdict on an Approve click (pure), and whether a request's plan is still the one
 * requested, read from a real (in-memory SQLite) journal.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Journal } from '../../../src/journal/journal.js';
import { openJournal } from '../../../src/journal/open-journal.js';
import { judgeApprovalClick, requestOpen, requestStaleness, type ClickFacts, type RequestedApproval } from '../../../src/rollout/approval-requests.js';

const HASH = 'a'.repeat(64);
const NOW = Date.parse('2026-11-25T10:00:00.000Z');
const pending: RequestedApproval = { planHash: HASH, requester: 'U-REQ', subject: { kind: 'wave', waveId: 'prod-20261125-1' }, expiresAt: '2026-11-25T10:30:00.000Z', state: 'pending' };
const facts = (over: Partial<ClickFacts>): ClickFacts => ({ req: pending, clicker: 'U-ONCALL', now: NOW, inFlight: false, ...over });

describe('judgeApprovalClick', () => {
  it.each([
    ['no such request', { result: 'unknown' }, facts({ req: undefined })],
    ['already approved (double click, Slack retry)', { result: 'duplicate', recording: false }, facts({ req: { ...pending, state: 'approved', approvedBy: 'U-ONCALL' } })],
    ['being recorded right now', { result: 'duplicate', recording: true }, facts({ inFlight: true })],
    ['expired', { result: 'expired' }, facts({ now: Date.parse(pending.expiresAt) })],
    ['the requester', { result: 'requester' }, facts({ clicker: 'U-REQ' })],
    ['a stale plan', { result: 'stale-plan', stale: { kind: 'cancelled', by: 'U-2' } }, facts({ stale: { kind: 'cancelled', by: 'U-2' } })],
    // An approved request answers "already approved" even to its requester or after its expiry.
    ['approved, clicked by the requester after expiry', { result: 'duplicate', recording: false }, facts({ clicker: 'U-REQ', now: NOW + 86_400_000, req: { ...pending, state: 'approved' } })],
    // The requester hears that they cannot approve before that the plan went stale.
    ['the requester, on a stale plan', { result: 'requester' }, facts({ clicker: 'U-REQ', stale: { kind: 'gone' } })],
    // The clicked message is not the request's: a later request (same plan and action) replaced the record.
    ['a button of a replaced request', { result: 'superseded' }, facts({ req: { ...pending, channel: 'C-PROD', ts: '2.0' }, clicked: { channel: 'C-PROD', ts: '1.0' } })],
    ['a button of a replaced request, even if that one was approved', { result: 'superseded' }, facts({ req: { ...pending, state: 'approved', channel: 'C-PROD', ts: '2.0' }, clicked: { channel: 'C-PROD', ts: '1.0' } })],
    ['the same ts in another channel', { result: 'superseded' }, facts({ req: { ...pending, channel: 'C-PROD', ts: '2.0' }, clicked: { channel: 'C-OTHER', ts: '2.0' } })],
  ])('%s', (_name, verdict, f) => {
    expect(judgeApprovalClick(f)).toEqual(verdict);
  });

  it('leaves a valid click to the on-call check and the approve command', () => {
    expect(judgeApprovalClick(facts({}))).toBeUndefined();
    expect(judgeApprovalClick(facts({ req: { ...pending, channel: 'C-PROD', ts: '2.0' }, clicked: { channel: 'C-PROD', ts: '2.0' } }))).toBeUndefined();
  });

  it('keeps a request open while it is pending and unexpired', () => {
    expect(requestOpen(pending, NOW)).toBe(true);
    expect(requestOpen(pending, Date.parse(pending.expiresAt))).toBe(false);
    expect(requestOpen({ ...pending, state: 'approved' }, NOW)).toBe(false);
  });
});

describe('requestStaleness', () => {
  let journal: Journal;
  const at = '2026-11-25T09:00:00.000Z';
  const runtime = { runtimeId: 'rt-1', shootName: 'c-1', globalAccountId: 'ga', subaccountId: 'sa', plan: 'aws', region: 'eu-central-1' };
  const wave = (planHash: string) => journal.createWave({ env: 'prod', target: 'trial', planHash, state: 'running', concurrency: 1, requestedBy: 'U-REQ', approvedBy: null }, [runtime]);
  beforeAll(async () => {
    journal = await openJournal({ kind: 'sqlite', file: ':memory:' });
  });
  afterAll(() => journal.close());

  it('says whether the plan was cancelled, is gone, or the wave or task moved to another plan', async () => {
    const other = 'b'.repeat(64);
    for (const hash of [HASH, other]) await journal.savePlan({ hash, env: 'prod', target: 'trial', document: {}, createdBy: 'U-REQ', createdAt: at });
    const mine = await wave(HASH);
    const theirs = await wave(other);
    const task = await journal.openTask({ waveId: theirs.waveId, env: 'prod', runtimeId: 'rt-1', shootName: 'c-1', globalAccountId: 'ga', subaccountId: 'sa', istioCrs: [], message: 'm' });

    expect(await requestStaleness(journal, { planHash: HASH })).toBeUndefined();
    expect(await requestStaleness(journal, { planHash: HASH, subject: { kind: 'wave', waveId: mine.waveId } })).toBeUndefined();
    expect(await requestStaleness(journal, { planHash: other, subject: { kind: 'task', taskId: task.taskId, runtimeId: 'rt-1' } })).toBeUndefined();
    expect(await requestStaleness(journal, { planHash: HASH, subject: { kind: 'wave', waveId: theirs.waveId } })).toEqual({ kind: 'moved' });
    expect(await requestStaleness(journal, { planHash: HASH, subject: { kind: 'task', taskId: task.taskId, runtimeId: 'rt-1' } })).toEqual({ kind: 'moved' });
    expect(await requestStaleness(journal, { planHash: HASH, subject: { kind: 'task', taskId: 'task-404', runtimeId: 'rt-1' } })).toEqual({ kind: 'moved' });
    expect(await requestStaleness(journal, { planHash: 'c'.repeat(64) })).toEqual({ kind: 'gone' });
    await journal.cancelPlan(HASH, 'U-2');
    expect(await requestStaleness(journal, { planHash: HASH, subject: { kind: 'wave', waveId: mine.waveId } })).toEqual({ kind: 'cancelled', by: 'U-2' });
  });
});
