/**
 * The approval rules (C5): which actions need an on-call approval, what names an approval's action, which approval
 * is valid for a requester, and using one up. Commands call them; Slack asks on-call with the `ApprovalNeed` a
 * refusal carries. The journal and the environment's setting come in as ports (no Services).
 */
import type { EnvName } from '../config/config.js';
import type { Approval, CustomerTask, Journal, Wave } from '../journal/journal.js';
import { istioCrLabel } from '../migration/istio-conflict.js';

/** What an approval-gated command (run, resume, retry-failed, run --force, task rename) lacks in Prod. */
export interface ApprovalNeed {
  env: string;
  /** The plan hash the approval is for: the plan's, or the plan of the wave that the wave action or task belongs to. */
  planHash: string;
  /** `run`, `force`, `resume`, `retry-failed` or `rename:<runtimeId>` (journal `Approval.action`). */
  action: string;
  /** Who ran the command; never the approver. */
  requester: string;
  /** The command to run again, as the requester, once approved: confirmed (`--yes`), without `--json`. */
  command: { name: string; argv: string[] };
  /** What the approval is about. */
  subject: { kind: 'plan' } | { kind: 'wave'; waveId: string } | { kind: 'task'; taskId: string; runtimeId: string };
  /** What running it will do, for the approver (plain text, a few lines). */
  detail: string;
}

/** A refusal for want of a valid on-call approval (exit 1, like any refusal); `need` says what to ask for. */
export class ApprovalNeededError extends Error {
  readonly code = 'approval-needed';
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly need: ApprovalNeed,
  ) {
    super(message);
    this.name = 'ApprovalNeededError';
  }
}

/** Whether an environment needs approvals (config `approval`; Prod by default). */
export interface ApprovalPolicy {
  approvalRequired(env: EnvName): boolean;
  /** A simulated landscape: approvals may also be recorded from the shell (`approve --as`); otherwise Slack only. */
  readonly simulated?: boolean;
}

/** The journal calls the approval rules use. */
export type ApprovalStore = Pick<Journal, 'listApprovals' | 'consumeApproval' | 'listWaves'>;

/** What a refused command asks on-call for, besides the env, plan, action and requester. */
export type ApprovalAsk = Pick<ApprovalNeed, 'command' | 'subject' | 'detail'>;

/**
 * Actions whose approval lets a plan run (a wave): only the requester the approval names may use it, and it is used
 * up by the wave it creates (journal `createWave({ consumeApproval })`, in the same transaction).
 */
const RUN_ACTIONS: readonly string[] = ['run', 'force'];

/** The actions an approval can be of: what `approve --action` accepts (the commands ask for exactly these). */
export const APPROVAL_ACTION_FORMS = ['run', 'force', 'resume', 'retry-failed', 'rename:<runtime-id>', 'budget:<wave>:<n>', 'set-concurrency:<wave>:<n>'] as const;

export function isApprovalAction(action: string): boolean {
  return /^(run|force|resume|retry-failed)$/.test(action) || /^rename:[^\s:]+$/.test(action) || /^(budget|set-concurrency):[^\s:]+:[1-9]\d*$/.test(action);
}

/** The approval action of raising wave `waveId`'s budget to `n` (Prod): on-call approves exactly that wave and number. */
export function budgetAction(waveId: string, n: number): string {
  return `budget:${waveId}:${n}`;
}

/** The approval action that lets wave `waveId` run `n` at once (Prod, above what was approved). */
export function concurrencyAction(waveId: string, n: number): string {
  return `set-concurrency:${waveId}:${n}`;
}

/** The approval action of a customer-contact task's rename-to-default on `runtimeId`. */
export function renameAction(runtimeId: string): string {
  return `rename:${runtimeId}`;
}

/**
 * What a Prod rename asks on-call for: `rename:<runtimeId>` on the plan of the task's wave, and the command to run
 * once approved. The `task … rename` command's refusal carries it; Slack's Customer agreed asks for it up front.
 */
export function renameApprovalNeed(t: CustomerTask, planHash: string, requester: string): ApprovalNeed {
  return {
    env: t.env,
    planHash,
    action: renameAction(t.runtimeId),
    requester,
    command: { name: 'task', argv: [t.taskId, 'rename', '--yes'] },
    subject: { kind: 'task', taskId: t.taskId, runtimeId: t.runtimeId },
    detail: `rename-to-default on ${t.runtimeId} (${t.shootName}, task ${t.taskId}): the configuration of the customer's Istio CR moves into default, the other Istio CRs in kyma-system are removed.\nIstio CRs: ${t.istioCrs.map((c) => `${istioCrLabel(c)}=${c.state ?? '?'}`).join(', ')}`,
  };
}

/**
 * The approvals of exactly this plan hash and action that `requester` may use: by someone else, unused, unexpired,
 * and for a plan run (`run`, `force`) naming the requester. `all` leaves out that last condition (to say whom the
 * approval names instead).
 */
async function approvalsFor(journal: Pick<ApprovalStore, 'listApprovals' | 'listWaves'>, env: EnvName, hash: string, requester: string, action: string): Promise<{ all: Approval[]; valid: Approval[] }> {
  const now = Date.now();
  // An approval to run a plan is for its next wave: once a wave of the plan started after it was given, it is spent
  // whether that wave used it or another (a second click, a second replica, a request answered twice).
  const lastWaveAt = RUN_ACTIONS.includes(action) ? await lastWaveOf(journal, env, hash) : undefined;
  const after = lastWaveAt ? Date.parse(lastWaveAt) : -Infinity;
  const all = (await journal.listApprovals(hash)).filter((a) => a.action === action && a.approver !== requester && Date.parse(a.expiresAt) > now && !a.usedAt && Date.parse(a.createdAt) > after);
  return { all, valid: RUN_ACTIONS.includes(action) ? all.filter((a) => a.requestedBy === requester) : all };
}

/** When the plan's latest wave was created (undefined when it never ran). */
async function lastWaveOf(journal: Pick<Journal, 'listWaves'>, env: EnvName, hash: string): Promise<string | undefined> {
  let last: string | undefined;
  for (const w of await journal.listWaves({ env })) if (w.planHash === hash && (!last || w.createdAt > last)) last = w.createdAt;
  return last;
}

/**
 * Whether `requester` holds a valid approval of this plan hash and action (the rule of `findApproval`), without
 * using it up: an adapter asks before it posts an approval request for something already approved (Slack's
 * Customer agreed); the command that runs it then uses it (`checkApproval`).
 */
export async function hasValidApproval(journal: Pick<ApprovalStore, 'listApprovals' | 'listWaves'>, env: EnvName, hash: string, requester: string, action: string): Promise<boolean> {
  return (await approvalsFor(journal, env, hash, requester, action)).valid.length > 0;
}

/**
 * The valid approval `requester` already holds for this plan and action, by the rule of `findApproval` (`approve`
 * records no second one beside it).
 */
export async function heldApproval(journal: Pick<Journal, 'listApprovals' | 'listWaves'>, env: EnvName, hash: string, requester: string, action: string): Promise<Approval | undefined> {
  return (await approvalsFor(journal, env, hash, requester, action)).valid.find((a) => a.requestedBy === requester);
}

/**
 * Prod (or a configured environment) needs a valid approval of exactly this plan hash and action, by someone other
 * than the requester, not used yet and not expired; to run a plan (`run`, `force`) it must also name the requester
 * (`Approval.requestedBy`). Without one: an ApprovalNeededError carrying what to ask on-call for and the command to
 * run again once approved (`ask`), so that Slack can post an approval request; the shell and the console show the
 * text. Null where no approval is needed. Uses nothing up: see `checkApproval`, and `run` (its wave uses it).
 */
export async function findApproval(journal: ApprovalStore, policy: ApprovalPolicy, env: EnvName, hash: string, requester: string, action: string, ask: ApprovalAsk): Promise<Approval[] | null> {
  if (!policy.approvalRequired(env)) return null;
  const { all, valid } = await approvalsFor(journal, env, hash, requester, action);
  if (!valid.length) {
    const forOther = all.length > valid.length ? `; the valid approval names ${[...new Set(all.map((a) => a.requestedBy))].join(', ')}, not ${requester} (only the one an approval names runs the plan)` : '';
    const how = policy.simulated
      ? `the Slack button, or on this simulated landscape istio-migrate approve ${hash.slice(0, 12)} --as <on-call user> --for ${requester}${action === 'run' ? '' : ` --action ${action}`}`
      : 'the Request approval button in Slack (approvals on a real landscape come only through Slack)';
    throw new ApprovalNeededError(
      `${env} needs an on-call approval of plan ${hash.slice(0, 12)} for "${action}" by someone other than ${requester}; none is valid${forOther} (each approval is good for one use; ask on-call to approve: ${how})`,
      { env, planHash: hash, action, requester, ...ask },
    );
  }
  return valid;
}

/**
 * `findApproval`, and the approval used up at once (a retry, resume, forced override, rename or concurrency raise
 * approved once cannot be repeated on it): the approver, or null where no approval is needed.
 */
export async function checkApproval(journal: ApprovalStore, policy: ApprovalPolicy, env: EnvName, hash: string, requester: string, action: string, ask: ApprovalAsk): Promise<string | null> {
  const valid = await findApproval(journal, policy, env, hash, requester, action, ask);
  if (!valid) return null;
  const used = await firstConsumed(journal, valid, requester);
  if (!used) return checkApproval(journal, policy, env, hash, requester, action, ask); // all taken meanwhile: refuses
  return used.approver;
}

/** Uses up the first of `valid` that nobody used in the meantime (two callers never both get one). */
async function firstConsumed(journal: ApprovalStore, valid: Approval[], by: string): Promise<Approval | undefined> {
  for (const a of valid) if (a.id !== undefined && (await journal.consumeApproval(a.id, by))) return a;
  return undefined;
}

/**
 * The highest concurrency approved for a wave: its plan's (what on-call approved with the run), or a raise approved
 * and used since (`set-concurrency:<waveId>:<n>`).
 */
export async function approvedConcurrency(journal: Pick<Journal, 'getPlan' | 'listApprovals'>, wave: Wave): Promise<number> {
  const plan = await journal.getPlan(wave.planHash);
  const planned = (plan?.document as { concurrency?: unknown } | undefined)?.concurrency;
  let max = typeof planned === 'number' ? planned : 0;
  const prefix = concurrencyAction(wave.waveId, 0).slice(0, -1);
  for (const a of await journal.listApprovals(wave.planHash)) {
    if (!a.usedAt || !a.action.startsWith(prefix)) continue;
    const raised = Number(a.action.slice(prefix.length));
    if (Number.isInteger(raised) && raised > max) max = raised;
  }
  return max;
}
