/**
 * The buttons that start and steer waves and settle customer-contact tasks (issue 7 §2–§4): Run, Request
 * approval and Approve, Pause / Drain / Abort / Resume on a wave's parent message, and a task's Customer agreed /
 * Declined / Resolved. Adapter work only (STYLE.md §2): each handler re-reads the journal, checks the clicker,
 * dispatches a command as the clicker (or, after an approval, as the requester) and says what happened; the
 * commands decide. Every handler runs after the ack; long work (a wave, a rename) is handed to `track()`.
 *
 * On-call approvals by button (approval-request.ts): a request is journaled as `slack:approval:<id>` (id from plan
 * hash + action) with its expiry. It comes from the plan's Request approval, from Customer agreed in Prod, or from
 * any command refused for want of an approval (`CommandResult.approvalNeeded`: a slash `resume` of an aborted
 * wave, `retry-failed`, `run [--force]`, `task … rename`, or the Resume button) — `askApproval` posts it in the
 * wave's or task's thread, else the environment's channel, and tells the requester. The Approve click is checked
 * on the server — not the requester, an approver (the `approve` command checks the on-call group through
 * `ctx.isInApproverGroup`), not expired, the plan still the one requested — and is idempotent: a second click (or
 * a Slack retry) only hears who approved it. Once approved, the requested command runs again as the requester and
 * checks everything once more (the journal approval of exactly that hash and action among it); its result goes to
 * the request's thread. Every click is audited (`approve-click`) and reported to `onApproval` (metrics).
 * Limitation: the in-process guard against two simultaneous clicks is per process; the journal's approval record
 * is what the commands trust.
 */
import { renameApprovalNeed } from '../../../commands/task.js';
import type { ApprovalNeed, CommandResult } from '../../../commands/types.js';
import type { Services } from '../../app/services.js';
import type { EnvName } from '../../config/config.js';
import type { WaveEvent } from '../../rollout/wave-runner.js';
import { approvalKey, approvalRequestId, followUpLine, followUpOf, judgeApprovalClick, subjectText, type ApprovalClickResult, type ApprovalRequest, type FollowUp } from '../approval-request.js';
import { inlineCode, mention, type ChatMessage } from '../message.js';
import { commandReply, noteReply, problemReply } from '../replies.js';
import { APPROVAL_ACTION, approvalRequestMessage, TASK_ACTION, WAVE_ACTION } from '../wave-message.js';
import type { ButtonClick, ButtonHandler } from './app.js';
import type { PostedMessage, SlackPoster } from './poster.js';
import { taskRefKey, waveRefKey, type WaveReporter } from './wave-reporter.js';

/** What these handlers need from the app (app.ts builds it). */
export interface SlackCore {
  services: Services;
  poster: SlackPoster;
  reporter: WaveReporter;
  actions: Map<string, ButtonHandler>;
  log: { error(obj: object, msg: string): void };
  track(work: Promise<void>): void;
  /** Dispatches a command as `user` (Slack identity; the approver group answered from Slack). */
  dispatchAs(user: string, name: string, argv: string[]): Promise<CommandResult>;
  /** Why `user` may not run `command` in `envs` (or undefined). */
  refusal(command: string, argv: string[], user: string, envs: EnvName[]): Promise<string | undefined>;
  /** The clicked message without its buttons and with a note. */
  settle(click: ButtonClick, note: string): Promise<void>;
  /** Every Approve click and what it came to (metrics: `istio_migrate_approval_events_total`). */
  onApproval?: (env: string, result: ApprovalClickResult) => void;
}

export { approvalKey, approvalRequestId, type ApprovalRequest };

/** Where a refused command was typed or clicked, and what the requester saw. */
export interface ApprovalAsker {
  user: string;
  channel: string;
  /** The command line as shown to the requester. */
  commandLine: string;
  /** The command's refusal text. */
  problem: string;
}

interface StartRun {
  hash: string;
  user: string;
  channel: string;
  /** The run's arguments (default `--plan HASH --yes`; an approved forced run adds `--force`). */
  argv?: string[];
  onStarted?: (waveId: string) => Promise<void>;
}

export interface WaveActions {
  /** Starts `run --plan HASH --yes` as `user` in the background; a reason when it does not. */
  startRun(o: StartRun): Promise<string | undefined>;
  /**
   * A command was refused for want of an on-call approval: posts the approval request (the wave's or task's thread,
   * else the environment's channel, else where it was asked) and tells the requester, ephemerally.
   */
  askApproval(need: ApprovalNeed, from: ApprovalAsker): Promise<void>;
}

export function registerWaveActions(core: SlackCore): WaveActions {
  const { services, poster, actions, reporter } = core;
  const startingPlans = new Set<string>();
  const approving = new Set<string>();
  const journal = () => services.journal();
  const tell = (channel: string, user: string, md: string, threadTs?: string) => poster.ephemeral(channel, user, noteReply(md), { threadTs });

  async function startRun(o: StartRun): Promise<string | undefined> {
    const j = await journal();
    const plan = await j.getPlan(o.hash);
    const short = inlineCode(o.hash.slice(0, 12));
    if (!plan) return `no stored plan ${short}: plan again (e.g. ${inlineCode('/istio-migrate stage kyma-test')})`;
    if (startingPlans.has(plan.hash)) return `plan ${short} is already starting`;
    const existing = (await j.listWaves({ env: plan.env })).find((w) => w.planHash === plan.hash);
    if (existing) {
      const active = ['running', 'paused', 'draining'].includes(existing.state);
      return active ? `already running as ${inlineCode(existing.waveId)}` : `plan ${short} already ran as ${inlineCode(existing.waveId)} (${existing.state}); plan again for a new wave`;
    }
    startingPlans.add(plan.hash);
    reporter.expectWave(o.user, o.channel);
    const onEvent = (e: WaveEvent) => {
      if (e.type !== 'wave-started' || e.resumed || !o.onStarted) return;
      core.track(
        (async () => {
          const wave = await j.getWave(e.waveId);
          if (wave?.planHash === plan.hash) await o.onStarted!(e.waveId);
        })(),
      );
    };
    services.events.on('event', onEvent);
    // The wave runs until it ends: in the background, so that the click's handler (and the ack) never wait for it.
    core.track(
      (async () => {
        let result: CommandResult;
        try {
          result = await core.dispatchAs(o.user, 'run', o.argv ?? ['--plan', plan.hash, '--yes']);
        } catch (e) {
          result = { exitCode: 1, text: `failed: ${(e as Error).message}`, json: null };
        } finally {
          services.events.off('event', onEvent);
          startingPlans.delete(plan.hash);
        }
        // The wave's parent message and thread show how it went; only a refusal is told, to the one who asked.
        if (result.exitCode === 1 || result.exitCode === 2) await poster.ephemeral(o.channel, o.user, problemReply(`run ${(o.argv ?? ['--plan', o.hash.slice(0, 12)]).join(' ')}`, result.text));
      })(),
    );
    return undefined;
  }

  function approversOf(env: EnvName): string[] {
    const a = services.envConfig(env).approval;
    return [...(a.approverGroup ? [`<!subteam^${a.approverGroup}>`] : []), ...a.approvers.map(mention)];
  }

  async function hasValidApproval(hash: string, action: string, requester: string): Promise<boolean> {
    const now = Date.now();
    return (await (await journal()).listApprovals(hash)).some((a) => a.action === action && a.approver !== requester && Date.parse(a.expiresAt) > now && !a.usedAt);
  }

  type Requested = { posted: PostedMessage } | { refused: string };

  /** Posts an approval request (once per plan hash and action while it is pending) and journals it. */
  async function requestApproval(o: { planHash: string; action: string; env: EnvName; target: string; requester: string; channel: string; threadTs?: string; then: FollowUp; subject?: ApprovalNeed['subject']; detail: string }): Promise<Requested> {
    const j = await journal();
    const id = approvalRequestId(o.planHash, o.action);
    const raw = await j.getSetting(approvalKey(id));
    const prior = raw ? (JSON.parse(raw) as ApprovalRequest) : undefined;
    if (prior?.state === 'pending' && Date.parse(prior.expiresAt) > Date.now()) return { refused: `an approval of ${o.action} was already requested by ${mention(prior.requester)} (see <#${prior.channel}>, the thread of the request)` };
    const now = new Date();
    const expiresAt = new Date(now.getTime() + services.envConfig(o.env).approval.expiryMinutes * 60_000).toISOString();
    const runs = o.then.kind === 'command' ? followUpLine({ then: o.then, planHash: o.planHash }) : undefined;
    const msg = approvalRequestMessage({ requestId: id, env: o.env, target: o.target, planHash: o.planHash, action: o.action, requester: o.requester, approvers: approversOf(o.env), expiresAt, detail: o.detail, subject: subjectText(o.subject), runs });
    const posted = await poster.post(o.channel, msg, { threadTs: o.threadTs });
    const req: ApprovalRequest = { id, planHash: o.planHash, action: o.action, env: o.env, target: o.target, requester: o.requester, channel: posted.channel, ts: posted.ts, threadTs: o.threadTs, then: o.then, subject: o.subject, requestedAt: now.toISOString(), expiresAt, state: 'pending' };
    await j.setSetting(approvalKey(id), JSON.stringify(req));
    await j.audit({ actor: o.requester, action: 'approval-requested', subject: o.planHash, detail: { action: o.action, requestId: id, expiresAt, ...(runs ? { runs } : {}) } });
    return { posted };
  }

  /** The message (thread) an approval need belongs to: the wave's parent, the task's message, the plan's message. */
  async function homeOf(need: ApprovalNeed): Promise<PostedMessage | undefined> {
    const j = await journal();
    const key = need.subject.kind === 'wave' ? waveRefKey(need.subject.waveId) : need.subject.kind === 'task' ? taskRefKey(need.subject.taskId) : `slack:plan:${need.planHash}`;
    const raw = await j.getSetting(key);
    return raw ? (JSON.parse(raw) as PostedMessage) : undefined;
  }

  async function askApproval(need: ApprovalNeed, from: ApprovalAsker): Promise<void> {
    const env = need.env as EnvName;
    const home = await homeOf(need);
    const channel = home?.channel ?? services.config.chat?.channels[env] ?? from.channel;
    const target = (await (await journal()).getPlan(need.planHash))?.target ?? '?';
    let said: string;
    try {
      const r = await requestApproval({ planHash: need.planHash, action: need.action, env, target, requester: need.requester, channel, threadTs: home?.ts, then: followUpOf(need), subject: need.subject, detail: need.detail });
      said =
        'posted' in r
          ? `:raising_hand: approval requested from ${approversOf(env).join(' ') || 'on-call'} in <#${r.posted.channel}>: once someone on call other than you approves, ${inlineCode(`/istio-migrate ${followUpLine({ then: followUpOf(need), planHash: need.planHash })}`)} runs as you.`
          : `:hourglass_flowing_sand: ${r.refused}`;
    } catch (e) {
      core.log.error({ channel, err: (e as Error).message }, 'slack: could not post an approval request');
      said = `:warning: the approval request could not be posted in <#${channel}> (${(e as { data?: { error?: string } }).data?.error ?? (e as Error).message}); invite the bot there, or ask on-call directly`;
    }
    const refusal = problemReply(from.commandLine, from.problem);
    await poster.ephemeral(from.channel, from.user, { text: refusal.text, blocks: [...refusal.blocks, { type: 'section', markdown: said }] });
  }

  /** A follow-up other than a wave start or a task rename (resume, retry-failed): its result in the request's thread. */
  async function runAsRequester(req: ApprovalRequest, name: string, argv: string[]): Promise<void> {
    const where: PostedMessage = { channel: req.channel, ts: req.threadTs ?? req.ts };
    const line = followUpLine(req);
    const why = await core.refusal(name, argv, req.requester, [req.env as EnvName]);
    if (why) return say(where, noteReply(`:no_entry: ${inlineCode(`/istio-migrate ${line}`)} was not run as ${mention(req.requester)}: ${why}`));
    const res = await core.dispatchAs(req.requester, name, argv);
    await say(where, res.exitCode === 1 || res.exitCode === 2 ? problemReply(line, res.text) : commandReply(line, req.requester, res.text));
  }

  /** Runs what an approved request asked for, as the requester; each command checks everything again. */
  async function carryOut(req: ApprovalRequest): Promise<void> {
    const thread = req.threadTs ?? req.ts;
    const t = req.then;
    const startWave = async (argv?: string[]) => {
      const refused = await startRun({ hash: req.planHash, user: req.requester, channel: req.channel, argv });
      if (refused) await poster.post(req.channel, noteReply(`could not start: ${refused}`), { threadTs: thread });
    };
    if (t.kind === 'run') return startWave();
    if (t.kind === 'task-rename') return core.track(renameTask(t.taskId, req.requester));
    if (t.name === 'run') return startWave(t.argv);
    if (t.name === 'task' && t.argv[1] === 'rename') return core.track(renameTask(t.argv[0], req.requester));
    core.track(runAsRequester(req, t.name, t.argv));
  }

  /** Why a request's plan is no longer the one requested (read from the journal), or undefined. */
  async function staleness(req: ApprovalRequest): Promise<string | undefined> {
    const j = await journal();
    const short = inlineCode(req.planHash.slice(0, 12));
    const cancelled = await j.planCancellation(req.planHash);
    if (cancelled) return `plan ${short} was cancelled by ${mention(cancelled.cancelledBy)}`;
    if (!(await j.getPlan(req.planHash))) return `plan ${short} is no longer in the journal`;
    const s = req.subject;
    const waveId = s?.kind === 'wave' ? s.waveId : s?.kind === 'task' ? (await j.getTask(s.taskId))?.waveId : undefined;
    if (s && s.kind !== 'plan') {
      const wave = waveId ? await j.getWave(waveId) : undefined;
      if (wave?.planHash !== req.planHash) return `${subjectText(s)} no longer belongs to plan ${short}`;
    }
    return undefined;
  }

  // ---- Run (Stage, Dev) ----

  actions.set('im:run:', async (click) => {
    const hash = click.value || click.actionId.slice('im:run:'.length);
    const plan = await (await journal()).getPlan(hash);
    if (!plan) return tell(click.channel, click.user, `no stored plan ${inlineCode(hash.slice(0, 12))}: plan again (e.g. ${inlineCode('/istio-migrate stage kyma-test')})`);
    const why = await core.refusal('run', [], click.user, [plan.env as EnvName]);
    if (why) return tell(click.channel, click.user, why);
    const refused = await startRun({ hash: plan.hash, user: click.user, channel: click.channel, onStarted: (waveId) => core.settle(click, `run by ${mention(click.user)} as wave ${inlineCode(waveId)}`) });
    if (refused) await tell(click.channel, click.user, refused);
  });

  // ---- Request approval (Prod) and Approve ----

  actions.set('im:request-approval:', async (click) => {
    const j = await journal();
    const plan = await j.getPlan(click.value);
    if (!plan) return tell(click.channel, click.user, `no stored plan ${inlineCode(click.value.slice(0, 12))}`);
    const env = plan.env as EnvName;
    const why = await core.refusal('run', [], click.user, [env]);
    if (why) return tell(click.channel, click.user, why);
    const existing = (await j.listWaves({ env })).find((w) => w.planHash === plan.hash);
    if (existing) return tell(click.channel, click.user, `plan ${inlineCode(plan.hash.slice(0, 12))} already ran as ${inlineCode(existing.waveId)}`);
    // The approver sees what the wave will do: the plan again with `--preview` (read-only predictions per runtime).
    const input = (plan.document as { input?: { specs?: string[]; excludes?: string[]; sample?: string; concurrency?: string } }).input ?? {};
    const argv = [env, ...(input.specs ?? [plan.target]), ...(input.excludes ?? []).flatMap((e) => ['--exclude', e]), ...(input.sample ? ['--sample', input.sample] : []), ...(input.concurrency ? ['--concurrency', input.concurrency] : []), '--preview'];
    const preview = await core.dispatchAs(click.user, 'plan', argv);
    if (preview.exitCode !== 0) return poster.ephemeral(click.channel, click.user, problemReply(`plan ${argv.join(' ')}`, preview.text));
    const now = (preview.json as { hash?: string }).hash;
    if (now !== plan.hash) {
      return tell(click.channel, click.user, `the landscape changed since plan ${inlineCode(plan.hash.slice(0, 12))}: it is now ${inlineCode(String(now).slice(0, 12))}. Plan again and request the approval of the new plan.`);
    }
    const r = await requestApproval({ planHash: plan.hash, action: 'run', env, target: plan.target, requester: click.user, channel: click.channel, threadTs: click.messageTs, then: { kind: 'run' }, subject: { kind: 'plan' }, detail: preview.text });
    if ('refused' in r) return tell(click.channel, click.user, r.refused);
    await core.settle(click, `approval requested by ${mention(click.user)}: see the thread`);
  });

  actions.set(APPROVAL_ACTION.approve, async (click) => {
    const j = await journal();
    const raw = await j.getSetting(approvalKey(click.value));
    const req = raw ? (JSON.parse(raw) as ApprovalRequest) : undefined;
    const count = (result: ApprovalClickResult) => {
      try {
        core.onApproval?.(req?.env ?? 'unknown', result);
      } catch (e) {
        core.log.error({ err: (e as Error).message }, 'slack: the approval hook failed');
      }
    };
    const answer = async (result: Exclude<ApprovalClickResult, 'accepted'>, reason: string) => {
      count(result);
      await j.audit({ actor: click.user, action: 'approve-click', subject: click.value, detail: { outcome: result, reason } });
      await tell(click.channel, click.user, result === 'duplicate' ? reason : `:no_entry: not approved: ${reason}`);
    };
    const verdict = judgeApprovalClick({ req, clicker: click.user, now: Date.now(), inFlight: !!req && approving.has(req.id), stale: req && req.state === 'pending' ? await staleness(req) : undefined });
    if (verdict) return answer(verdict.result, verdict.reason);
    if (!req) return; // judgeApprovalClick answered 'unknown'
    const why = await core.refusal('approve', [req.planHash], click.user, [req.env as EnvName]);
    if (why) return answer('not-on-call', why);
    approving.add(req.id);
    try {
      // The approval names the requester: only they run what it approves (to run a plan: the one wave it is good for).
      const res = await core.dispatchAs(click.user, 'approve', [req.planHash, '--action', req.action, '--for', req.requester]);
      if (res.exitCode !== 0) return await answer('refused', res.text);
      const at = new Date().toISOString();
      const done: ApprovalRequest = { ...req, state: 'approved', approvedBy: click.user, approvedAt: at };
      await j.setSetting(approvalKey(req.id), JSON.stringify(done));
      count('accepted');
      await j.audit({ actor: click.user, action: 'approve-click', subject: req.id, detail: { outcome: 'accepted', planHash: req.planHash, action: req.action, runs: followUpLine(req) } });
      await core.settle(click, `:white_check_mark: approved by ${mention(click.user)} at ${at}`);
      await poster.post(req.channel, noteReply(`:white_check_mark: ${req.action} of plan ${inlineCode(req.planHash.slice(0, 12))} approved by ${mention(click.user)} at ${at}; ${inlineCode(`/istio-migrate ${followUpLine(req)}`)} runs as ${mention(req.requester)}`), { threadTs: req.threadTs ?? req.ts });
    } finally {
      approving.delete(req.id);
    }
    await carryOut(req);
  });

  // ---- Pause / Drain / Abort / Resume on a wave's parent message ----

  for (const [kind, prefix] of Object.entries(WAVE_ACTION) as [keyof typeof WAVE_ACTION, string][]) {
    actions.set(prefix, async (click) => {
      const waveId = click.value;
      const wave = await (await journal()).getWave(waveId);
      if (!wave) return tell(click.channel, click.user, `no wave ${inlineCode(waveId)}`);
      const argv = kind === 'resume' ? [waveId, '--yes'] : [waveId];
      const why = await core.refusal(kind, argv, click.user, [wave.env as EnvName]);
      if (why) return tell(click.channel, click.user, why);
      if (kind === 'resume') reporter.expectWave(click.user, click.channel);
      // `resume` of an interrupted wave drives it here until it ends: in the background.
      const work = (async () => {
        const res = await core.dispatchAs(click.user, kind, argv);
        // Resume of an aborted wave in Prod: ask on-call instead of only saying no.
        if (res.approvalNeeded) await askApproval(res.approvalNeeded, { user: click.user, channel: click.channel, commandLine: `${kind} ${waveId}`, problem: res.text });
        else if (res.exitCode === 1 || res.exitCode === 2) await poster.ephemeral(click.channel, click.user, problemReply(`${kind} ${waveId}`, res.text));
      })();
      if (kind === 'resume') core.track(work);
      else await work;
    });
  }

  // ---- Customer-contact tasks ----

  async function taskThread(taskId: string, click?: ButtonClick): Promise<PostedMessage | undefined> {
    const raw = await (await journal()).getSetting(taskRefKey(taskId));
    if (raw) return JSON.parse(raw) as PostedMessage;
    return click ? { channel: click.channel, ts: click.messageTs } : undefined;
  }

  async function say(where: PostedMessage | undefined, msg: ChatMessage) {
    if (where) await poster.post(where.channel, msg, { threadTs: where.ts });
  }

  /** `task <id> rename --yes` as `user`, its result in the task's thread. */
  async function renameTask(taskId: string, user: string): Promise<void> {
    const where = await taskThread(taskId);
    await say(where, noteReply(`:hammer_and_wrench: renaming to default for ${inlineCode(taskId)}, as ${mention(user)}…`));
    await reporter.renderTask(taskId);
    const res = await core.dispatchAs(user, 'task', [taskId, 'rename', '--yes']);
    await say(where, commandReply(`task ${taskId} rename`, user, res.text));
    await reporter.renderTask(taskId);
  }

  const decision = (verb: 'agreed' | 'declined' | 'resolved') => async (click: ButtonClick) => {
    const j = await journal();
    const t = await j.getTask(click.value);
    if (!t) return tell(click.channel, click.user, `no task ${inlineCode(click.value)}`);
    const env = t.env as EnvName;
    const why = await core.refusal('task', [t.taskId, verb], click.user, [env]);
    if (why) return tell(click.channel, click.user, why);
    // Agreed again after a failed rename: the state stays, the rename is tried again.
    if (!(verb === 'agreed' && t.state === 'agreed')) {
      const res = await core.dispatchAs(click.user, 'task', [t.taskId, verb]);
      if (res.exitCode !== 0) return poster.ephemeral(click.channel, click.user, problemReply(`task ${t.taskId} ${verb}`, res.text));
    }
    await reporter.renderTask(t.taskId);
    const where = await taskThread(t.taskId, click);
    await say(where, noteReply(`customer ${verb === 'agreed' ? 'agreed' : verb === 'declined' ? 'declined' : 'task resolved'} — recorded by ${mention(click.user)} at ${new Date().toISOString()}`));
    if (verb !== 'agreed') return;
    if (!services.approvalRequired(env)) return core.track(renameTask(t.taskId, click.user));
    const wave = t.waveId ? await j.getWave(t.waveId) : undefined;
    if (!wave) return tell(click.channel, click.user, `${t.taskId} belongs to no wave, so there is no plan hash to approve`);
    const need = renameApprovalNeed(t, wave.planHash, click.user);
    if (await hasValidApproval(wave.planHash, need.action, click.user)) return core.track(renameTask(t.taskId, click.user));
    // The same request a refused `task <id> rename` makes, in the task's thread, where the click was.
    const r = await requestApproval({ planHash: need.planHash, action: need.action, env, target: wave.target, requester: click.user, channel: where?.channel ?? click.channel, threadTs: where?.ts, then: followUpOf(need), subject: need.subject, detail: need.detail });
    if ('refused' in r) await tell(click.channel, click.user, r.refused);
  };
  actions.set(TASK_ACTION.agreed, decision('agreed'));
  actions.set(TASK_ACTION.declined, decision('declined'));
  actions.set(TASK_ACTION.resolved, decision('resolved'));

  return { startRun, askApproval };
}
