import { describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import { ApprovalNeededError, checkApproval, hasValidApproval } from '../../../src/rollout/approvals.js';
import type { WaveStatus } from '../../../src/rollout/wave-status.js';
import type { SimConfigDoc } from '../../helpers/sim.js';
import { simServices } from '../../helpers/sim-services.js';

const edit = (cfg: SimConfigDoc) => {
  cfg.environments.prod.budgets = { wave: 100 };
  cfg.environments.prod.approval = { approvers: ['oncall-1'], operators: [] };
};

describe('rollout/approvals.ts checkApproval — a Prod refusal for want of an approval carries what to ask on-call for', () => {
  const f = simServices({ profile: 'scenarios', timeScale: 0.01 }, 'approval-gates', edit);
  const { ctx } = f;

  it('run --force out of the runbook order needs an approval of "force" (a "run" approval does not cover it), then runs the command it named', async () => {
    const journal = await ctx.services.journal();
    // Step 2 of the Prod runbook before step 1: refused as out of order, which is no approval matter.
    const unforced = await dispatch(ctx, 'run', ['prod', 'trial', '--yes']);
    expect(unforced.exitCode).toBe(1);
    expect(unforced.text).toContain('out of order');
    expect(unforced.approvalNeeded).toBeUndefined();

    // Forced: the refusal keeps its shell text and exit code, and says what to ask for.
    const forced = await dispatch(ctx, 'run', ['prod', 'trial', '--yes', '--force']);
    expect(forced.exitCode).toBe(1);
    expect(forced.json).toEqual({ error: expect.stringContaining('needs an on-call approval') });
    const need = forced.approvalNeeded!;
    expect(forced.text).toContain(`run: prod needs an on-call approval of plan ${need.planHash.slice(0, 12)} for "force" by someone other than sre-1; none is valid`);
    expect(forced.text).toContain(`on this simulated landscape istio-migrate approve ${need.planHash.slice(0, 12)} --as <on-call user> --for sre-1 --action force`);
    expect(need).toMatchObject({ env: 'prod', action: 'force', requester: 'sre-1', subject: { kind: 'plan' }, command: { name: 'run', argv: ['--plan', need.planHash, '--yes', '--force'] } });
    expect(need.detail).toContain('runbook order: step 1 (a few SKRs of Kyma-Test/Kyma-Integration) not done and verified');
    expect((await journal.getPlan(need.planHash))?.target).toBe('plan=trial');

    const now = Date.now();
    const approval = (action: string, approver: string) => ({ planHash: need.planHash, approver, requestedBy: 'sre-1', action, createdAt: new Date(now).toISOString(), expiresAt: new Date(now + 3_600_000).toISOString() });
    await journal.recordApproval(approval('run', 'oncall-1'));
    await journal.recordApproval(approval('force', 'sre-1')); // the requester's own: never valid
    const stillRefused = await dispatch(ctx, 'run', need.command.argv);
    expect(stillRefused.approvalNeeded).toMatchObject({ action: 'force', planHash: need.planHash });
    expect(await journal.listWaves({ env: 'prod' })).toEqual([]);

    await journal.recordApproval(approval('force', 'oncall-1'));
    const ran = await dispatch(ctx, 'run', need.command.argv);
    expect(ran.approvalNeeded).toBeUndefined();
    const status = ran.json as WaveStatus;
    expect(status).toMatchObject({ planHash: need.planHash, requestedBy: 'sre-1', approvedBy: 'oncall-1' });
    expect((await journal.listAudit({ limit: 50 })).filter((a) => a.action === 'force').map((a) => a.subject)).toEqual([need.planHash]);
  });

  it('an approval of a retry, resume, override or rename is used up by one use; so is a run approval (issue 14: one wave each)', async () => {
    const journal = await ctx.services.journal();
    const hash = 'd'.repeat(64);
    const at = new Date();
    const approval = { planHash: hash, approver: 'oncall-1', requestedBy: 'sre-1', createdAt: at.toISOString(), expiresAt: new Date(at.getTime() + 600_000).toISOString() };
    await journal.recordApproval({ ...approval, action: 'retry-failed' });
    await journal.recordApproval({ ...approval, action: 'run' });
    const ask = { command: { name: 'retry-failed', argv: ['prod-20261125-9', '--yes'] }, subject: { kind: 'wave' as const, waveId: 'prod-20261125-9' }, detail: 'retry' };
    expect(await checkApproval(journal, ctx.services, 'prod', hash, 'sre-1', 'retry-failed', ask)).toBe('oncall-1');
    await expect(checkApproval(journal, ctx.services, 'prod', hash, 'sre-1', 'retry-failed', ask)).rejects.toBeInstanceOf(ApprovalNeededError);
    expect((await journal.listApprovals(hash)).find((a) => a.action === 'retry-failed')).toMatchObject({ usedBy: 'sre-1' });
    expect(await checkApproval(journal, ctx.services, 'prod', hash, 'sre-1', 'run', ask)).toBe('oncall-1');
    await expect(checkApproval(journal, ctx.services, 'prod', hash, 'sre-1', 'run', ask)).rejects.toBeInstanceOf(ApprovalNeededError);
  });

  it('hasValidApproval asks the rule of checkApproval without using the approval up', async () => {
    const journal = await ctx.services.journal();
    const hash = 'e'.repeat(64);
    const at = new Date();
    const approval = { planHash: hash, requestedBy: 'sre-1', createdAt: at.toISOString(), expiresAt: new Date(at.getTime() + 600_000).toISOString() };
    await journal.recordApproval({ ...approval, approver: 'sre-2', action: 'rename:rt-1' }); // the requester below approved it: never valid for them
    await journal.recordApproval({ ...approval, approver: 'oncall-1', action: 'rename:rt-1' });
    await journal.recordApproval({ ...approval, approver: 'oncall-1', action: 'run', expiresAt: at.toISOString() }); // expired
    await journal.recordApproval({ ...approval, approver: 'oncall-1', action: 'force' }); // names sre-1: only sre-1 runs the plan with it
    expect(await hasValidApproval(journal, 'prod', hash, 'sre-1', 'rename:rt-1')).toBe(true);
    expect(await hasValidApproval(journal, 'prod', hash, 'sre-2', 'rename:rt-1')).toBe(true);
    expect(await hasValidApproval(journal, 'prod', hash, 'oncall-1', 'rename:rt-1')).toBe(true);
    expect(await hasValidApproval(journal, 'prod', hash, 'sre-1', 'run')).toBe(false);
    expect(await hasValidApproval(journal, 'prod', hash, 'sre-1', 'force')).toBe(true);
    expect(await hasValidApproval(journal, 'prod', hash, 'sre-2', 'force')).toBe(false);
    expect(await hasValidApproval(journal, 'prod', hash, 'sre-1', 'rename:rt-2')).toBe(false);
    expect((await journal.listApprovals(hash)).filter((a) => a.usedAt)).toEqual([]);
    const ask = { command: { name: 'task', argv: ['task-1', 'rename', '--yes'] }, subject: { kind: 'task' as const, taskId: 'task-1', runtimeId: 'rt-1' }, detail: 'rename' };
    const first = await checkApproval(journal, ctx.services, 'prod', hash, 'sre-1', 'rename:rt-1', ask);
    expect(await hasValidApproval(journal, 'prod', hash, 'sre-1', 'rename:rt-1')).toBe(true); // the other one is left
    expect([first, await checkApproval(journal, ctx.services, 'prod', hash, 'sre-1', 'rename:rt-1', ask)].sort()).toEqual(['oncall-1', 'sre-2']);
    expect(await hasValidApproval(journal, 'prod', hash, 'sre-1', 'rename:rt-1')).toBe(false);
  });
});
