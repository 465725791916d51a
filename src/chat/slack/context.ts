/**
 * What every Slack listener works with, built once by app.ts: the services, the budgeted poster, the wave reporter,
 * background work after an ack (`track`), and commands dispatched as a Slack user. Who may run what is the command
 * dispatcher's decision (commands/permissions.ts); `refusal` asks it (the registry's `askAhead`) before a button
 * does work of its own (an approval request, a run in the background). Argument errors are left to `dispatch`.
 */
import type { types } from '@slack/bolt';
import { askAhead, dispatch, type CommandContext, type CommandResult } from '../../../commands/index.js';
import type { Services } from '../../app/services.js';
import type { EnvName } from '../../config/config.js';
import type { ApprovalClickResult } from '../../rollout/approval-requests.js';
import type { ChatMessage } from '../message.js';
import { noteReply } from '../replies.js';
import type { GroupMembersCache } from '../permissions.js';
import { slackErrorCode, type ChatLogger } from './logger.js';
import type { PostedMessage, SlackPoster } from './poster.js';
import type { WaveReporter } from './wave-reporter.js';

/** The click on an `im:` button, platform data already taken apart. */
export interface ButtonClick {
  user: string;
  channel: string;
  /** The message carrying the button (a bot message: blocks as posted). */
  messageTs: string;
  message: { text: string; blocks: types.KnownBlock[] };
  actionId: string;
  value: string;
}

export type ButtonHandler = (click: ButtonClick) => Promise<void>;

/** Commands as a Slack user: the approver group answered from Slack's user groups. */
export interface SlackCommands {
  dispatchAs(user: string, name: string, argv: string[]): Promise<CommandResult>;
  /** Why `user` may not run `command` (in `envs`, when the line does not name them), or undefined. */
  refusal(command: string, argv: string[], user: string, envs?: EnvName[]): Promise<string | undefined>;
}

export function slackCommands(services: Services, groups: GroupMembersCache): SlackCommands {
  const ctxFor = (user: string): CommandContext => ({
    user,
    via: 'slack',
    interactive: false,
    services,
    isInApproverGroup: async (u, group) => (await groups.members(group)).has(u),
  });
  return {
    dispatchAs: (user, name, argv) => dispatch(ctxFor(user), name, argv),
    async refusal(command, argv, user, envs) {
      const asked = await askAhead(ctxFor(user), command, argv, envs);
      return asked.kind === 'denied' ? asked.reason : undefined;
    },
  };
}

export interface SlackContext extends SlackCommands {
  services: Services;
  poster: SlackPoster;
  reporter: WaveReporter;
  log: ChatLogger;
  /** Runs work after an ack; errors are logged. `idle()` waits for it. */
  track(work: Promise<void>): void;
  /** Resolves when no tracked work is left (work tracked meanwhile included). */
  idle(): Promise<void>;
  /** Whether tracked work is still running. */
  busy(): boolean;
  /** A note only `user` sees. */
  tell(channel: string, user: string, markdown: string, threadTs?: string): Promise<void>;
  /**
   * Posts a reply to a user's command to the channel; where the bot is not a member, tells the caller instead (and
   * returns undefined). Replies wait behind the bot's own posts for the channel's budget (poster.ts `later`).
   */
  share(channel: string, user: string, msg: ChatMessage, threadTs?: string): Promise<PostedMessage | undefined>;
  /** The clicked message without its buttons and with a note (after Cancel, an approval, or once its wave started). */
  settle(click: ButtonClick, note: string): Promise<void>;
  /** The environment's channel, where configured. */
  envChannel(env: string | undefined): string | undefined;
  /** Every Approve click and what it came to (metrics: `istio_migrate_approval_events_total`). */
  onApproval?: (env: string, result: ApprovalClickResult) => void;
}

export function createSlackContext(o: Pick<SlackContext, 'services' | 'poster' | 'reporter' | 'log' | 'onApproval'> & { commands: SlackCommands }): SlackContext {
  const { services, poster, log } = o;
  const pending = new Set<Promise<void>>();
  return {
    ...o.commands,
    services,
    poster,
    reporter: o.reporter,
    log,
    onApproval: o.onApproval,
    track(work) {
      const p = work.catch((e: unknown) => log.error({ err: (e as Error).message }, 'slack handler failed'));
      pending.add(p);
      void p.finally(() => pending.delete(p));
    },
    async idle() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    busy: () => pending.size > 0,
    tell: (channel, user, markdown, threadTs) => poster.ephemeral(channel, user, noteReply(markdown), { threadTs }),
    async share(channel, user, msg, threadTs) {
      try {
        return await poster.post(channel, msg, { threadTs, later: true });
      } catch (e) {
        const code = slackErrorCode(e);
        if (code !== 'not_in_channel' && code !== 'channel_not_found') throw e;
        await poster.ephemeral(channel, user, { ...msg, blocks: [...msg.blocks, { type: 'context', elements: ['(only you see this: invite the bot to share results here)'] }] });
        return undefined;
      }
    },
    settle: (click, note) =>
      poster.updateBlockKit(click.channel, click.messageTs, { text: click.message.text, blocks: [...click.message.blocks.filter((b) => b.type !== 'actions'), { type: 'context', elements: [{ type: 'mrkdwn', text: note }] }] }),
    envChannel: (env) => (env ? services.config.chat?.channels[env as EnvName] : undefined),
  };
}
