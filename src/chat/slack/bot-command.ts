/**
 * `istio-migrate bot [--config F | --simulated]`: the Slack bot (DESIGN.md §3, C6). It refuses to start (exit 2,
 * with the reason on stderr) without a configured landscape — `--config`, or ISTIO_MIGRATE_CONFIG — unless
 * `--simulated` asks for the embedded simulated one, without SLACK_BOT_TOKEN, or in HTTP mode without
 * SLACK_SIGNING_SECRET. Logs (pino JSON) go to stderr and never carry tokens or secrets; child loggers carry
 * `{ waveId }` and `{ waveId, runtimeId }`.
 *
 * Production (C6): `/healthz` (alive), `/readyz` (config loaded, journal reachable, Slack connected) and `/metrics`
 * on HEALTH_PORT, and in HTTP mode on PORT too — served by the Slack app (app.ts) with this file's metrics and
 * readiness checks. At start — and every 30 s — it resumes the waves whose runner is gone (`interrupted`).
 * SIGTERM/SIGINT: stop taking work, stop running waves gracefully (checkpoints kept, state
 * `interrupted`, lease released), stop Slack, exit 0 within SHUTDOWN_TIMEOUT_MS (default 25 s).
 */
import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { Services } from '../../app/services.js';
import type { Leadership as LeadershipType } from '../../app/leadership.js';
import type { ReadinessCheck } from '../../observability/health.js';
import type { WaveEvent, WaveEvents } from '../../rollout/wave-runner.js';
import type { SlackBot } from './app.js';
import { readSlackSettings } from './settings.js';

export interface BotFlags {
  config?: string;
  simulated?: boolean;
}

const USAGE = 'istio-migrate bot --config config.yaml   (or ISTIO_MIGRATE_CONFIG=config.yaml; or istio-migrate bot --simulated to try it on the simulated landscape)';

/** The reasons the bot must not start, before anything is opened (exit 2). */
export function botStartProblems(flags: BotFlags, env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const configFile = flags.config ?? env.ISTIO_MIGRATE_CONFIG;
  if (flags.config && flags.simulated) problems.push('give either --config or --simulated, not both');
  else if (!configFile && !flags.simulated) problems.push(`no landscape configured: the bot acts on real clusters only with a configuration. ${USAGE}`);
  const settings = readSlackSettings(env);
  if (!settings.ok) problems.push(...settings.problems);
  return problems;
}

/** How long SIGTERM may take before the process leaves anyway (within the pod's terminationGracePeriodSeconds). */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 25_000;
/** How often the bot looks for interrupted waves to resume (a crashed runner's lease lapses after its TTL). */
export const RESUME_SCAN_MS = 30_000;
/** The leader lease (docs/ha.md): a dead leader's waves continue on another replica within about this long. */
export const LEADER_TTL_MS = 15_000;

type Log = Logger;

/** Child loggers per wave and runtime (`{ waveId }`, `{ waveId, runtimeId }`), fed by the wave event stream. */
function logWaveEvents(events: WaveEvents, log: Log): void {
  const waves = new Map<string, Log>();
  const waveLog = (waveId: string) => {
    let l = waves.get(waveId);
    if (!l) waves.set(waveId, (l = log.child({ waveId })));
    return l;
  };
  events.on('event', (e: WaveEvent) => {
    const wl = waveLog(e.waveId);
    switch (e.type) {
      case 'wave-started':
        wl.info({ resumed: e.start !== 'new', start: e.start }, 'wave started');
        break;
      case 'runtime-started':
        wl.child({ runtimeId: e.runtimeId }).debug({}, 'runtime started');
        break;
      case 'runtime-finished': {
        const r = e.result;
        const rl = wl.child({ runtimeId: e.runtimeId });
        const meta = { outcome: r.outcome, reason: r.reason, class: r.class, durationMs: r.durationMs, requests: r.requests.total };
        if (r.class === 'none') rl.info(meta, 'runtime finished');
        else rl.warn({ ...meta, message: r.message }, 'runtime needs attention');
        break;
      }
      case 'budget-stopped':
        wl.warn({ failures: e.failures, budget: e.budget, scope: e.scope }, e.scope === 'global' ? 'global error budget spent' : 'error budget spent');
        break;
      case 'state':
        wl.info({ state: e.state }, 'wave state');
        break;
      case 'wave-finished':
        wl.info({ state: e.state }, 'wave ended');
        waves.delete(e.waveId);
        break;
    }
  });
}

/** Resolves true when `work` settles within `ms`, false otherwise. */
async function within(ms: number, work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true as const, () => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs the bot until `stopped` resolves; returns the exit code. On stop (SIGTERM): readiness fails, no new work is
 * taken (Slack disconnected, no more resume scans), running waves stop gracefully (in-flight runtimes keep their
 * checkpoints, the waves become `interrupted`, their leases are released) — all within SHUTDOWN_TIMEOUT_MS —
 * and the next process resumes them at its start.
 */
export async function runBot(flags: BotFlags, env: Record<string, string | undefined>, stopped: Promise<void>, write: (line: string) => void): Promise<number> {
  const problems = botStartProblems(flags, env);
  if (problems.length) {
    for (const p of problems) write(`istio-migrate bot: ${p}`);
    return 2;
  }
  // Loaded here, so that `--help` and usage errors answer without loading Bolt and the landscape.
  const { Services } = await import('../../app/services.js');
  const { ConfigError } = await import('../../config/load-config.js');
  const { createSlackApp, SlackSettingsError } = await import('./app.js');
  const { createLogger } = await import('../../observability/logger.js');
  const secrets = [env.SLACK_BOT_TOKEN, env.SLACK_APP_TOKEN, env.SLACK_SIGNING_SECRET].filter((v): v is string => !!v);
  const logger = createLogger({ extraSecrets: secrets }).child({ name: 'istio-migrate-bot' });
  // The bot is a long-running writer (plans, waves, approvals from Slack): it may start a journal where none exists —
  // a first deployment — and logs where, so that a mistyped path or schema is visible at once (docs/operating.md).
  const journal = {
    journalUse: 'create',
    onJournalCreated: (where: string) => logger.warn({ journal: where }, 'created a new, empty journal: if this bot has run waves before, its configured journal is wrong'),
  } as const;
  let services: Services;
  try {
    services = flags.simulated
      ? await Services.create({ env: {}, notice: (l) => write(l), ...journal })
      : await Services.create({ configFile: flags.config ?? env.ISTIO_MIGRATE_CONFIG, env, ...journal });
  } catch (e) {
    if (e instanceof ConfigError) {
      write(e.message);
      return 2;
    }
    throw e;
  }
  const { Metrics } = await import('../../observability/metrics.js');
  const shutdownMs = Number(env.SHUTDOWN_TIMEOUT_MS) > 0 ? Number(env.SHUTDOWN_TIMEOUT_MS) : DEFAULT_SHUTDOWN_TIMEOUT_MS;
  const metrics = new Metrics();
  metrics.follow(services.events, (waveId) => waveId.split('-')[0]);
  // Waves by state and the queue come from the journal on each scrape; remote requests and errors from the clients.
  metrics.followJournal(() => services.journal());
  metrics.countRemoteCalls();
  logWaveEvents(services.events, logger);

  // The app adds `slack` (connected); on SIGTERM readiness fails at once.
  let stopping = false;
  const readiness: ReadinessCheck[] = [
    { name: 'config', check: () => Promise.resolve(!stopping) },
    { name: 'journal', check: async () => ((await (await services.journal()).ping()), true) },
  ];
  const { WaveResumer } = await import('../../app/wave-resumer.js');
  const resumer = WaveResumer.of(services, logger);
  let bot: SlackBot | undefined;
  /** Set while the app is started and not deliberately stopped (an error leaving early stops it in `finally`). */
  let toStop = false;
  let scan: NodeJS.Timeout | undefined;
  let leadership: LeadershipType | undefined;
  try {
    try {
      bot = await createSlackApp({
        services,
        env,
        logger,
        metrics,
        readiness,
        onApproval: (env, result) => metrics.approvals.inc({ env, result }),
        onSlackCall: (method, rateLimited) => {
          metrics.slackCalls.inc({ method });
          if (rateLimited) metrics.slackRateLimited.inc({ method });
        },
      });
    } catch (e) {
      if (e instanceof SlackSettingsError) {
        for (const p of e.problems) write(`istio-migrate bot: ${p}`);
        return 2;
      }
      // The wave pages' key is configured but missing or too short (src/wave-page/page-key.ts): a config error.
      if ((e as { code?: string }).code === 'page-key') {
        write(`istio-migrate bot: ${(e as Error).message}`);
        return 2;
      }
      throw e;
    }
    const slack = bot;
    // Health on HEALTH_PORT (and PORT in HTTP mode) comes up first, then Slack.
    toStop = true;
    const started = await slack.start();
    logger.info({ mode: started.mode, port: started.port, healthPort: started.healthPort, landscape: services.configSource }, started.mode === 'socket' ? 'connected to Slack (Socket Mode)' : 'listening for Slack on /slack/events');

    // Resumed waves get their live Slack message back (the reporter follows them again).
    const scanOnce = () =>
      resumer
        .scan()
        .then((ids) => (ids.length ? slack.reattach(ids) : undefined))
        .catch((e: unknown) => logger.error({ err: (e as Error).message }, 'looking for interrupted waves failed'));
    // Leader election (docs/ha.md): the leader runs the waves; on becoming it, it looks for waves to resume at once.
    const { Leadership } = await import('../../app/leadership.js');
    leadership = new Leadership(() => services.journal(), services.holder, Number(env.ISTIO_MIGRATE_LEADER_TTL_MS) || LEADER_TTL_MS, (leader) => {
      logger.info({ holder: leadership?.holder }, leader ? 'became the leader: this replica runs the waves' : 'no longer the leader: its waves continue on the leader');
      if (leader && !stopping) void scanOnce();
    });
    services.leadership = leadership;
    await leadership.start();
    await scanOnce();
    // At least every third of the leader TTL: a dead leader's waves are resumed within about one TTL.
    scan = setInterval(() => void scanOnce(), Number(env.ISTIO_MIGRATE_RESUME_SCAN_MS) || Math.min(RESUME_SCAN_MS, leadership.ttlMs / 3));
    scan.unref();

    await stopped;
    stopping = true;
    clearInterval(scan);
    logger.info({ waves: [...resumer.running.keys()], timeoutMs: shutdownMs }, 'stopping: no new work; running waves are checkpointed and left resumable');
    const deadline = Date.now() + shutdownMs;
    services.events.stopAll(new Error('the bot is stopping (SIGTERM)'));
    // The runners end first (interrupted, leases released), then the wave messages say so, then Slack goes.
    const drained = (async () => {
      await resumer.idle();
      await slack.idle();
    })();
    if (!(await within(Math.max(0, deadline - Date.now()), drained))) {
      logger.warn({ waves: [...resumer.running.keys()] }, 'shutdown timeout: leaving with work still stopping (its leases lapse; the next process resumes it)');
    }
    // The waves are interrupted and their leases released: another replica may lead (and resume them) at once.
    await within(2_000, leadership?.stop() ?? Promise.resolve());
    toStop = false;
    if (!(await within(Math.max(2_000, deadline - Date.now()), slack.stop()))) logger.warn({}, 'stopping Slack timed out');
    logger.info({}, 'stopped');
    return 0;
  } finally {
    clearInterval(scan);
    await within(2_000, leadership?.stop() ?? Promise.resolve());
    // Left early (an error): Slack and the health server go too.
    if (bot && toStop) await within(2_000, bot.stop());
    await within(2_000, services.close());
  }
}

/** Registers `bot`; `setExit` receives the exit code. */
export function registerBotCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('bot')
    .description('the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else the HTTP receiver on $PORT at /slack/events')
    .option('--config <file>', 'the landscape configuration (default: $ISTIO_MIGRATE_CONFIG)')
    .option('--simulated', 'use the embedded simulated landscape')
    .addHelpText(
      'after',
      '\nEnvironment: SLACK_BOT_TOKEN (required), SLACK_APP_TOKEN (Socket Mode), SLACK_SIGNING_SECRET (HTTP mode), SLACK_API_URL, PORT (3000), HEALTH_PORT (8080; /healthz /readyz /metrics), SHUTDOWN_TIMEOUT_MS (25000).\nExit codes: 0 stopped by SIGTERM/SIGINT, 2 configuration missing or invalid.',
    )
    .action(async (flags: BotFlags) => {
      const stopped = new Promise<void>((resolve) => {
        const onSignal = () => {
          // Whatever hangs, leave within the grace period (the runners' checkpoints are already durable).
          const limit = (Number(process.env.SHUTDOWN_TIMEOUT_MS) > 0 ? Number(process.env.SHUTDOWN_TIMEOUT_MS) : DEFAULT_SHUTDOWN_TIMEOUT_MS) + 3_000;
          setTimeout(() => process.exit(0), limit).unref();
          resolve();
        };
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
      const code = await runBot(flags, process.env, stopped, (l) => process.stderr.write(`${l}\n`));
      setExit(code);
      // Sockets and timers of the landscape may linger; the bot is done.
      if (code === 0) process.exit(0);
    });
}
