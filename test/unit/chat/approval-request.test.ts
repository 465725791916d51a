import { describe, expect, it } from '@jest/globals';
import { approvalRequestId, followUpLine, followUpOf, judgeApprovalClick, type ApprovalRequest, type ClickFacts } from '../../../src/chat/approval-request.js';

const HASH = 'a'.repeat(64);
const NOW = Date.parse('2026-11-25T10:00:00.000Z');
const pending: ApprovalRequest = {
  id: approvalRequestId(HASH, 'retry-failed'),
  planHash: HASH,
  action: 'retry-failed',
  env: 'prod',
  target: 'trial',
  requester: 'U-REQ',
  channel: 'C-PROD',
  ts: '1.2',
  then: { kind: 'command', name: 'retry-failed', argv: ['prod-20261125-1', '--yes'] },
  subject: { kind: 'wave', waveId: 'prod-20261125-1' },
  requestedAt: '2026-11-25T09:30:00.000Z',
  expiresAt: '2026-11-25T10:30:00.000Z',
  state: 'pending',
};
const facts = (over: Partial<ClickFacts>): ClickFacts => ({ req: pending, clicker: 'U-ONCALL', now: NOW, inFlight: false, ...over });

describe('src/chat/approval-request', () => {
  it.each([
    ['no such request', 'unknown', facts({ req: undefined })],
    ['already approved (double click, Slack retry)', 'duplicate', facts({ req: { ...pending, state: 'approved', approvedBy: 'U-ONCALL', approvedAt: '2026-11-25T09:59:00.000Z' } })],
    ['being recorded right now', 'duplicate', facts({ inFlight: true })],
    ['expired', 'expired', facts({ now: Date.parse(pending.expiresAt) })],
    ['the requester', 'requester', facts({ clicker: 'U-REQ' })],
    ['a stale plan', 'stale-plan', facts({ stale: 'plan `aaaaaaaaaaaa` was cancelled' })],
    // An approved request answers "already approved" even to its requester or after its expiry.
    ['approved, clicked by the requester after expiry', 'duplicate', facts({ clicker: 'U-REQ', now: NOW + 86_400_000, req: { ...pending, state: 'approved', approvedBy: 'U-ONCALL' } })],
  ])('%s → %s', (_name, result, f) => {
    expect(judgeApprovalClick(f)?.result).toBe(result);
  });

  it('leaves a valid click to the on-call check and the approve command', () => {
    expect(judgeApprovalClick(facts({}))).toBeUndefined();
  });

  it('names who approved a duplicate, and what an approval runs', () => {
    expect(judgeApprovalClick(facts({ req: { ...pending, state: 'approved', approvedBy: 'U-ONCALL', approvedAt: 'T' } }))?.reason).toBe('already approved by <@U-ONCALL> at T');
    expect(followUpLine(pending)).toBe('retry-failed prod-20261125-1 --yes');
    expect(followUpLine({ planHash: HASH, then: { kind: 'run' } })).toBe('run --plan aaaaaaaaaaaa --yes');
    const force = followUpOf({ env: 'prod', planHash: HASH, action: 'force', requester: 'U', command: { name: 'run', argv: ['--plan', HASH, '--yes', '--force'] }, subject: { kind: 'plan' }, detail: '' });
    expect(force).toEqual({ kind: 'command', name: 'run', argv: ['--plan', HASH, '--yes', '--force'] });
    expect(followUpLine({ planHash: HASH, then: force })).toBe('run --plan aaaaaaaaaaaa --yes --force');
  });
});
