/**
 * Every `im:` button: acked at once, the payload taken apart into a `ButtonClick`, and handed (after the ack) to
 * the handler registered for the longest matching action-id prefix — plan, approval, wave and task buttons here,
 * more through `SlackBot.actions`.
 */
import type { App, BlockAction, ButtonAction, types } from '@slack/bolt';
import { inlineCode } from '../../../message.js';
import { noteReply } from '../../../replies.js';
import type { SlackApprovals } from '../../approvals.js';
import type { ButtonClick, ButtonHandler, SlackContext } from '../../context.js';
import type { SlackTasks } from '../../tasks.js';
import type { StartWave } from '../../wave-starts.js';
import { approvalButtons } from './approval-buttons.js';
import { planButtons } from './plan-buttons.js';
import { taskButtons } from './task-buttons.js';
import { waveButtons } from './wave-buttons.js';

export function registerActions(app: App, ctx: SlackContext, parts: { startWave: StartWave; approvals: SlackApprovals; tasks: SlackTasks }): Map<string, ButtonHandler> {
  const actions = new Map<string, ButtonHandler>();
  planButtons(actions, ctx, parts.startWave, parts.approvals);
  approvalButtons(actions, ctx, parts.approvals);
  waveButtons(actions, ctx, parts.approvals);
  taskButtons(actions, ctx, parts.tasks, parts.approvals);

  const handlerFor = (actionId: string): ButtonHandler | undefined => {
    const prefix = [...actions.keys()].filter((p) => actionId === p || actionId.startsWith(p.endsWith(':') ? p : `${p}:`)).sort((a, b) => b.length - a.length)[0];
    return prefix ? actions.get(prefix) : undefined;
  };

  app.action<BlockAction<ButtonAction>>(/^im:/, async ({ ack, body, action }) => {
    await ack();
    const click: ButtonClick = {
      user: body.user.id,
      channel: body.channel?.id ?? String((body.container as { channel_id?: string } | undefined)?.channel_id ?? ''),
      messageTs: body.message?.ts ?? String((body.container as { message_ts?: string } | undefined)?.message_ts ?? ''),
      message: { text: String((body.message as { text?: string } | undefined)?.text ?? ''), blocks: (body.message as { blocks?: types.KnownBlock[] } | undefined)?.blocks ?? [] },
      actionId: action.action_id,
      value: action.value ?? '',
    };
    ctx.log.info({ user: click.user, action: click.actionId }, 'button');
    const handler = handlerFor(click.actionId);
    ctx.track(handler ? handler(click) : ctx.poster.ephemeral(click.channel, click.user, noteReply(`this button (${inlineCode(click.actionId)}) is not supported by this version of the bot`)));
  });
  return actions;
}
