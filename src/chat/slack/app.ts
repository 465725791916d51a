/**
 * The Slack app: Bolt wiring only (STYLE.md §2). It acks every slash command and button at once, turns the
 * payload into a command line, checks who may run it, dispatches it through the command registry, and renders
 * the result: problems ephemerally to the caller, results to the channel. It decides nothing about clusters.
 *
 * Transport (C6): Socket Mode when SLACK_APP_TOKEN is set, else the HTTP receiver on PORT at `/slack/events`
 * (Bolt checks the request signature and its age; request-guard.ts refuses timestamps ahead and replays). SLACK_API_URL points the Web API — and Socket Mode's
 * `apps.connections.open`, which Bolt passes through `installerOptions.clientOptions` — at another base URL.
 *
 * Health (C6): `/healthz`, `/readyz` and `/metrics` on HEALTH_PORT (a server of its own, started by `start()`)
 * and, in HTTP mode, on PORT too (Bolt `customRoutes`). Readiness is the caller's checks plus `slack`:
 * `isConnected()` — HTTP mode: the receiver listens (auth.test passed at init); Socket Mode: the WebSocket is open
 * and Slack said hello (the receiver's client's `connected` / `disconnected` / `reconnecting` events).
 *
 * The live wave messages are the `WaveReporter`'s (wave-reporter.ts); the wave, approval and task buttons are
 * registered by wave-actions.ts. Extension points: `SlackBot.poster` (budgeted Web API), `SlackBot.actions` (more
 * `im:` button handlers by prefix), `SlackBot.track` (background work that `idle()` waits for),
 * `SlackBot.reattach(waveIds)` (waves this process resumed) and the journal settings `slack:plan:<hash>`,
 * `slack:wave:<waveId>`, `slack:task:<taskId>` holding `{channel, ts}` of the messages posted for them.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import bolt from '@slack/bolt';
import type { BlockAction, ButtonAction, Logger, SlashCommand, types, webApi } from '@slack/bolt';
import { dispatch, findCommand } from '../../../commands/index.js';
import type { CommandContext, CommandResult, CommandSpec } from '../../../commands/types.js';
import type { Services } from '../../app/services.js';
import type { EnvName } from '../../config/config.js';
import { healthRoutes, startHealthServer, type ReadinessCheck } from '../../observability/health.js';
import { wavePages } from '../../wave-page/wave-pages.js';
import { Metrics } from '../../observability/metrics.js';
import type { ApprovalClickResult } from '../approval-request.js';
import { parseCommandLine } from '../command-line.js';
import { codeBlock, inlineCode, mention, type ChatMessage } from '../message.js';
import { GroupMembersCache } from '../permissions.js';
import { authorize, envsNamedIn } from '../../../commands/permissions.js';
import { ACTION, commandReply, helpReply, noteReply, planMessage, problemReply, refusalReply } from '../replies.js';
import { SlackPoster, type Budget, type PosterMethod } from './poster.js';
import { readSlackSettings, type SlackSettings } from './settings.js';
import { guardSlackRequests } from './request-guard.js';
import { registerWaveActions } from './wave-actions.js';
import { WaveReporter, waveRefKey, type WaveReporterOptions } from './wave-reporter.js';

const { App, HTTPReceiver, LogLevel, SocketModeReceiver } = bolt;
type BoltApp = InstanceType<typeof App>;

/** The slash command this app answers (its name in the Slack app manifest). */
export const SLASH_COMMAND = '/istio-migrate';

/** pino-compatible: a metadata object, then a fixed message (STYLE.md §13). */
export interface ChatLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: ChatLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export interface SlackAppOptions {
  services: Services;
  /** process.env or a test's own; read for C6 variables only. */
  env: Record<string, string | undefined>;
  logger?: ChatLogger;
  /** Merged into the Web API client options (tests: `{ retryConfig: { retries: 0 } }`). */
  clientOptions?: Partial<webApi.WebClientOptions>;
  /** Web API budgets of the poster (tests make them small or large). */
  budgets?: Partial<Record<PosterMethod, Budget>>;
  /** How long user-group members are cached (default 5 minutes). */
  groupCacheMs?: number;
  /** Pacing of the live wave messages (tests make it fast; default: config `chat`, 1 post/s per channel). */
  reporter?: Pick<WaveReporterOptions, 'updatesPerMinute' | 'digestIntervalMs' | 'watchIntervalMs' | 'tickMs'>;
  command?: string;
  /** Every Web API call the poster makes, and whether it was answered 429 (metrics). */
  onSlackCall?: (method: PosterMethod, rateLimited: boolean) => void;
  /** Every Approve click and what it came to (metrics: `istio_migrate_approval_events_total{env,result}`). */
  onApproval?: (env: string, result: ApprovalClickResult) => void;
  /** The registry `/metrics` serves (default: one of its own, process metrics only). */
  metrics?: Metrics;
  /** Readiness checks besides the app's own `slack` (`/readyz`: config loaded, journal reachable, ...). */
  readiness?: readonly ReadinessCheck[];
}

export class SlackSettingsError extends Error {
  readonly code = 'config';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

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

export interface StartedBot {
  mode: SlackSettings['mode'];
  /** The HTTP receiver's port (HTTP mode; it serves the health paths too). */
  port?: number;
  /** Where `/healthz`, `/readyz` and `/metrics` are served (HEALTH_PORT, or the free port picked for 0). */
  healthPort: number;
}

export interface SlackBot {
  app: BoltApp;
  mode: SlackSettings['mode'];
  poster: SlackPoster;
  /** Button handlers by action-id prefix (longest match wins); add more here. */
  actions: Map<string, ButtonHandler>;
  /** Starts the health server on HEALTH_PORT, then the receiver (Socket Mode: resolves once connected). */
  start(): Promise<StartedBot>;
  /** Stops the wave messages, Slack (waiting for the WebSocket to close) and the health server. */
  stop(): Promise<void>;
  /** Whether Slack is connected (the `slack` readiness check); false once `stop()` began. */
  isConnected(): boolean;
  /** The registry `/metrics` serves. */
  metrics: Metrics;
  /** Runs work after an ack; errors are logged. `idle()` waits for it. */
  track(work: Promise<void>): void;
  /** Resolves when no acknowledged command or click is still being worked on and the wave messages are current. */
  idle(): Promise<void>;
  /** The live wave messages (parent, digests, tasks, final summaries). */
  reporter: WaveReporter;
  /**
   * Waves this process resumed (e.g. interrupted waves resumed at bot start): their parent messages are rendered
   * again and followed. Waves still run by a live process are re-attached by `start()` itself.
   */
  reattach(waveIds: readonly string[]): Promise<void>;
}

/** Commands that run a wave here until it ends; the wave's parent message reports them. */
const WAVE_COMMANDS = new Set(['run', 'resume', 'retry-failed']);

const TOKEN = /xox[a-z]-[A-Za-z0-9-]+/g;

/** Bolt's logger interface onto ours, with anything token-shaped redacted. */
function boltLogger(log: ChatLogger): Logger {
  let level = LogLevel.INFO;
  const text = (m: unknown[]) => m.map((x) => (x instanceof Error ? x.message : typeof x === 'string' ? x : JSON.stringify(x))).join(' ').replace(TOKEN, 'xox?-[redacted]');
  return {
    debug: (...m: unknown[]) => log.debug({ source: 'bolt' }, text(m)),
    info: (...m: unknown[]) => log.info({ source: 'bolt' }, text(m)),
    warn: (...m: unknown[]) => log.warn({ source: 'bolt' }, text(m)),
    error: (...m: unknown[]) => log.error({ source: 'bolt' }, text(m)),
    setLevel: (l: typeof level) => (level = l),
    getLevel: () => level,
    setName: () => undefined,
  };
}

function slackErrorCode(e: unknown): string | undefined {
  return (e as { data?: { error?: string } }).data?.error ?? (e as { code?: string }).code;
}

function isPlanDocument(j: unknown): j is { hash: string; env: string; target: string; title?: string; runtimes: unknown[] } {
  const d = j as { hash?: unknown; env?: unknown; target?: unknown; runtimes?: unknown };
  return !!d && typeof d.hash === 'string' && typeof d.env === 'string' && typeof d.target === 'string' && Array.isArray(d.runtimes);
}

/**
 * Builds the app and checks the bot token (`auth.test`, awaited here so a bad token fails the start with a clear
 * error instead of an unhandled rejection later). Throws SlackSettingsError when the C6 variables are incomplete.
 */
export async function createSlackApp(opts: SlackAppOptions): Promise<SlackBot> {
  const read = readSlackSettings(opts.env);
  if (!read.ok) throw new SlackSettingsError(read.problems);
  const settings = read.settings;
  const services = opts.services;
  const log = opts.logger ?? silentLogger;
  const clientOptions: webApi.WebClientOptions = {
    retryConfig: { retries: 5, factor: 2, minTimeout: 500, maxTimeout: 30_000 },
    ...opts.clientOptions,
    ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}),
    rejectRateLimitedCalls: true,
  };
  const common = {
    token: settings.botToken,
    logger: boltLogger(log),
    logLevel: LogLevel.INFO,
    // Socket Mode's client mutates the options it gets; give it a copy.
    clientOptions: { ...clientOptions },
    deferInitialization: true,
  };
  // Socket Mode: the receiver is built here so that stop() can wait for the WebSocket to close and readiness can
  // follow the connection. Its Web API client (apps.connections.open) takes `installerOptions.clientOptions` —
  // that is where SLACK_API_URL goes.
  const socketReceiver =
    settings.mode === 'socket'
      ? new SocketModeReceiver({ appToken: settings.appToken!, logger: common.logger, logLevel: LogLevel.INFO, installerOptions: { clientOptions: { ...clientOptions } } })
      : undefined;

  // Health (C6). `connected`: HTTP mode — the receiver listens; Socket Mode — Slack said hello on the WebSocket
  // and no disconnect or reconnect followed. After the server closes the socket the client waits before it
  // reconnects (and says nothing until then), so the socket's own state is asked too.
  let connected = false;
  let stopping = false;
  const isConnected = () => connected && !stopping && (!socketReceiver || socketReceiver.client.websocket?.isActive() === true);
  if (socketReceiver) {
    const client = socketReceiver.client;
    client.on('connected', () => (connected = true));
    client.on('disconnected', () => (connected = false));
    client.on('reconnecting', () => (connected = false));
  }
  const metrics = opts.metrics ?? new Metrics();
  const checks: ReadinessCheck[] = [...(opts.readiness ?? []), { name: 'slack', check: () => Promise.resolve(isConnected()) }];

  // HTTP mode: Bolt's receiver, built here so that its request listener can be wrapped by the guard against replays and
  // future timestamps (request-guard.ts); Bolt still checks every signature and its age itself.
  const endpoints = ['/slack/events'];
  const httpReceiver = socketReceiver
    ? undefined
    : new HTTPReceiver({ signingSecret: settings.signingSecret!, endpoints, port: settings.port, customRoutes: healthRoutes(metrics, checks), logger: common.logger, logLevel: LogLevel.INFO });
  if (httpReceiver) {
    httpReceiver.requestListener = guardSlackRequests(httpReceiver.requestListener, {
      signingSecret: settings.signingSecret!,
      endpoints,
      seenOnce: async (key, ttlMs) => (await services.journal()).rememberOnce(key, ttlMs),
      log,
    });
  }
  const app: BoltApp = socketReceiver ? new App({ ...common, socketMode: true, receiver: socketReceiver }) : new App({ ...common, receiver: httpReceiver });
  try {
    await app.init(); // auth.test, once
  } catch (e) {
    throw new SlackSettingsError([`the bot token was not accepted by auth.test: ${slackErrorCode(e) ?? (e as Error).message}`]);
  }

  const poster = new SlackPoster(app.client, { budgets: opts.budgets, logger: log, onCall: opts.onSlackCall });
  const groups = new GroupMembersCache(async (usergroup) => (await app.client.usergroups.users.list({ usergroup })).users ?? [], opts.groupCacheMs);
  const pending = new Set<Promise<void>>();
  const actions = new Map<string, ButtonHandler>();

  const track = (work: Promise<void>) => {
    const p = work.catch((e: unknown) => log.error({ err: (e as Error).message }, 'slack handler failed'));
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const ctxFor = (user: string): CommandContext => ({
    user,
    via: 'slack',
    interactive: false,
    services,
    isInApproverGroup: async (u, group) => (await groups.members(group)).has(u),
  });

  /** Who the reporter's own read-only commands (verify, export) run as. */
  const BOT_USER = 'istio-migrate-bot';
  // Wave pages under /waves/ on HEALTH_PORT (src/wave-page): signed links in the live messages when configured.
  const pages = await wavePages(services);
  const reporter = new WaveReporter({ services, poster, log, dispatch: (name, argv) => dispatch(ctxFor(BOT_USER), name, argv), pageLink: pages.waveLink, ...opts.reporter });
  const envChannel = (env: string | undefined): string | undefined => (env ? services.config.chat?.channels[env as EnvName] : undefined);

  async function planEnv(hash: string): Promise<EnvName | undefined> {
    const plan = await (await services.journal()).getPlan(hash);
    return plan?.env as EnvName | undefined;
  }

  /** The environment a command line acts on: named first, or the plan hash's (`run --plan H`). */
  async function envOfLine(argv: string[]): Promise<EnvName | undefined> {
    const named = envsNamedIn(argv.filter((a) => !a.startsWith('-')).slice(0, 1), services.envs());
    if (named?.length === 1) return named[0];
    const i = argv.indexOf('--plan');
    return i >= 0 && argv[i + 1] ? planEnv(argv[i + 1]) : undefined;
  }

  /**
   * Why `user` may not run this command (or undefined): the dispatcher's own decision (commands/permissions.ts),
   * asked before a button does work of its own (an approval request, a run in the background). Argument errors are
   * left to `dispatch` to explain.
   */
  async function refusal(spec: CommandSpec, argv: string[], user: string, knownEnvs?: EnvName[]): Promise<string | undefined> {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: spec.options, allowPositionals: true, strict: true });
    } catch {
      return undefined;
    }
    const args = { positionals: parsed.positionals, values: parsed.values as Record<string, string | boolean | string[] | undefined> };
    return authorize(ctxFor(user), spec, args, knownEnvs);
  }

  /** Posts to the channel; where the bot is not a member, tells the caller instead. */
  async function share(channel: string, user: string, msg: ChatMessage, threadTs?: string) {
    try {
      return await poster.post(channel, msg, { threadTs });
    } catch (e) {
      const code = slackErrorCode(e);
      if (code !== 'not_in_channel' && code !== 'channel_not_found') throw e;
      await poster.ephemeral(channel, user, { ...msg, blocks: [...msg.blocks, { type: 'context', elements: ['(only you see this: invite the bot to share results here)'] }] });
      return undefined;
    }
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
      const help = await dispatch(ctxFor(user), 'help', argv);
      if (help.exitCode !== 0) return tell(problemReply(shown, help.text));
      return tell(argv.length ? noteReply(codeBlock(help.text)) : helpReply(help.text));
    }
    if (WAVE_COMMANDS.has(line.name)) reporter.expectWave(user, envChannel(await envOfLine(line.argv)) ?? channel);
    let result: CommandResult;
    try {
      result = await dispatch(ctxFor(user), line.name, line.argv);
    } catch (e) {
      log.error({ user, command: line.name, err: (e as Error).message }, 'command failed');
      return tell(problemReply(shown, `failed: ${(e as Error).message}`));
    }
    // Refused by the dispatcher for want of a permission: told to the caller only.
    if (result.denied) return tell(refusalReply(shown, result.denied));
    // Refused for want of an on-call approval (Prod): the request goes to on-call, the requester is told.
    if (result.approvalNeeded) return waveActions.askApproval(result.approvalNeeded, { user, channel, commandLine: shown, problem: result.text });
    if (result.exitCode === 1 || result.exitCode === 2) return tell(problemReply(shown, result.text));
    const json = line.argv.includes('--json');
    if (line.name === 'plan' && !json && isPlanDocument(result.json)) {
      const doc = result.json;
      const msg = planMessage({ hash: doc.hash, env: doc.env, target: doc.title ?? doc.target, runtimes: doc.runtimes.length }, result.text, user, services.approvalRequired(doc.env as EnvName));
      // The environment's channel, where configured: plans, waves and their threads of one environment in one place.
      const target = envChannel(doc.env) ?? channel;
      const posted = await share(target, user, msg);
      if (posted) await (await services.journal()).setSetting(`slack:plan:${doc.hash}`, JSON.stringify(posted));
      if (posted && target !== channel) await tell(noteReply(`plan ${inlineCode(doc.hash.slice(0, 12))} posted in <#${target}>`));
      return;
    }
    // A wave this command ran or resumed has its parent message and thread: they tell how it went.
    const waveId = (result.json as { waveId?: unknown } | null)?.waveId;
    if (WAVE_COMMANDS.has(line.name) && !json && typeof waveId === 'string' && (await (await services.journal()).getSetting(waveRefKey(waveId)))) return;
    await share(channel, user, commandReply(shown, user, json ? JSON.stringify(result.json, null, 2) : result.text));
  }

  /** The plan message without its buttons and with a note (after Cancel, or once its wave started). */
  const settled = (click: ButtonClick, note: string) => poster.updateBlockKit(click.channel, click.messageTs, { text: click.message.text, blocks: [...click.message.blocks.filter((b) => b.type !== 'actions'), { type: 'context', elements: [{ type: 'mrkdwn', text: note }] }] });

  // Cancel is the `cancel` command (a journal record: the plan does not run until it is planned again).
  actions.set(ACTION.cancel, async (click) => {
    const res = await dispatch(ctxFor(click.user), 'cancel', [click.value]);
    if (res.exitCode !== 0) return poster.ephemeral(click.channel, click.user, res.denied ? refusalReply('cancel', res.denied) : problemReply(`cancel ${click.value.slice(0, 12)}`, res.text));
    await settled(click, `cancelled by ${mention(click.user)}`);
  });

  const waveActions = registerWaveActions({
    services,
    poster,
    reporter,
    actions,
    log,
    track,
    dispatchAs: (user, name, argv) => dispatch(ctxFor(user), name, argv),
    refusal: (command, argv, user, envs) => refusal(findCommand(command)!, argv, user, envs),
    settle: settled,
    onApproval: opts.onApproval,
  });

  const handlerFor = (actionId: string): ButtonHandler | undefined => {
    const prefix = [...actions.keys()].filter((p) => actionId === p || actionId.startsWith(p.endsWith(':') ? p : `${p}:`)).sort((a, b) => b.length - a.length)[0];
    return prefix ? actions.get(prefix) : undefined;
  };

  app.command(opts.command ?? SLASH_COMMAND, async ({ command, ack }) => {
    await ack();
    track(onSlashCommand(command));
  });

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
    log.info({ user: click.user, action: click.actionId }, 'button');
    const handler = handlerFor(click.actionId);
    track(handler ? handler(click) : poster.ephemeral(click.channel, click.user, noteReply(`this button (${inlineCode(click.actionId)}) is not supported by this version of the bot`)));
  });

  let health: { port: number; close(): Promise<void> } | undefined;
  return {
    app,
    mode: settings.mode,
    metrics,
    isConnected,
    poster,
    actions,
    track,
    reporter,
    reattach: (waveIds) => reporter.reattach(waveIds),
    async idle() {
      for (;;) {
        while (pending.size) await Promise.allSettled([...pending]);
        await reporter.idle();
        if (!pending.size) return;
      }
    },
    async start() {
      // Health first: /healthz answers (and /readyz says `slack: false`) while Slack is being connected.
      health = await startHealthServer(settings.healthPort, metrics, checks, pages.handle);
      try {
        await reporter.start();
        if (settings.mode === 'socket') {
          await app.start();
          return { mode: settings.mode, healthPort: health.port };
        }
        const server = (await app.start(settings.port)) as http.Server;
        connected = true;
        return { mode: settings.mode, port: (server.address() as AddressInfo).port, healthPort: health.port };
      } catch (e) {
        await health.close();
        health = undefined;
        throw e;
      }
    },
    async stop() {
      stopping = true;
      await reporter.stop();
      // Bolt's SocketModeReceiver.stop() does not wait for the close handshake; the client's disconnect() does.
      if (socketReceiver) await socketReceiver.client.disconnect();
      else await app.stop().catch((e: unknown) => log.warn({ err: (e as Error).message }, 'stopping the receiver'));
      connected = false;
      await health?.close();
      health = undefined;
    },
  };
}
