/**
 * The Slack app (STYLE.md §2: adapters only move messages): `createSlackApp` connects to Slack (transport.ts),
 * builds what the listeners share (context.ts: the budgeted poster, commands dispatched as a Slack user, the wave
 * reporter) and registers the listeners by kind (listeners/: the slash command, the `im:` buttons). Who may run
 * what is the command dispatcher's decision; nothing here decides anything about clusters.
 *
 * Health (C6): `/healthz`, `/readyz` and `/metrics` on HEALTH_PORT (a server of its own, started by `start()`) and,
 * in HTTP mode, on PORT too. Readiness is the caller's checks plus `slack` (transport.ts `isConnected`).
 *
 * The live wave messages are the `WaveReporter`'s (wave-reporter.ts). Extension points: `SlackBot.poster`
 * (budgeted Web API), `SlackBot.actions` (more `im:` button handlers by prefix), `SlackBot.track` (background work
 * that `idle()` waits for), `SlackBot.reattach(waveIds)` (waves this process resumed) and the journal's references
 * to the messages posted for plans, waves and tasks (message-store.ts).
 */
import type { webApi } from '@slack/bolt';
import type { Services } from '../../app/services.js';
import { startHealthServer, type ReadinessCheck } from '../../observability/health.js';
import { Metrics } from '../../observability/metrics.js';
import { wavePages } from '../../wave-page/wave-pages.js';
import type { ApprovalClickResult } from '../../rollout/approval-requests.js';
import { GroupMembersCache } from '../permissions.js';
import { createSlackContext, slackCommands, type ButtonClick, type ButtonHandler } from './context.js';
import { registerListeners } from './listeners/index.js';
import { silentLogger, type ChatLogger } from './logger.js';
import { SlackPoster, type Budget, type PosterMethod } from './poster.js';
import { readSlackSettings, type SlackSettings } from './settings.js';
import { connectSlack, SlackSettingsError, type BoltApp } from './transport.js';
import { WaveReporter, type WaveReporterOptions } from './wave-reporter.js';

export { SlackSettingsError, silentLogger, type ButtonClick, type ButtonHandler, type ChatLogger };

/** The slash command this app answers (its name in the Slack app manifest). */
export const SLASH_COMMAND = '/istio-migrate';

/** Who the reporter's own read-only commands (verify, export) run as. */
const BOT_USER = 'istio-migrate-bot';

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
  const metrics = opts.metrics ?? new Metrics();
  const transport = await connectSlack(settings, { services, log, metrics, readiness: opts.readiness, clientOptions: opts.clientOptions });
  const app = transport.app;

  const poster = new SlackPoster(app.client, { budgets: opts.budgets, logger: log, onCall: opts.onSlackCall });
  const groups = new GroupMembersCache(async (usergroup) => (await app.client.usergroups.users.list({ usergroup })).users ?? [], opts.groupCacheMs);
  const commands = slackCommands(services, groups);
  // Wave pages under /waves/ on HEALTH_PORT (src/wave-page): signed links in the live messages when configured.
  const pages = await wavePages(services);
  const reporter = new WaveReporter({ services, poster, log, dispatch: (name, argv) => commands.dispatchAs(BOT_USER, name, argv), pageLink: pages.waveLink, ...opts.reporter });
  const ctx = createSlackContext({ services, poster, reporter, log, onApproval: opts.onApproval, commands });
  const actions = registerListeners(app, ctx, opts.command ?? SLASH_COMMAND);

  let health: { port: number; close(): Promise<void> } | undefined;
  return {
    app,
    mode: settings.mode,
    metrics,
    isConnected: () => transport.isConnected(),
    poster,
    actions,
    track: (work) => ctx.track(work),
    reporter,
    reattach: (waveIds) => reporter.reattach(waveIds),
    async idle() {
      for (;;) {
        await ctx.idle();
        await reporter.idle();
        if (!ctx.busy()) return;
      }
    },
    async start() {
      // Health first: /healthz answers (and /readyz says `slack: false`) while Slack is being connected.
      health = await startHealthServer(settings.healthPort, metrics, transport.checks, pages.handle);
      try {
        await reporter.start();
        const { port } = await transport.start();
        return { mode: settings.mode, ...(port !== undefined ? { port } : {}), healthPort: health.port };
      } catch (e) {
        await health.close();
        health = undefined;
        throw e;
      }
    },
    async stop() {
      await reporter.stop();
      await transport.stop();
      await health?.close();
      health = undefined;
    },
  };
}
