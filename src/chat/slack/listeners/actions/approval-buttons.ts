/**
 * Approve on an approval request, checked on the server: the journal's request (rollout/approval-requests.ts
 * `judgeApprovalClick`: known, pending, not expired, not the requester, the plan still the one requested), then
 * whether the clicker may approve (the dispatcher's on-call rule), then the `approve` command, which records it.
 * Idempotent: a second click (or a Slack retry) only hears who approved it. Every click is audited
 * (`approve-click`) and reported to `onApproval` (metrics). Limitation: the in-process guard against two
 * simultaneous clicks is per process; the journal's approval record is what the commands trust.
 */
import type { EnvName } from '../../../../config/config.js';
import { judgeApprovalClick, requestStaleness, type ApprovalClickResult } from '../../../../rollout/approval-requests.js';
import { clickVerdictText, followUpLine, type ApprovalRequest } from '../../../approval-request.js';
import { inlineCode, mention } from '../../../message.js';
import { noteReply } from '../../../replies.js';
import { APPROVAL_ACTION } from '../../../wave-message.js';
import type { SlackApprovals } from '../../approvals.js';
import type { ButtonHandler, SlackContext } from '../../context.js';
import { readApprovalRequest, saveApprovalRequest } from '../../message-store.js';

export function approvalButtons(actions: Map<string, ButtonHandler>, ctx: SlackContext, approvals: SlackApprovals): void {
  const approving = new Set<string>();
  actions.set(APPROVAL_ACTION.approve, async (click) => {
    const j = await ctx.services.journal();
    const req = await readApprovalRequest(j, click.value);
    const count = (result: ApprovalClickResult) => {
      try {
        ctx.onApproval?.(req?.env ?? 'unknown', result);
      } catch (e) {
        ctx.log.error({ err: (e as Error).message }, 'slack: the approval hook failed');
      }
    };
    const answer = async (result: Exclude<ApprovalClickResult, 'accepted'>, reason: string) => {
      count(result);
      await j.audit({ actor: click.user, action: 'approve-click', subject: click.value, detail: { outcome: result, reason } });
      await ctx.tell(click.channel, click.user, result === 'duplicate' ? reason : `:no_entry: not approved: ${reason}`);
    };
    const verdict = judgeApprovalClick({ req, clicker: click.user, now: Date.now(), inFlight: !!req && approving.has(req.id), clicked: { channel: click.channel, ts: click.messageTs }, stale: req && req.state === 'pending' ? await requestStaleness(j, req) : undefined });
    if (verdict) return answer(verdict.result, clickVerdictText(verdict, req));
    if (!req) return; // judgeApprovalClick answered 'unknown'
    // Claimed before the next await (the on-call lookup can take a Slack call): a second click arriving meanwhile is
    // judged in flight, not approved again.
    approving.add(req.id);
    try {
      const why = await ctx.refusal('approve', [req.planHash], click.user, [req.env as EnvName]);
      if (why) return await answer('not-on-call', why);
      // The approval names the requester: only they run what it approves (to run a plan: the one wave it is good for).
      const res = await ctx.dispatchAs(click.user, 'approve', [req.planHash, '--action', req.action, '--for', req.requester]);
      if (res.exitCode !== 0) return await answer('refused', res.text);
      // Approved already (another replica took the other click): nothing new was recorded, nothing runs again.
      if ((res.json as { alreadyApproved?: boolean } | null)?.alreadyApproved) return await answer('duplicate', res.text);
      const at = new Date().toISOString();
      const done: ApprovalRequest = { ...req, state: 'approved', approvedBy: click.user, approvedAt: at };
      await saveApprovalRequest(j, done);
      count('accepted');
      await j.audit({ actor: click.user, action: 'approve-click', subject: req.id, detail: { outcome: 'accepted', planHash: req.planHash, action: req.action, runs: followUpLine(req) } });
      await ctx.settle(click, `:white_check_mark: approved by ${mention(click.user)} at ${at}`);
      await ctx.poster.post(req.channel, noteReply(`:white_check_mark: ${req.action} of plan ${inlineCode(req.planHash.slice(0, 12))} approved by ${mention(click.user)} at ${at}; ${inlineCode(`/istio-migrate ${followUpLine(req)}`)} is run now as ${mention(req.requester)}, which checks the plan once more (a refusal is told here)`), { threadTs: req.threadTs ?? req.ts });
    } finally {
      approving.delete(req.id);
    }
    await approvals.carryOut(req);
  });
}
