/**
 * On-call approval requests in Slack (approval-request.ts holds what a request is and the verdict on a click): a
 * request is journaled (message-store.ts) with its expiry. It comes from the plan's Request approval, from Customer
 * agreed in Prod, or from any command refused for want of an approval (`CommandResult.approvalNeeded`: a slash
 * `resume` of an aborted wave, `retry-failed`, `run [--force]`, `task … rename`, or the Resume button) —
 * `ask` posts it in the wave's or task's thread, else the environment's channel, and tells the requester. Once
 * approved (listeners/actions/approval-buttons.ts), `carryOut` runs the requested command again as the requester,
 * which checks everything once more (the journal approval of exactly that hash and action among it); its result
 * goes to the request's thread.
 */
import type { EnvName } from '../../config/config.js';
import { requestOpen } from '../../rollout/approval-requests.js';
import type { ApprovalNeed } from '../../rollout/approvals.js';
import { approvalRequestId, followUpLine, followUpOf, subjectText, type ApprovalRequest, type FollowUp } from '../approval-request.js';
import { inlineCode, mention, plain } from '../message.js';
import { commandReply, noteReply, outputSections, problemReply } from '../replies.js';
import { approvalRequestMessage } from '../wave-message.js';
import type { SlackContext } from './context.js';
import { planRefKey, readApprovalRequest, readRef, saveApprovalRequest, taskRefKey, waveRefKey } from './message-store.js';
import type { PostedMessage } from './poster.js';
import type { SlackTasks } from './tasks.js';
import type { StartWave } from './wave-starts.js';
import { approverMentions } from './wave-render.js';

/** Where a refused command was typed or clicked, and what the requester saw. */
export interface ApprovalAsker {
  user: string;
  channel: string;
  /** The command line as shown to the requester. */
  commandLine: string;
  /** The command's refusal text. */
  problem: string;
}

export interface RequestApproval {
  planHash: string;
  action: string;
  env: EnvName;
  target: string;
  requester: string;
  channel: string;
  threadTs?: string;
  then: FollowUp;
  subject?: ApprovalNeed['subject'];
  detail: string;
}

export type Requested = { posted: PostedMessage } | { refused: string };

export interface SlackApprovals {
  /** Posts an approval request (once per plan hash and action while it is pending) and journals it. */
  request(o: RequestApproval): Promise<Requested>;
  /**
   * A command was refused for want of an on-call approval: posts the approval request (the wave's or task's thread,
   * else the environment's channel, else where it was asked) and tells the requester, ephemerally.
   */
  ask(need: ApprovalNeed, from: ApprovalAsker): Promise<void>;
  /** Runs what an approved request asked for, as the requester; each command checks everything again. */
  carryOut(req: ApprovalRequest): Promise<void>;
}

export function slackApprovals(ctx: SlackContext, startWave: StartWave, tasks: SlackTasks): SlackApprovals {
  const { services, poster } = ctx;
  const journal = () => services.journal();

  async function request(o: RequestApproval): Promise<Requested> {
    const j = await journal();
    const id = approvalRequestId(o.planHash, o.action);
    const prior = await readApprovalRequest(j, id);
    if (prior && requestOpen(prior, Date.now())) return { refused: `an approval of ${o.action} was already requested by ${mention(prior.requester)} (see <#${prior.channel}>, the thread of the request)` };
    const now = new Date();
    const expiresAt = new Date(now.getTime() + services.envConfig(o.env).approval.expiryMinutes * 60_000).toISOString();
    const runs = o.then.kind === 'command' ? followUpLine({ then: o.then, planHash: o.planHash }) : undefined;
    const msg = approvalRequestMessage({ requestId: id, env: o.env, target: o.target, planHash: o.planHash, action: o.action, requester: o.requester, approvers: approverMentions(services, o.env), expiresAt, detail: o.detail, subject: subjectText(o.subject), runs });
    const posted = await poster.post(o.channel, msg, { threadTs: o.threadTs });
    const req: ApprovalRequest = { id, planHash: o.planHash, action: o.action, env: o.env, target: o.target, requester: o.requester, channel: posted.channel, ts: posted.ts, threadTs: o.threadTs, then: o.then, subject: o.subject, requestedAt: now.toISOString(), expiresAt, state: 'pending' };
    await saveApprovalRequest(j, req);
    await j.audit({ actor: o.requester, action: 'approval-requested', subject: o.planHash, detail: { action: o.action, requestId: id, expiresAt, ...(runs ? { runs } : {}) } });
    return { posted };
  }

  /** The message (thread) an approval need belongs to: the wave's parent, the task's message, the plan's message. */
  async function homeOf(need: ApprovalNeed): Promise<PostedMessage | undefined> {
    const key = need.subject.kind === 'wave' ? waveRefKey(need.subject.waveId) : need.subject.kind === 'task' ? taskRefKey(need.subject.taskId) : planRefKey(need.planHash);
    return readRef(await journal(), key);
  }

  async function ask(need: ApprovalNeed, from: ApprovalAsker): Promise<void> {
    const env = need.env as EnvName;
    const home = await homeOf(need);
    const channel = home?.channel ?? services.config.chat?.channels[env] ?? from.channel;
    const target = (await (await journal()).getPlan(need.planHash))?.target ?? '?';
    let said: string;
    try {
      const r = await request({ planHash: need.planHash, action: need.action, env, target, requester: need.requester, channel, threadTs: home?.ts, then: followUpOf(need), subject: need.subject, detail: need.detail });
      said =
        'posted' in r
          ? `:raising_hand: approval requested from ${approverMentions(services, env).join(' ') || 'on-call'} in <#${r.posted.channel}>: once someone on call other than you approves, ${inlineCode(`/istio-migrate ${followUpLine({ then: followUpOf(need), planHash: need.planHash })}`)} runs as you.`
          : `:hourglass_flowing_sand: ${r.refused}`;
    } catch (e) {
      ctx.log.error({ channel, err: (e as Error).message }, 'slack: could not post an approval request');
      said = `:warning: the approval request could not be posted in <#${channel}> (${plain((e as { data?: { error?: string } }).data?.error ?? (e as Error).message)}); invite the bot there, or ask on-call directly`;
    }
    const refusal = problemReply(from.commandLine, from.problem);
    await poster.ephemeral(from.channel, from.user, { text: refusal.text, blocks: [...refusal.blocks, { type: 'section', markdown: said }] });
  }

  /** A follow-up other than a wave start or a task rename (resume, retry-failed): its result in the request's thread. */
  async function runAsRequester(req: ApprovalRequest, name: string, argv: string[]): Promise<void> {
    const where: PostedMessage = { channel: req.channel, ts: req.threadTs ?? req.ts };
    const line = followUpLine(req);
    const why = await ctx.refusal(name, argv, req.requester, [req.env as EnvName]);
    if (why) return tasks.say(where, noteReply(`:no_entry: ${inlineCode(`/istio-migrate ${line}`)} was not run as ${mention(req.requester)}: ${why}`));
    const res = await ctx.dispatchAs(req.requester, name, argv);
    await tasks.say(where, res.exitCode === 1 || res.exitCode === 2 ? problemReply(line, res.text) : commandReply(line, req.requester, res.text));
  }

  async function carryOut(req: ApprovalRequest): Promise<void> {
    const thread = req.threadTs ?? req.ts;
    const t = req.then;
    const start = async (argv?: string[]) => {
      // A refusal of the run itself (the landscape changed since the plan, …) goes to the thread that announced the
      // approval, not only to the requester: on-call must not believe a Prod wave started.
      const onRefused = async (text: string) => {
        // The refusal's text holds landscape data (template versions, KEB states): shown as text, never as markup.
        await poster.post(req.channel, { text: ':no_entry: the approved run did not start', blocks: [{ type: 'section', markdown: ':no_entry: the approved run did not start:' }, ...outputSections(text)] }, { threadTs: thread });
      };
      const refused = await startWave({ hash: req.planHash, user: req.requester, channel: req.channel, argv, onRefused, approved: true });
      if (refused) await poster.post(req.channel, noteReply(`could not start: ${refused}`), { threadTs: thread });
    };
    if (t.kind === 'run') return start();
    if (t.kind === 'task-rename') return ctx.track(tasks.rename(t.taskId, req.requester));
    if (t.name === 'run') return start(t.argv);
    if (t.name === 'task' && t.argv[1] === 'rename') return ctx.track(tasks.rename(t.argv[0], req.requester));
    ctx.track(runAsRequester(req, t.name, t.argv));
  }

  return { request, ask, carryOut };
}
