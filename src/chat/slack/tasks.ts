/**
 * Customer-contact tasks in Slack: the task's message (posted by the reporter, re-rendered on every change) is its
 * thread; the rename-to-default runs as the `task <id> rename --yes` command, its progress and result in that thread.
 */
import { inlineCode, mention, type ChatMessage } from '../message.js';
import { commandReply, noteReply } from '../replies.js';
import type { ButtonClick, SlackContext } from './context.js';
import { readRef, taskRefKey } from './message-store.js';
import type { PostedMessage } from './poster.js';

export interface SlackTasks {
  /** The task's message (its thread), else the clicked message, else nothing. */
  thread(taskId: string, click?: ButtonClick): Promise<PostedMessage | undefined>;
  /** Posts into a thread, when there is one. */
  say(where: PostedMessage | undefined, msg: ChatMessage): Promise<void>;
  /** `task <id> rename --yes` as `user`, its result in the task's thread. */
  rename(taskId: string, user: string): Promise<void>;
}

export function slackTasks(ctx: SlackContext): SlackTasks {
  const say = async (where: PostedMessage | undefined, msg: ChatMessage) => {
    if (where) await ctx.poster.post(where.channel, msg, { threadTs: where.ts });
  };
  const thread = async (taskId: string, click?: ButtonClick) => (await readRef(await ctx.services.journal(), taskRefKey(taskId))) ?? (click ? { channel: click.channel, ts: click.messageTs } : undefined);
  return {
    thread,
    say,
    async rename(taskId, user) {
      const where = await thread(taskId);
      await say(where, noteReply(`:hammer_and_wrench: renaming to default for ${inlineCode(taskId)}, as ${mention(user)}…`));
      await ctx.reporter.renderTask(taskId);
      const res = await ctx.dispatchAs(user, 'task', [taskId, 'rename', '--yes']);
      await say(where, commandReply(`task ${taskId} rename`, user, res.text));
      await ctx.reporter.renderTask(taskId);
    },
  };
}
