/**
 * `approve` records an on-call approval of a plan hash (Slack; the shell and the console only on a simulated
 * landscape) and `cancel` withdraws a plan until it is planned again. The rules that use approvals are in
 * src/rollout/approvals.ts.
 */
import type { EnvName } from '../src/config/config.js';
import { CommandError, ok, type CommandSpec } from './types.js';
import { noStoredPlan } from './shared.js';
import { count } from '../src/text/words.js';
import { APPROVAL_ACTION_FORMS, heldApproval, isApprovalAction } from '../src/rollout/approvals.js';

export const approve: CommandSpec = {
  name: 'approve',
  summary: 'record an on-call approval of a plan hash (shell/console: simulated landscapes only; Slack otherwise)',
  usage: `approve HASH [--as USER] [--for USER] [--action ${APPROVAL_ACTION_FORMS.join('|')}]`,
  examples: ['approve 3f2a9c1b7d4e --as oncall-1', 'approve 3f2a9c1b7d4e --as oncall-1 --for sre-2', 'approve 3f2a9c1b7d4e --as oncall-1 --action budget:prod-20261125-1:5'],
  permission: 'approve',
  mutates: false,
  journal: 'existing',
  options: { as: { type: 'string' }, for: { type: 'string' }, action: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx, args) {
    const services = ctx.services;
    if (ctx.via !== 'slack' && !services.simulated) throw new CommandError('approvals for a real landscape come only through Slack, where identity is authenticated', 1);
    const hash = args.positionals[0];
    // Slack refuses `--as` (identity is Slack's there): its example names the hash alone.
    if (!hash) throw new CommandError('name the plan hash to approve', 2, ctx.via === 'slack' ? 'approve 3f2a9c1b7d4e' : approve.examples[0]);
    const action = (args.values.action as string | undefined) ?? 'run';
    if (!isApprovalAction(action)) throw new CommandError(`--action "${action}" is no approval action: give one of ${APPROVAL_ACTION_FORMS.join(', ')} (the refusal that asked for an approval names the action)`, 2, approve.examples[2]);
    const journal = await services.journal();
    const plan = await journal.getPlan(hash);
    if (!plan) throw noStoredPlan(hash);
    // A cancelled plan is not for approval: the approval would outlive the cancellation (only those given before it
    // are void) and run the plan once someone lifts it.
    const cancelled = await journal.planCancellation(plan.hash);
    if (cancelled) throw new CommandError(`plan ${plan.hash.slice(0, 12)} was cancelled by ${cancelled.cancelledBy} at ${cancelled.cancelledAt}: it is not for approval until someone who may cancel it plans it again`, 1);
    // In Slack the identity is Slack's, authenticated; `--as` exists only to try approvals on a simulated landscape.
    if (ctx.via === 'slack' && args.values.as !== undefined) throw new CommandError('--as is not accepted in Slack: you approve as yourself', 1);
    const approver = ctx.via === 'slack' ? ctx.user : ((args.values.as as string | undefined) ?? ctx.user);
    const env = plan.env as EnvName;
    const cfg = services.envConfig(env).approval;
    // The approval names who may use it (to run a plan: only they): `--for`, else whoever planned it last.
    // Four eyes: the one who uses the approval never gives it. Who planned it last does not matter when the approval
    // names its user (an approver who planned the same hash to review a request still approves that request).
    const requester = (args.values.for as string | undefined) ?? plan.createdBy;
    if (requester === approver) throw new CommandError(`${approver} requested plan ${plan.hash.slice(0, 12)} and cannot approve it`, 1);
    const byId = cfg.approvers.includes(approver);
    const byGroup = !byId && cfg.approverGroup && ctx.isInApproverGroup ? await ctx.isInApproverGroup(approver, cfg.approverGroup) : false;
    // Nobody named: open only on a simulated landscape (a real configuration is refused at load, configProblems).
    const open = services.simulated && !cfg.approvers.length && !cfg.approverGroup;
    if (!byId && !byGroup && !open) {
      throw new CommandError(`${approver} is not an approver for ${env} (approvers: ${[...cfg.approvers, ...(cfg.approverGroup ? [`members of ${cfg.approverGroup}`] : [])].join(', ')})`, 1);
    }
    const now = new Date();
    // One valid approval per plan, action and user: a second click, a second replica or a retyped command hears the
    // first one, and records nothing that could be used later.
    const given = await heldApproval(journal, env, plan.hash, requester, action);
    if (given) {
      return ok(`plan ${plan.hash.slice(0, 12)} is already approved by ${given.approver} for ${action} by ${requester} (valid until ${given.expiresAt}): nothing new recorded`, {
        planHash: plan.hash,
        approver: given.approver,
        action,
        requestedBy: requester,
        alreadyApproved: true,
      });
    }
    await journal.recordApproval({ planHash: plan.hash, approver, requestedBy: requester, createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + cfg.expiryMinutes * 60_000).toISOString(), action });
    await journal.audit({ actor: approver, action: 'approve', subject: plan.hash, detail: { action, via: ctx.via, for: requester } });
    return ok(`plan ${plan.hash.slice(0, 12)} approved by ${approver} for ${action} by ${requester}, once (valid ${cfg.expiryMinutes} min)`, { planHash: plan.hash, approver, action, requestedBy: requester });
  },
};

export const cancel: CommandSpec = {
  name: 'cancel',
  summary: 'cancel a plan: it cannot run until it is planned again, and approvals given before are void (a journal record)',
  usage: 'cancel HASH',
  examples: ['cancel 3f2a9c1b7d4e'],
  permission: 'operate',
  mutates: false,
  journal: 'existing',
  options: { json: { type: 'boolean' } },
  async run(ctx, args) {
    const hash = args.positionals[0];
    if (!hash) throw new CommandError('name the plan hash to cancel', 2, cancel.examples[0]);
    const journal = await ctx.services.journal();
    const plan = await journal.getPlan(hash);
    if (!plan) throw noStoredPlan(hash);
    // Cancelled already: say since when and by whom; a second cancellation records nothing (no audit, no record).
    const already = await journal.planCancellation(plan.hash);
    if (already) return ok(`plan ${plan.hash.slice(0, 12)} is cancelled already, since ${already.cancelledAt} by ${already.cancelledBy}: nothing changed`, { planHash: plan.hash, cancelled: already, approvalsVoided: 0 });
    const voided = await journal.cancelPlan(plan.hash, ctx.user);
    const c = await journal.planCancellation(plan.hash);
    await journal.audit({ actor: ctx.user, action: 'cancel', subject: plan.hash, detail: { env: plan.env, target: plan.target, approvalsVoided: voided } });
    const approvals = voided ? `; ${count(voided, 'approval')} given before ${voided === 1 ? 'is' : 'are'} void, so running it again needs a new one` : '';
    return ok(`plan ${plan.hash.slice(0, 12)} cancelled by ${c?.cancelledBy ?? ctx.user}: it does not run until it is planned again${approvals}`, { planHash: plan.hash, cancelled: c ?? null, approvalsVoided: voided });
  },
};
