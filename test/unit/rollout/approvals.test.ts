/**
 * What a refusal for want of an approval tells the requester to do: the shell's `approve --as` only where it works
 * (a simulated landscape); on a real one, approvals come only through Slack's button.
 */
import { describe, expect, it } from '@jest/globals';
import { ApprovalNeededError, findApproval } from '../../../src/rollout/approvals.js';

const journal = { listApprovals: () => Promise.resolve([]), consumeApproval: () => Promise.resolve(false), listWaves: () => Promise.resolve([]) };
const ask = { command: { name: 'run', argv: ['--plan', 'h'] }, subject: { kind: 'plan' as const }, detail: 'd' };

async function refusal(simulated: boolean): Promise<string> {
  try {
    await findApproval(journal, { approvalRequired: () => true, simulated }, 'prod', 'a'.repeat(64), 'U-OPS', 'run', ask);
  } catch (e) {
    expect(e).toBeInstanceOf(ApprovalNeededError);
    return (e as Error).message;
  }
  throw new Error('no refusal');
}

describe('src/rollout/approvals findApproval', () => {
  it('names the shell approval only on a simulated landscape', async () => {
    expect(await refusal(true)).toContain('on this simulated landscape istio-migrate approve aaaaaaaaaaaa --as <on-call user> --for U-OPS');
    const real = await refusal(false);
    expect(real).toContain('the Request approval button in Slack (approvals on a real landscape come only through Slack)');
    expect(real).not.toContain('istio-migrate approve');
  });
});
