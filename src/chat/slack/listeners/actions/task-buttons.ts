/**
 * A customer-contact task's Customer agreed / Declined / Resolved: the `task <id> <verb>` command as the clicker,
 * the task's message re-rendered and the decision noted in its thread. Customer agreed runs the rename-to-default
 * (`task <id> rename`), in Prod only with an on-call approval of it: without one, the same request a refused
 * `task <id> rename` makes is posted in the task's thread.
 */
import type { EnvName } from '../../../../config/config.js';
import { hasValidApproval, renameApprovalNeed } from '../../../../rollout/approvals.js';
import { followUpOf } from '../../../approval-request.js';
import { inlineCode, mention } from '../../../message.js';
import { noteReply, problemReply } from '../../../replies.js';
import { TASK_ACTION } from '../../../wave-message.js';
import type { SlackApprovals } from '../../approvals.js';
import type { ButtonClick, ButtonHandler, SlackContext } from '../../context.js';
import type { SlackTasks } from '../../tasks.js';

export function taskButtons(actions: Map<string, ButtonHandler>, ctx: SlackContext, tasks: SlackTasks, approvals: SlackApprovals): void {
  const { services, poster } = ctx;
  const decision = (verb: 'agreed' | 'declined' | 'resolved') => async (click: ButtonClick) => {
    const j = await services.journal();
    const t = await j.getTask(click.value);
    if (!t) return ctx.tell(click.channel, click.user, `no task ${inlineCode(click.value)}`);
    const env = t.env as EnvName;
    const why = await ctx.refusal('task', [t.taskId, verb], click.user, [env]);
    if (why) return ctx.tell(click.channel, click.user, why);
    // Agreed again after a failed rename: the state stays, the rename is tried again.
    if (!(verb === 'agreed' && t.state === 'agreed')) {
      const res = await ctx.dispatchAs(click.user, 'task', [t.taskId, verb]);
      if (res.exitCode !== 0) return poster.ephemeral(click.channel, click.user, problemReply(`task ${t.taskId} ${verb}`, res.text));
    }
    await ctx.reporter.renderTask(t.taskId);
    const where = await tasks.thread(t.taskId, click);
    await tasks.say(where, noteReply(`customer ${verb === 'agreed' ? 'agreed' : verb === 'declined' ? 'declined' : 'task resolved'} — recorded by ${mention(click.user)} at ${new Date().toISOString()}`));
    if (verb !== 'agreed') return;
    if (!services.approvalRequired(env)) return ctx.track(tasks.rename(t.taskId, click.user));
    const wave = t.waveId ? await j.getWave(t.waveId) : undefined;
    if (!wave) return ctx.tell(click.channel, click.user, `${t.taskId} belongs to no wave, so there is no plan hash to approve`);
    const need = renameApprovalNeed(t, wave.planHash, click.user);
    if (await hasValidApproval(j, env, wave.planHash, click.user, need.action)) return ctx.track(tasks.rename(t.taskId, click.user));
    const r = await approvals.request({ planHash: need.planHash, action: need.action, env, target: wave.target, requester: click.user, channel: where?.channel ?? click.channel, threadTs: where?.ts, then: followUpOf(need), subject: need.subject, detail: need.detail });
    if ('refused' in r) await ctx.tell(click.channel, click.user, r.refused);
  };
  actions.set(TASK_ACTION.agreed, decision('agreed'));
  actions.set(TASK_ACTION.declined, decision('declined'));
  actions.set(TASK_ACTION.resolved, decision('resolved'));
}
