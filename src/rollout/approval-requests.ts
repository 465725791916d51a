/**
 * The rules of an on-call approval request (a request is what chat posts for on-call and journals with its message;
 * the approval itself is the journal's `Approval`, recorded by the `approve` command): whether the plan it asks about
 * is still the one requested, and what an Approve click comes to before anyone is asked whether the clicker is on
 * call (the dispatcher's permission rule) and the `approve` command records it. Adapters read the journal, ask these,
 * and render the answer; nothing here writes.
 */
import type { Journal } from '../journal/journal.js';
import type { ApprovalNeed } from './approvals.js';

/** What the rules need of a journaled request (chat's `ApprovalRequest` has these and where its message is). */
export interface RequestedApproval {
  planHash: string;
  /** Who asked; never the approver. */
  requester: string;
  /** What it is about (absent in requests of earlier versions: the plan). */
  subject?: ApprovalNeed['subject'];
  expiresAt: string;
  /** When it was asked (absent in requests of earlier versions). */
  requestedAt?: string;
  /** Where the request's message is (a later request of the same plan and action replaces the record, not the message). */
  channel?: string;
  ts?: string;
  state: 'pending' | 'approved';
  approvedBy?: string;
  approvedAt?: string;
}

/** Whether a request still waits for on-call: not approved, not expired (a second request of it is refused meanwhile). */
export function requestOpen(req: Pick<RequestedApproval, 'state' | 'expiresAt'>, now: number): boolean {
  return req.state === 'pending' && Date.parse(req.expiresAt) > now;
}

/**
 * Why a request's plan is no longer the one requested: the plan was cancelled (`by` whom), it is gone from the
 * journal, or the wave or task the request is about now belongs to another plan.
 */
export type Staleness = { kind: 'cancelled'; by: string } | { kind: 'gone' } | { kind: 'moved' };

/** Why the request's plan is stale, read from the journal; undefined while it is still the one requested. */
export async function requestStaleness(
  journal: Pick<Journal, 'planCancellation' | 'planCancelledSince' | 'getPlan' | 'getTask' | 'getWave'>,
  req: Pick<RequestedApproval, 'planHash' | 'subject' | 'requestedAt'>,
): Promise<Staleness | undefined> {
  // A cancellation after the request ends it for good: planning again lifts the cancellation, not the decision, so
  // the request's button does not come back to life (on-call is asked anew).
  const cancelled = (await journal.planCancellation(req.planHash)) ?? (req.requestedAt ? await journal.planCancelledSince(req.planHash, req.requestedAt) : undefined);
  if (cancelled) return { kind: 'cancelled', by: cancelled.cancelledBy };
  if (!(await journal.getPlan(req.planHash))) return { kind: 'gone' };
  const s = req.subject;
  if (!s || s.kind === 'plan') return undefined;
  const waveId = s.kind === 'wave' ? s.waveId : (await journal.getTask(s.taskId))?.waveId;
  const wave = waveId ? await journal.getWave(waveId) : undefined;
  return wave?.planHash === req.planHash ? undefined : { kind: 'moved' };
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
  /**
   * The clicked message asked for an earlier request of the same plan and action, since replaced by a later one
   * (after it lapsed, perhaps by another requester): the click approves nothing, the later message has its own button.
   */
  | 'superseded'
  /** The `approve` command refused for another reason (e.g. the approver made the plan). */
  | 'refused';

export interface ClickFacts {
  req: RequestedApproval | undefined;
  clicker: string;
  now: number;
  /** This process is recording an approval of this request right now. */
  inFlight: boolean;
  /** Why the request's plan is stale (`requestStaleness`), if it is. */
  stale?: Staleness;
  /** The message whose button was clicked; unset when the adapter cannot tell (then it is taken as the request's). */
  clicked?: { channel: string; ts: string };
}

/** The answer to a click that goes no further: `duplicate` says whether it is being recorded right now. */
export type ClickVerdict = { result: 'unknown' | 'expired' | 'requester' | 'superseded' } | { result: 'duplicate'; recording: boolean } | { result: 'stale-plan'; stale: Staleness };

/**
 * The checks of an Approve click that need nothing but the journal, in order; `undefined` means go on (the on-call
 * check, then the `approve` command). `duplicate` is an answer, not a refusal: an approved request answers so even to
 * its requester or after its expiry.
 */
export function judgeApprovalClick(f: ClickFacts): ClickVerdict | undefined {
  const { req } = f;
  if (!req) return { result: 'unknown' };
  if (f.clicked && req.ts && (f.clicked.ts !== req.ts || (req.channel !== undefined && f.clicked.channel !== req.channel))) return { result: 'superseded' };
  if (req.state === 'approved') return { result: 'duplicate', recording: false };
  if (f.inFlight) return { result: 'duplicate', recording: true };
  if (Date.parse(req.expiresAt) <= f.now) return { result: 'expired' };
  if (f.clicker === req.requester) return { result: 'requester' };
  if (f.stale) return { result: 'stale-plan', stale: f.stale };
  return undefined;
}
