/**
 * On-call approval requests in chat (issue 7 §3, issue 8 §4), platform-neutral: what a request is, what it runs
 * once approved, and the words of the verdict on an Approve click. Pure: the Slack adapter (slack/approvals.ts,
 * slack/listeners/actions/approval-buttons.ts) reads the journal, asks the rules (rollout/approval-requests.ts
 * `requestStaleness`, `judgeApprovalClick`), renders their answer here, and moves messages; whether the approver is
 * on call is the dispatcher's permission rule (commands/permissions.ts), and the recording is the `approve` command's.
 *
 * A request is keyed by plan hash + action (`run`, `force`, `resume`, `retry-failed`, `rename:<runtimeId>`), the
 * same key the journal's approvals have, so an approval can only ever cover exactly the hash and action shown.
 */
import { createHash } from 'node:crypto';
import type { ApprovalNeed } from '../rollout/approvals.js';
import type { ClickVerdict, Staleness } from '../rollout/approval-requests.js';
import { inlineCode, mention } from './message.js';

/** What an approved request runs, and the request as journaled (typed journal records). */
import type { ApprovalRequest, FollowUp } from '../journal/typed-records.js';

export type { ApprovalRequest, FollowUp };

export function approvalRequestId(planHash: string, action: string): string {
  return createHash('sha256').update(`${planHash}\n${action}`).digest('hex').slice(0, 16);
}

/** What an approved need runs: the command it carried (a Prod `task … rename` stays a task rename in its thread). */
export function followUpOf(need: ApprovalNeed): FollowUp {
  return { kind: 'command', name: need.command.name, argv: [...need.command.argv] };
}

/** The command line a follow-up runs, for messages (`retry-failed prod-20261125-1 --yes`). */
export function followUpLine(req: Pick<ApprovalRequest, 'then' | 'planHash'>): string {
  const t = req.then;
  if (t.kind === 'run') return `run --plan ${req.planHash.slice(0, 12)} --yes`;
  if (t.kind === 'task-rename') return `task ${t.taskId} rename --yes`;
  return [t.name, ...t.argv.map((a) => (a === req.planHash ? a.slice(0, 12) : a))].join(' ');
}

/** "wave `prod-…`", "task `task-3` (runtime `…`)", or "" for a plan. */
export function subjectText(subject: ApprovalNeed['subject'] | undefined): string {
  if (!subject || subject.kind === 'plan') return '';
  if (subject.kind === 'wave') return `wave ${inlineCode(subject.waveId)}`;
  return `task ${inlineCode(subject.taskId)} (runtime ${inlineCode(subject.runtimeId)})`;
}

/** Why a request's plan is no longer the one requested (rollout's `requestStaleness`), for the clicker. */
export function stalenessText(req: Pick<ApprovalRequest, 'planHash' | 'subject'>, stale: Staleness): string {
  const short = inlineCode(req.planHash.slice(0, 12));
  if (stale.kind === 'cancelled') return `plan ${short} was cancelled by ${mention(stale.by)}`;
  if (stale.kind === 'gone') return `plan ${short} is no longer in the journal`;
  return `${subjectText(req.subject)} no longer belongs to plan ${short}`;
}

/** What the clicker is told for a click that goes no further (rollout's `judgeApprovalClick`), and the audit keeps. */
export function clickVerdictText(v: ClickVerdict, req: ApprovalRequest | undefined): string {
  switch (v.result) {
    case 'unknown':
      return 'this approval request is unknown (request it again)';
    case 'superseded':
      return `this request was replaced by a later one${req ? ` from ${mention(req.requester)}, requested at ${req.requestedAt}` : ''}: its own message (in <#${req?.channel ?? '?'}>) is the one to approve, if at all`;
    case 'duplicate':
      return v.recording ? 'this approval is being recorded right now' : `already approved by ${mention(req?.approvedBy ?? '?')} at ${req?.approvedAt ?? '?'}`;
    case 'expired':
      return `the request expired at ${req?.expiresAt ?? '?'}; request a new approval`;
    case 'requester':
      return 'you requested this approval; someone else on call has to approve it';
    case 'stale-plan':
      return req ? stalenessText(req, v.stale) : 'the plan is no longer the one requested';
  }
}
