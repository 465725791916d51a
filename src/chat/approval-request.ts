/**
 * On-call approval requests in chat (issue 7 §3, issue 8 §4), platform-neutral: what a request is, what it runs
 * once approved, and the server-side verdict on an Approve click. Pure: the Slack adapter (slack/approvals.ts,
 * slack/listeners/actions/approval-buttons.ts) reads the journal, asks `judgeApprovalClick`, and moves messages;
 * whether the approver is on call is the dispatcher's permission rule (commands/permissions.ts), and the
 * recording is the `approve` command's.
 *
 * A request is keyed by plan hash + action (`run`, `force`, `resume`, `retry-failed`, `rename:<runtimeId>`), the
 * same key the journal's approvals have, so an approval can only ever cover exactly the hash and action shown.
 */
import { createHash } from 'node:crypto';
import type { ApprovalNeed } from '../../commands/types.js';
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

/**
 * What an Approve click came to; the `result` label of `istio_migrate_approval_events_total` and the `outcome`
 * of the `approve-click` audit entry.
 */
export type ApprovalClickResult =
  /** Recorded: the journal holds the approval, the requested action runs. */
  | 'accepted'
  /** Already approved (a double click, a Slack retry) or being recorded right now: nothing new happens. */
  | 'duplicate'
  /** The requester clicked: someone else on call has to approve. */
  | 'requester'
  /** The clicker is neither in the on-call user group nor among the approver user ids. */
  | 'not-on-call'
  /** The request is past its expiry. */
  | 'expired'
  /** The plan is not the one requested any more: cancelled, gone, or the wave or task now belongs to another plan. */
  | 'stale-plan'
  /** No such request (never made, or the journal was replaced). */
  | 'unknown'
  /** The `approve` command refused for another reason (e.g. the approver made the plan). */
  | 'refused';

export interface ClickFacts {
  req: ApprovalRequest | undefined;
  clicker: string;
  now: number;
  /** This process is recording an approval of this request right now. */
  inFlight: boolean;
  /** Why the request's plan is stale (read from the journal by the adapter), if it is. */
  stale?: string;
}

export type ClickVerdict = { result: Exclude<ApprovalClickResult, 'accepted' | 'not-on-call' | 'refused'>; reason: string } | undefined;

/**
 * The checks of an Approve click that need nothing but the journal, in order; `undefined` means go on (the on-call
 * check, then the `approve` command). `duplicate` is an answer, not a refusal.
 */
export function judgeApprovalClick(f: ClickFacts): ClickVerdict {
  const { req } = f;
  if (!req) return { result: 'unknown', reason: 'this approval request is unknown (request it again)' };
  if (req.state === 'approved') return { result: 'duplicate', reason: `already approved by ${mention(req.approvedBy ?? '?')} at ${req.approvedAt ?? '?'}` };
  if (f.inFlight) return { result: 'duplicate', reason: 'this approval is being recorded right now' };
  if (Date.parse(req.expiresAt) <= f.now) return { result: 'expired', reason: `the request expired at ${req.expiresAt}; request a new approval` };
  if (f.clicker === req.requester) return { result: 'requester', reason: 'you requested this approval; someone else on call has to approve it' };
  if (f.stale) return { result: 'stale-plan', reason: f.stale };
  return undefined;
}
