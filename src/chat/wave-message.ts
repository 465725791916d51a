/**
 * The messages of a running wave, platform-neutral (message.ts): the live parent message (progress, counts per
 * outcome, budget, ETA, who started and approved it, Pause / Drain / Abort), its final summary, the thread
 * digests, the customer-contact task and the on-call approval request. Pure functions of views the reporter
 * reads from the journal (and of `verify`'s report for the final summary): nothing here learns a cluster fact.
 */
import { count, runningWord, waveStateWords } from '../text/words.js';
import type { CustomerTask } from '../journal/journal.js';
import { ENDED_WAVE_STATES } from '../journal/ids-and-states.js';
import type { ChatBlock, ChatButton, ChatMessage } from './message.js';
import { codeBlock, inlineCode, mention, plain } from './message.js';
import { outputSections } from './replies.js';
import { describeIstioConflict, istioCrLabel } from '../migration/istio-conflict.js';

export const WAVE_ACTION = {
  pause: 'im:wave-pause:',
  drain: 'im:wave-drain:',
  abort: 'im:wave-abort:',
  resume: 'im:wave-resume:',
} as const;

export const TASK_ACTION = {
  agreed: 'im:task-agreed:',
  declined: 'im:task-declined:',
  resolved: 'im:task-resolved:',
} as const;

export const APPROVAL_ACTION = { approve: 'im:approve:' } as const;

/** Outcomes in the order the parent lists them (C4), then the two in-progress counts. */
const OUTCOME_ORDER = ['migrated', 'already-migrated', 'multiple-istio-crs', 'kyma-cr-missing', 'kyma-cr-ambiguous', 'module-template-missing', 'timeout', 'error', 'skipped'] as const;

const ENDED = new Set<string>(ENDED_WAVE_STATES);

export interface WaveView {
  waveId: string;
  env: string;
  target: string;
  /** The effective state (`interrupted` when no runner holds it). */
  state: string;
  counts: Record<string, number>;
  total: number;
  /** Platform failures so far, and the budget they are counted against (C4). */
  platformFailures: number;
  budget: number;
  concurrency: number;
  requestedBy: string;
  approvedBy: string | null;
  planHash: string;
  createdAt: string;
  finishedAt: string | null;
  /** Seconds left, by rollout/eta.ts (the pace of the last ten minutes; null when not running or no pace yet). */
  etaSeconds: number | null;
  /** While it runs: in flight, the limit now and its cause (the runner's, from the journal). */
  limit?: { inFlight: number; limit: number; requested: number; cause: string };
  /** The wave's signed page link (config `page`), when pages and a base URL are configured. */
  pageUrl?: string;
  /** Failures so far by reason, largest first (the thread's digests tell them; wave-thread.ts). */
  failureGroups?: { group: string; count: number }[];
}

/** What `verify` said once the wave ended (runtime count vs istio Manifest count, the non-Ready list). */
export interface FinalCheck {
  ok: boolean;
  runtimes: number;
  manifests: number;
  byState: Record<string, number>;
  /** Runtimes whose istio Manifest is not Ready or missing (`id state`), the first few of `notReadyTotal`. */
  notReady: string[];
  notReadyTotal: number;
  /** Set when verify itself failed. */
  problem?: string;
}

export interface FinalView {
  check?: FinalCheck;
  /** Runtimes that did not end migrated / already-migrated (`id outcome/reason`), the first few of the total. */
  notMigrated: string[];
  notMigratedTotal: number;
}

function progressBar(done: number, total: number, width = 20): string {
  const ratio = total ? done / total : 1;
  const full = Math.round(ratio * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)} ${Math.floor(ratio * 100)}% (${done}/${total})`;
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function countsLine(counts: Record<string, number>, state: string): string {
  const parts = [...OUTCOME_ORDER, 'running', 'pending'].filter((k) => (counts[k] ?? 0) > 0).map((k) => `${k === 'running' ? runningWord(state) : k} *${counts[k]}*`);
  return parts.join(' · ') || 'no runtimes';
}

const STATE_ICON: Record<string, string> = {
  running: ':arrow_forward:',
  paused: ':double_vertical_bar:',
  draining: ':hourglass_flowing_sand:',
  'budget-stopped': ':octagonal_sign:',
  aborted: ':x:',
  finished: ':white_check_mark:',
  interrupted: ':warning:',
};

/** Lines as a list cut to `max` entries with a "… n more" line (`total` counts the ones not even passed in). */
function topN(lines: string[], max: number, total = lines.length): string {
  const shown = lines.slice(0, max).join('\n');
  return total > Math.min(max, lines.length) ? `${shown}\n… ${total - Math.min(max, lines.length)} more` : shown;
}

/** How many list entries a final summary shows (the rest: the file and `export`). */
export const FINAL_LIST_MAX = 25;

function waveButtons(v: WaveView): ChatButton[] {
  const b = (kind: keyof typeof WAVE_ACTION, label: string, extra: Partial<ChatButton> = {}): ChatButton => ({ actionId: `${WAVE_ACTION[kind]}${v.waveId}`, label, value: v.waveId, ...extra });
  const abort = b('abort', 'Abort', { style: 'danger', confirm: { title: `Abort ${v.waveId}?`, text: 'No new runtimes start; those in flight are left where they are (resume or retry-failed continues them).', confirm: 'Abort', deny: 'Keep running' } });
  const drain = b('drain', 'Drain', { confirm: { title: `Drain ${v.waveId}?`, text: 'Runtimes in flight finish, no more start, and the wave ends.', confirm: 'Drain', deny: 'Keep running' } });
  const resume = b('resume', 'Resume', { style: 'primary', confirm: { title: `Resume ${v.waveId}?`, text: `Start migrating the remaining ${count(v.counts.pending ?? 0, 'runtime')} of ${v.env} again.`, confirm: 'Resume', deny: 'Not yet' } });
  switch (v.state) {
    case 'running':
      return [b('pause', 'Pause'), drain, abort];
    case 'paused':
      return [resume, drain, abort];
    case 'draining':
      return [abort];
    case 'interrupted':
      return [resume, abort];
    default:
      return [];
  }
}

/** The wave's one parent message: edited in place while it runs, and its final summary once it ended. */
export function waveParentMessage(v: WaveView, final?: FinalView): ChatMessage {
  const done = v.total - (v.counts.pending ?? 0) - (v.counts.running ?? 0);
  const ended = ENDED.has(v.state);
  const icon = STATE_ICON[v.state] ?? '';
  const who = `requested by ${mention(v.requestedBy)}${v.approvedBy ? ` · approved by ${mention(v.approvedBy)}` : ''} · plan ${inlineCode(v.planHash.slice(0, 12))}`;
  const blocks: ChatBlock[] = [
    { type: 'header', text: `Wave ${v.waveId} — ${v.env}, ${v.target}` },
    { type: 'section', markdown: `${icon} *${ended ? waveStateWords(v.state, v.counts.pending ?? 0) : v.state}*  ${inlineCode(progressBar(done, v.total))}` },
    { type: 'section', markdown: countsLine(v.counts, v.state) },
    ...(v.failureGroups?.length ? [{ type: 'context' as const, elements: [`failures by reason: ${v.failureGroups.map((g) => `${g.group} ${g.count}`).join(' · ')}`] }] : []),
    {
      type: 'context',
      elements: [
        `error budget: ${v.platformFailures}/${v.budget} platform failures`,
        !ended && v.limit ? `in flight ${v.limit.inFlight}, limit ${v.limit.limit} of ${v.limit.requested}: ${plain(v.limit.cause)}` : `concurrency ${v.concurrency}`,
        ended ? `ended ${v.finishedAt ?? ''}`.trim() : v.etaSeconds === null ? 'ETA —' : `ETA ~${duration(v.etaSeconds)}`,
        who,
        ...(v.pageUrl ? [`<${v.pageUrl}|live page with charts>`] : []),
      ],
    },
  ];
  if (ended && final) {
    blocks.push({ type: 'divider' });
    const c = final.check;
    if (c?.problem) blocks.push({ type: 'section', markdown: `*Verify* could not run: ${plain(c.problem)}` });
    else if (c) {
      const states = Object.entries(c.byState).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
      blocks.push({ type: 'section', markdown: `*Verify* ${c.ok ? ':white_check_mark:' : ':warning:'} runtimes *${c.runtimes}* vs istio Manifests *${c.manifests}* (${plain(states)})` });
      if (c.notReadyTotal) blocks.push({ type: 'section', markdown: `*Not Ready (${c.notReadyTotal})*\n${codeBlock(topN(c.notReady, FINAL_LIST_MAX, c.notReadyTotal))}` });
    }
    if (final.notMigratedTotal) blocks.push({ type: 'section', markdown: `*Not migrated (${final.notMigratedTotal})*\n${codeBlock(topN(final.notMigrated, FINAL_LIST_MAX, final.notMigratedTotal))}` });
    blocks.push({ type: 'context', elements: [`full list: the file in the thread, or ${inlineCode(`/istio-migrate export ${v.waveId} --format csv`)}`] });
  }
  const buttons = waveButtons(v);
  if (buttons.length) blocks.push({ type: 'actions', buttons });
  return { text: `Wave ${v.waveId} ${ended ? waveStateWords(v.state, v.counts.pending ?? 0) : v.state}: ${done}/${v.total} done`, blocks };
}

/** A thread digest: what needs attention since the last one, at most `max` lines, the rest counted. */
export function digestMessage(waveId: string, lines: string[], more: number, mentions: string[] = []): ChatMessage {
  const body = lines.join('\n') + (more > 0 ? `\n… and ${more} more (see ${inlineCode(`/istio-migrate status ${waveId}`)} or ${inlineCode(`export ${waveId}`)})` : '');
  return {
    text: `${waveId}: ${lines.length + more} update${lines.length + more === 1 ? '' : 's'}`,
    blocks: [{ type: 'section', markdown: body }, ...(mentions.length ? [{ type: 'context' as const, elements: [mentions.join(' ')] }] : [])],
  };
}

/** The message the wave thread gets when the wave ended: who needs to know, and the counts. */
export function waveEndedMessage(v: WaveView, mentions: string[]): ChatMessage {
  const icon = STATE_ICON[v.state] ?? '';
  return {
    text: `Wave ${v.waveId} ${v.state}`,
    blocks: [{ type: 'section', markdown: `${icon} Wave ${inlineCode(v.waveId)} *${v.state}*: ${countsLine(v.counts, v.state)}\n${mentions.join(' ')}` }],
  };
}

/** A customer-contact task as the journal keeps it (chat renders from the journal). */
export type TaskView = CustomerTask;

function age(createdAt: string | null, now: number): string {
  if (!createdAt) return 'age unknown';
  const s = (now - Date.parse(createdAt)) / 1000;
  if (!Number.isFinite(s)) return 'age unknown';
  if (s < 3600) return `${Math.max(0, Math.round(s / 60))} min old`;
  if (s < 172_800) return `${Math.round(s / 3600)} h old`;
  return `${Math.round(s / 86_400)} d old`;
}

/** A customer-contact task (DESIGN.md §4): what to tell the customer, and buttons for their answer. */
export function taskMessage(t: TaskView, approvalRequired: boolean, now = Date.now()): ChatMessage {
  const crs = t.istioCrs.map((c) => `${istioCrLabel(c)}  ${c.state ?? 'no state'}  ${age(c.createdAt, now)}  (created ${c.createdAt ?? '?'})`).join('\n') || '(none seen)';
  const buttons: ChatButton[] = [];
  const agreed: ChatButton = {
    actionId: `${TASK_ACTION.agreed}${t.taskId}`,
    label: t.state === 'rename-failed' ? 'Customer agreed (retry rename)' : 'Customer agreed',
    value: t.taskId,
    style: 'primary',
    confirm: {
      title: 'Rename to default?',
      text: `Runs the safe rename-to-default on ${t.runtimeId}: the configuration of the customer's Istio CR moves into default and the other CRs are removed.${approvalRequired ? ' Needs an on-call approval first.' : ''}`,
      confirm: 'Customer agreed',
      deny: 'Not yet',
    },
  };
  const declined: ChatButton = { actionId: `${TASK_ACTION.declined}${t.taskId}`, label: 'Declined', value: t.taskId };
  const resolved: ChatButton = { actionId: `${TASK_ACTION.resolved}${t.taskId}`, label: 'Resolved', value: t.taskId };
  if (['open', 'declined', 'rename-failed'].includes(t.state)) buttons.push(agreed);
  if (['open', 'agreed', 'rename-failed'].includes(t.state)) buttons.push(declined);
  if (!['resolved', 'renaming'].includes(t.state)) buttons.push(resolved);
  return {
    text: `Customer-contact task ${t.taskId}: ${t.runtimeId}: ${describeIstioConflict(t.istioCrs)} (${t.state})`,
    blocks: [
      { type: 'header', text: `Customer contact: ${t.taskId} — ${t.env}` },
      {
        type: 'section',
        markdown: `Runtime ${inlineCode(t.runtimeId)}: ${plain(describeIstioConflict(t.istioCrs))}.`,
        fields: [`*Shoot*\n${inlineCode(t.shootName)}`, `*Global account*\n${inlineCode(t.globalAccountId)}`, `*Subaccount*\n${inlineCode(t.subaccountId)}`, `*Wave*\n${t.waveId ? inlineCode(t.waveId) : '—'}`],
      },
      { type: 'section', markdown: `*Istio CRs*\n${codeBlock(crs)}` },
      { type: 'section', markdown: `*What the migration said*\n${codeBlock(t.message)}` },
      {
        type: 'section',
        markdown:
          '*Propose to the customer*: the Istio module is now managed by Lifecycle Manager, which reconciles only the Istio CR named `default`. ' +
          "With their agreement the bot moves the configuration of their CR (the oldest one in Ready or Warning, the one that is in effect) into `default` and removes the others — the safe rename-to-default; the Istio operator is stopped only for the swap and always started again. Press *Customer agreed* once they said yes.",
      },
      { type: 'context', elements: [`state *${t.state}*${t.updatedBy ? ` · by ${mention(t.updatedBy)}` : ''} · ${t.updatedAt}`] },
      ...(buttons.length ? [{ type: 'actions' as const, buttons }] : []),
    ],
  };
}

export interface ApprovalRequestView {
  requestId: string;
  env: string;
  target: string;
  planHash: string;
  /** What the approval is for: `run`, `rename:<runtimeId>`, … */
  action: string;
  requester: string;
  /** `<!subteam^ID>` and/or `<@U>` mentions of who may approve. */
  approvers: string[];
  expiresAt: string;
  /** The plan with its `--preview` predictions (text from the `plan` command), or another description. */
  detail: string;
  /** What it is about beyond the plan, as markdown ("wave `prod-20261125-1`"); empty for the plan itself. */
  subject?: string;
  /** The command that runs as the requester once approved (`retry-failed prod-20261125-1 --yes`). */
  runs?: string;
}

/** The request for an on-call approval, with the button that approves exactly this hash and action. */
export function approvalRequestMessage(r: ApprovalRequestView): ChatMessage {
  const short = r.planHash.slice(0, 12);
  return {
    text: `Approval needed: ${r.action} of plan ${short} (${r.env}, ${r.target})`,
    blocks: [
      { type: 'section', markdown: `:raising_hand: ${r.approvers.join(' ') || 'on-call'}: ${mention(r.requester)} asks for an approval of *${plain(r.action)}*${r.subject ? ` of ${r.subject}` : ''} for plan ${inlineCode(short)} (${r.env}, ${plain(r.target)}). It expires ${r.expiresAt}; the requester cannot approve it.` },
      ...outputSections(r.detail),
      { type: 'context', elements: [`hash ${inlineCode(r.planHash)} · a re-plan needs a new approval${r.runs ? ` · once approved, ${inlineCode(`/istio-migrate ${r.runs}`)} runs as ${mention(r.requester)}` : ''}`] },
      {
        type: 'actions',
        buttons: [
          {
            actionId: `${APPROVAL_ACTION.approve}${r.requestId}`,
            label: 'Approve',
            value: r.requestId,
            style: 'primary',
            confirm: { title: `Approve ${r.action.slice(0, 40)}?`, text: `You approve ${r.action} of plan ${short} in ${r.env} exactly as shown; it then runs as ${r.requester}.`, confirm: 'Approve', deny: 'Not yet' },
          },
        ],
      },
    ],
  };
}
