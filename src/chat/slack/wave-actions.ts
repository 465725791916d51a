/**
 * The buttons that start and steer waves and settle customer-contact tasks (issue 7 §2–§4): Run, Request
 * approval and Approve, Pause / Drain / Abort / Resume on a wave's parent message, and a task's Customer agreed /
 * Declined / Resolved. Adapter work only (STYLE.md §2): each handler re-reads the journal, checks the clicker,
 * dispatches a command as the clicker (or, after an approval, as the requester) and says what happened; the
 * commands decide. Every handler runs after the ack; long work (a wave, a rename) is handed to `track()`.
 *
 * On-call approvals by button: the request is journaled as `slack:approval:<id>` (id from plan hash + action) with
 * its expiry; the Approve click is checked on the server — not the requester, an approver (the `approve` command
 * checks the on-call group through `ctx.isInApproverGroup`), not expired, the plan not cancelled — and is
 * idempotent: a second click (or a Slack retry) only hears who approved it. Limitation: the in-process guard
 * against two simultaneous clicks is per process; the journal's approval record is what `run` trusts.
 */
import { createHash } from 'node:crypto';
import type { CommandResult } from '../../../commands/types.js';
import type { Services } from '../../app/services.js';
import type { EnvName } from '../../config/config.js';
import type { WaveEvent } from '../../rollout/wave-runner.js';
import { inlineCode, mention, type ChatMessage } from '../message.js';
import { commandReply, noteReply, problemReply } from '../replies.js';
import { APPROVAL_ACTION, approvalRequestMessage, TASK_ACTION, WAVE_ACTION } from '../wave-message.js';
import type { ButtonClick, ButtonHandler } from './app.js';
import type { PostedMessage, SlackPoster } from './poster.js';
import { taskRefKey, type WaveReporter } from './wave-reporter.js';

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
}

/** What an approved request runs, as the requester. */
type FollowUp = { kind: 'run' } | { kind: 'task-rename'; taskId: string };

export interface ApprovalRequest {
  id: string;
  planHash: string;
  action: string;
  env: EnvName;
  target: string;
  requester: string;
  channel: string;
  /** The approval message. */
  ts: string;
  threadTs?: string;
  then: FollowUp;
  requestedAt: string;
  expiresAt: string;
  state: 'pending' | 'approved';
  approvedBy?: string;
  approvedAt?: string;
}

export const approvalKey = (id: string) => `slack:approval:${id}`;
export const cancelledKey = (hash: string) => `slack:cancelled:${hash}`;

export function approvalRequestId(planHash: string, action: string): string {
  return createHash('sha256').update(`${planHash}\n${action}`).digest('hex').slice(0, 16);
}

function renameAction(runtimeId: string): string {
  return `rename:${runtimeId}`;
}

export interface WaveActions {
  /** Starts `run --plan HASH --yes` as `user` in the background; a reason when it does not. */
  startRun(o: { hash: string; user: string; channel: string; onStarted?: (waveId: string) => Promise<void> }): Promise<string | undefined>;
}

export function registerWaveActions(core: SlackCore): WaveActions {
  const { services, poster, actions, reporter } = core;
  const startingPlans = new Set<string>();
  const approving = new Set<string>();
  const journal = () => services.journal();
  const tell = (channel: string, user: string, md: string, threadTs?: string) => poster.ephemeral(channel, user, noteReply(md), { threadTs });

  async function startRun(o: { hash: string; user: string; channel: string; onStarted?: (waveId: string) => Promise<void> }): Promise<string | undefined> {
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
          result = await core.dispatchAs(o.user, 'run', ['--plan', plan.hash, '--yes']);
        } catch (e) {
          result = { exitCode: 1, text: `failed: ${(e as Error).message}`, json: null };
        } finally {
          services.events.off('event', onEvent);
          startingPlans.delete(plan.hash);
        }
        // The wave's parent message and thread show how it went; only a refusal is told, to the one who asked.
        if (result.exitCode === 1 || result.exitCode === 2) await poster.ephemeral(o.channel, o.user, problemReply(`run --plan ${o.hash.slice(0, 12)}`, result.text));
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
    return (await (await journal()).listApprovals(hash)).some((a) => a.action === action && a.approver !== requester && Date.parse(a.expiresAt) > now);
  }

  /** Posts an approval request (once per plan hash and action while it is pending) and journals it. */
  async function requestApproval(o: { planHash: string; action: string; env: EnvName; target: string; requester: string; channel: string; threadTs?: string; then: FollowUp; detail: string }): Promise<string | undefined> {
    const j = await journal();
    const id = approvalRequestId(o.planHash, o.action);
    const raw = await j.getSetting(approvalKey(id));
    const prior = raw ? (JSON.parse(raw) as ApprovalRequest) : undefined;
    if (prior?.state === 'pending' && Date.parse(prior.expiresAt) > Date.now()) return `an approval of ${o.action} was already requested by ${mention(prior.requester)} (see the thread)`;
    const now = new Date();
    const expiresAt = new Date(now.getTime() + services.envConfig(o.env).approval.expiryMinutes * 60_000).toISOString();
    const msg = approvalRequestMessage({ requestId: id, env: o.env, target: o.target, planHash: o.planHash, action: o.action, requester: o.requester, approvers: approversOf(o.env), expiresAt, detail: o.detail });
    const posted = await poster.post(o.channel, msg, { threadTs: o.threadTs });
    const req: ApprovalRequest = { id, planHash: o.planHash, action: o.action, env: o.env, target: o.target, requester: o.requester, channel: posted.channel, ts: posted.ts, threadTs: o.threadTs, then: o.then, requestedAt: now.toISOString(), expiresAt, state: 'pending' };
    await j.setSetting(approvalKey(id), JSON.stringify(req));
    await j.audit({ actor: o.requester, action: 'approval-requested', subject: o.planHash, detail: { action: o.action, requestId: id, expiresAt } });
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
    const refused = await requestApproval({ planHash: plan.hash, action: 'run', env, target: plan.target, requester: click.user, channel: click.channel, threadTs: click.messageTs, then: { kind: 'run' }, detail: preview.text });
    if (refused) return tell(click.channel, click.user, refused);
    await core.settle(click, `approval requested by ${mention(click.user)}: see the thread`);
  });

  actions.set(APPROVAL_ACTION.approve, async (click) => {
    const j = await journal();
    const raw = await j.getSetting(approvalKey(click.value));
    const reject = async (reason: string, outcome: string) => {
      await j.audit({ actor: click.user, action: 'approve-click', subject: click.value, detail: { outcome, reason } });
      await tell(click.channel, click.user, `:no_entry: not approved: ${reason}`, undefined);
    };
    if (!raw) return reject('this approval request is unknown (request it again)', 'unknown');
    const req = JSON.parse(raw) as ApprovalRequest;
    if (req.state === 'approved') return tell(click.channel, click.user, `already approved by ${mention(req.approvedBy ?? '?')} at ${req.approvedAt ?? '?'}`);
    if (approving.has(req.id)) return tell(click.channel, click.user, 'this approval is being recorded right now');
    if (Date.parse(req.expiresAt) <= Date.now()) return reject(`the request expired at ${req.expiresAt}; request a new approval`, 'expired');
    if (click.user === req.requester) return reject('you requested this approval; someone else on call has to approve it', 'requester');
    if (await j.getSetting(cancelledKey(req.planHash))) return reject(`plan ${inlineCode(req.planHash.slice(0, 12))} was cancelled`, 'cancelled');
    const why = await core.refusal('approve', [req.planHash], click.user, [req.env]);
    if (why) return reject(why, 'not-an-approver');
    approving.add(req.id);
    try {
      const res = await core.dispatchAs(click.user, 'approve', [req.planHash, '--action', req.action]);
      if (res.exitCode !== 0) return await reject(res.text, 'refused');
      const at = new Date().toISOString();
      const done: ApprovalRequest = { ...req, state: 'approved', approvedBy: click.user, approvedAt: at };
      await j.setSetting(approvalKey(req.id), JSON.stringify(done));
      await j.audit({ actor: click.user, action: 'approve-click', subject: req.id, detail: { outcome: 'approved', planHash: req.planHash, action: req.action } });
      await core.settle(click, `:white_check_mark: approved by ${mention(click.user)} at ${at}`);
      await poster.post(req.channel, noteReply(`:white_check_mark: ${req.action} of plan ${inlineCode(req.planHash.slice(0, 12))} approved by ${mention(click.user)} at ${at}; it runs as ${mention(req.requester)}`), { threadTs: req.threadTs ?? req.ts });
    } finally {
      approving.delete(req.id);
    }
    if (req.then.kind === 'run') {
      const refused = await startRun({ hash: req.planHash, user: req.requester, channel: req.channel });
      if (refused) await poster.post(req.channel, noteReply(`could not start: ${refused}`), { threadTs: req.threadTs ?? req.ts });
    } else core.track(renameTask(req.then.taskId, req.requester));
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
        if (res.exitCode === 1 || res.exitCode === 2) await poster.ephemeral(click.channel, click.user, problemReply(`${kind} ${waveId}`, res.text));
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
    const action = renameAction(t.runtimeId);
    if (await hasValidApproval(wave.planHash, action, click.user)) return core.track(renameTask(t.taskId, click.user));
    const refused = await requestApproval({
      planHash: wave.planHash,
      action,
      env,
      target: wave.target,
      requester: click.user,
      channel: where?.channel ?? click.channel,
      threadTs: where?.ts,
      then: { kind: 'task-rename', taskId: t.taskId },
      detail: `rename-to-default on ${t.runtimeId} (${t.shootName}, task ${t.taskId}): the configuration of the customer's Istio CR moves into default, the other Istio CRs are removed.\nIstio CRs: ${t.istioCrs.map((c) => `${c.name}=${c.state ?? '?'}`).join(', ')}`,
    });
    if (refused) await tell(click.channel, click.user, refused);
  };
  actions.set(TASK_ACTION.agreed, decision('agreed'));
  actions.set(TASK_ACTION.declined, decision('declined'));
  actions.set(TASK_ACTION.resolved, decision('resolved'));

  return { startRun };
}
