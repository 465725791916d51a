/**
 * `/istio-migrate …`: acked at once; after the ack the text becomes a command line, is dispatched as the caller
 * (the dispatcher decides who may run what) and the result rendered — problems and refusals ephemerally to the
 * caller, a plan (with its buttons) in the environment's channel, other results in the channel. A refusal for want
 * of an on-call approval asks on-call (approvals.ts); a wave this command ran is told by its parent message.
 */
import type { App, SlashCommand } from '@slack/bolt';
import { envsNamedIn, type CommandResult } from '../../../../../commands/index.js';
import type { EnvName } from '../../../../config/config.js';
import { parseCommandLine } from '../../../command-line.js';
import { codeBlock, inlineCode, type ChatMessage } from '../../../message.js';
import { commandReply, helpReply, isPlanDocument, noteReply, planMessage, problemReply, refusalReply } from '../../../replies.js';
import type { SlackApprovals } from '../../approvals.js';
import type { SlackContext } from '../../context.js';
import { hasRef, planRefKey, saveRef, waveRefKey } from '../../message-store.js';

/** Commands that run a wave here until it ends; the wave's parent message reports them. */
const WAVE_COMMANDS = new Set(['run', 'resume', 'retry-failed']);

export function registerSlashCommand(app: App, command: string, ctx: SlackContext, approvals: SlackApprovals): void {
  const { services, poster, log } = ctx;

  /** The environment a command line acts on: named first, or the plan hash's (`run --plan H`). */
  async function envOfLine(argv: string[]): Promise<EnvName | undefined> {
    const named = envsNamedIn(argv.filter((a) => !a.startsWith('-')).slice(0, 1), services.envs());
    if (named?.length === 1) return named[0];
    const i = argv.indexOf('--plan');
    if (!(i >= 0 && argv[i + 1])) return undefined;
    return (await (await services.journal()).getPlan(argv[i + 1]))?.env as EnvName | undefined;
  }

  async function onSlashCommand(cmd: SlashCommand): Promise<void> {
    const user = cmd.user_id;
    const channel = cmd.channel_id;
    const shown = cmd.text.trim();
    const tell = (msg: ChatMessage) => poster.ephemeral(channel, user, msg);
    const line = parseCommandLine(cmd.text);
    log.info({ user, channel, command: line.kind === 'command' ? line.name : line.kind }, 'slash command');
    if (line.kind === 'invalid') return tell(problemReply(shown, `${line.problem}\nexample: /istio-migrate ${line.example}`));
    if (line.kind === 'empty' || line.name === 'help') {
      const argv = line.kind === 'empty' ? [] : line.argv;
      const help = await ctx.dispatchAs(user, 'help', argv);
      if (help.exitCode !== 0) return tell(problemReply(shown, help.text));
      return tell(argv.length ? noteReply(codeBlock(help.text)) : helpReply(help.text));
    }
    if (WAVE_COMMANDS.has(line.name)) ctx.reporter.expectWave(user, ctx.envChannel(await envOfLine(line.argv)) ?? channel);
    let result: CommandResult;
    try {
      result = await ctx.dispatchAs(user, line.name, line.argv);
    } catch (e) {
      log.error({ user, command: line.name, err: (e as Error).message }, 'command failed');
      return tell(problemReply(shown, `failed: ${(e as Error).message}`));
    }
    // Refused by the dispatcher for want of a permission: told to the caller only.
    if (result.denied) return tell(refusalReply(shown, result.denied));
    // Refused for want of an on-call approval (Prod): the request goes to on-call, the requester is told.
    if (result.approvalNeeded) return approvals.ask(result.approvalNeeded, { user, channel, commandLine: shown, problem: result.text });
    if (result.exitCode === 1 || result.exitCode === 2) return tell(problemReply(shown, result.text));
    const json = line.argv.includes('--json');
    if (line.name === 'plan' && !json && isPlanDocument(result.json)) {
      const doc = result.json;
      const msg = planMessage({ hash: doc.hash, env: doc.env, target: doc.title ?? doc.target, runtimes: doc.runtimes.length }, result.text, user, services.approvalRequired(doc.env as EnvName));
      // The environment's channel, where configured: plans, waves and their threads of one environment in one place.
      const target = ctx.envChannel(doc.env) ?? channel;
      const posted = await ctx.share(target, user, msg);
      if (posted) await saveRef(await services.journal(), planRefKey(doc.hash), posted);
      if (posted && target !== channel) await tell(noteReply(`plan ${inlineCode(doc.hash.slice(0, 12))} posted in <#${target}>`));
      return;
    }
    // A wave this command ran or resumed has its parent message and thread: they tell how it went.
    const waveId = (result.json as { waveId?: unknown } | null)?.waveId;
    if (WAVE_COMMANDS.has(line.name) && !json && typeof waveId === 'string' && (await hasRef(await services.journal(), waveRefKey(waveId)))) return;
    await ctx.share(channel, user, commandReply(shown, user, json ? JSON.stringify(result.json, null, 2) : result.text));
  }

  app.command(command, async ({ command: cmd, ack }) => {
    await ack();
    ctx.track(onSlashCommand(cmd));
  });
}
