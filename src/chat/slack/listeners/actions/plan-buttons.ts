/**
 * The buttons of a plan message: Run (Stage, Dev), Request approval (Prod) and Cancel. Each re-reads the plan from
 * the journal and asks the dispatcher whether the clicker may run it before doing work of its own.
 */
import type { EnvName } from '../../../../config/config.js';
import { inlineCode, mention } from '../../../message.js';
import { ACTION, planRanText, problemReply, refusalReply } from '../../../replies.js';
import { waveOfPlan } from '../../../../rollout/plan-runs.js';
import type { SlackApprovals } from '../../approvals.js';
import type { ButtonHandler, SlackContext } from '../../context.js';
import type { StartWave } from '../../wave-starts.js';
import type { StoredPlan } from '../../../../journal/journal.js';

export function planButtons(actions: Map<string, ButtonHandler>, ctx: SlackContext, startWave: StartWave, approvals: SlackApprovals): void {
  const { services, poster } = ctx;

  // Cancel is the `cancel` command (a journal record: the plan does not run until it is planned again).
  actions.set(ACTION.cancel, async (click) => {
    const res = await ctx.dispatchAs(click.user, 'cancel', [click.value]);
    if (res.exitCode !== 0) return poster.ephemeral(click.channel, click.user, res.denied ? refusalReply('cancel', res.denied) : problemReply(`cancel ${click.value.slice(0, 12)}`, res.text));
    await ctx.settle(click, `cancelled by ${mention(click.user)}`);
  });

  actions.set(ACTION.run, async (click) => {
    const hash = click.value || click.actionId.slice(ACTION.run.length);
    const plan = await (await services.journal()).getPlan(hash);
    if (!plan) return ctx.tell(click.channel, click.user, `no stored plan ${inlineCode(hash.slice(0, 12))}: plan again (e.g. ${inlineCode('/istio-migrate stage kyma-test')})`);
    const why = await ctx.refusal('run', [], click.user, [plan.env as EnvName]);
    if (why) return ctx.tell(click.channel, click.user, why);
    const refused = await startWave({ hash: plan.hash, user: click.user, channel: click.channel, onStarted: (waveId) => ctx.settle(click, `run by ${mention(click.user)} as wave ${inlineCode(waveId)}`) });
    if (refused) await ctx.tell(click.channel, click.user, refused);
  });

  // Plans whose approval request is being prepared (the preview takes seconds): a second click meanwhile would ping
  // on-call twice. Per process; the journal's open request refuses a later one (approvals.ts).
  const requesting = new Set<string>();
  actions.set(ACTION.requestApproval, async (click) => {
    const j = await services.journal();
    const plan = await j.getPlan(click.value);
    if (!plan) return ctx.tell(click.channel, click.user, `no stored plan ${inlineCode(click.value.slice(0, 12))}: plan again (e.g. ${inlineCode('/istio-migrate prod kyma-test')})`);
    if (requesting.has(plan.hash)) return ctx.tell(click.channel, click.user, `the approval request of plan ${inlineCode(plan.hash.slice(0, 12))} is being prepared (a click a moment ago): it appears in the thread`);
    requesting.add(plan.hash);
    try {
      await requestApproval(click, plan);
    } finally {
      requesting.delete(plan.hash);
    }
  });

  async function requestApproval(click: Parameters<ButtonHandler>[0], plan: StoredPlan): Promise<void> {
    const j = await services.journal();
    const cancelled = await j.planCancellation(plan.hash);
    if (cancelled) return ctx.tell(click.channel, click.user, `plan ${inlineCode(plan.hash.slice(0, 12))} was cancelled by ${mention(cancelled.cancelledBy)} at ${cancelled.cancelledAt}: it is not for approval until someone who may cancel it plans it again`);
    const env = plan.env as EnvName;
    const why = await ctx.refusal('run', [], click.user, [env]);
    if (why) return ctx.tell(click.channel, click.user, why);
    const ran = await waveOfPlan(j, plan);
    if (ran) return ctx.tell(click.channel, click.user, planRanText(plan.hash, ran));
    // The approver sees what the wave will do: the plan again with `--preview` (read-only predictions per runtime).
    const input = (plan.document as { input?: { specs?: string[]; excludes?: string[]; sample?: string; concurrency?: string } }).input ?? {};
    const argv = [env, ...(input.specs ?? [plan.target]), ...(input.excludes ?? []).flatMap((e) => ['--exclude', e]), ...(input.sample ? ['--sample', input.sample] : []), ...(input.concurrency ? ['--concurrency', input.concurrency] : []), '--preview'];
    const preview = await ctx.dispatchAs(click.user, 'plan', argv);
    if (preview.exitCode !== 0) return poster.ephemeral(click.channel, click.user, problemReply(`plan ${argv.join(' ')}`, preview.text));
    const now = (preview.json as { hash?: string }).hash;
    if (now !== plan.hash) {
      return ctx.tell(click.channel, click.user, `the landscape changed since plan ${inlineCode(plan.hash.slice(0, 12))}: it is now ${inlineCode(String(now).slice(0, 12))}. Plan again and request the approval of the new plan.`);
    }
    const r = await approvals.request({ planHash: plan.hash, action: 'run', env, target: plan.target, requester: click.user, channel: click.channel, threadTs: click.messageTs, then: { kind: 'run' }, subject: { kind: 'plan' }, detail: preview.text });
    if ('refused' in r) return ctx.tell(click.channel, click.user, r.refused);
    await ctx.settle(click, `approval requested by ${mention(click.user)}: see the thread`);
  }
}
