import { describe, expect, it } from '@jest/globals';
import { approvalRequestId, clickVerdictText, followUpLine, followUpOf, stalenessText, type ApprovalRequest } from '../../../src/chat/approval-request.js';

const HASH = 'a'.repeat(64);
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
describe('src/chat/approval-request', () => {
  it.each([
    ['unknown', clickVerdictText({ result: 'unknown' }, undefined), 'this approval request is unknown (request it again)'],
    ['being recorded', clickVerdictText({ result: 'duplicate', recording: true }, pending), 'this approval is being recorded right now'],
    ['expired', clickVerdictText({ result: 'expired' }, pending), 'the request expired at 2026-11-25T10:30:00.000Z; request a new approval'],
    ['the requester', clickVerdictText({ result: 'requester' }, pending), 'you requested this approval; someone else on call has to approve it'],
    ['cancelled', clickVerdictText({ result: 'stale-plan', stale: { kind: 'cancelled', by: 'U-2' } }, pending), 'plan `aaaaaaaaaaaa` was cancelled by <@U-2>'],
    ['gone', stalenessText(pending, { kind: 'gone' }), 'plan `aaaaaaaaaaaa` is no longer in the journal'],
    ['moved', stalenessText(pending, { kind: 'moved' }), 'wave `prod-20261125-1` no longer belongs to plan `aaaaaaaaaaaa`'],
  ])('tells a click that goes no further why: %s', (_name, said, expected) => {
    expect(said).toBe(expected);
  });

  it('names who approved a duplicate, and what an approval runs', () => {
    expect(clickVerdictText({ result: 'duplicate', recording: false }, { ...pending, state: 'approved', approvedBy: 'U-ONCALL', approvedAt: 'T' })).toBe('already approved by <@U-ONCALL> at T');
    expect(followUpLine(pending)).toBe('retry-failed prod-20261125-1 --yes');
    expect(followUpLine({ planHash: HASH, then: { kind: 'run' } })).toBe('run --plan aaaaaaaaaaaa --yes');
    const force = followUpOf({ env: 'prod', planHash: HASH, action: 'force', requester: 'U', command: { name: 'run', argv: ['--plan', HASH, '--yes', '--force'] }, subject: { kind: 'plan' }, detail: '' });
    expect(force).toEqual({ kind: 'command', name: 'run', argv: ['--plan', HASH, '--yes', '--force'] });
    expect(followUpLine({ planHash: HASH, then: force })).toBe('run --plan aaaaaaaaaaaa --yes --force');
  });
});
