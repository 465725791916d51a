/**
 * The Bolt listeners, by kind (the bolt-js samples' `listeners/<kind>/`): the slash command (commands/) and the
 * `im:` buttons (actions/). The app has no modals (views) and subscribes to no Events API events. Both kinds share
 * the wave starts, the approval requests and the task renames built here.
 */
import type { App } from '@slack/bolt';
import { slackApprovals } from '../approvals.js';
import type { ButtonHandler, SlackContext } from '../context.js';
import { slackTasks } from '../tasks.js';
import { waveStarter } from '../wave-starts.js';
import { registerActions } from './actions/index.js';
import { registerSlashCommand } from './commands/slash-command.js';

/** Registers every listener; returns the button handlers by action-id prefix (`SlackBot.actions`). */
export function registerListeners(app: App, ctx: SlackContext, command: string): Map<string, ButtonHandler> {
  const startWave = waveStarter(ctx);
  const tasks = slackTasks(ctx);
  const approvals = slackApprovals(ctx, startWave, tasks);
  registerSlashCommand(app, command, ctx, approvals);
  return registerActions(app, ctx, { startWave, approvals, tasks });
}
