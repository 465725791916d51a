/**
 * `istio-migrate bot [--config F | --simulated]`: the Slack bot (DESIGN.md §3, C6). It refuses to start (exit 2,
 * with the reason on stderr) without a configured landscape — `--config`, or ISTIO_MIGRATE_CONFIG — unless
 * `--simulated` asks for the embedded simulated one, without SLACK_BOT_TOKEN, or in HTTP mode without
 * SLACK_SIGNING_SECRET. SIGTERM/SIGINT stop it and exit 0. Logs go to stderr and never carry tokens or secrets.
 */
import type { Command } from 'commander';
import type { Services } from '../../app/services.js';
import type { ChatLogger } from './app.js';
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

/** Runs the bot until `stopped` resolves; returns the exit code. */
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
  let services: Services;
  try {
    services = flags.simulated
      ? await Services.create({ env: {}, notice: (l) => write(l) })
      : await Services.create({ configFile: flags.config ?? env.ISTIO_MIGRATE_CONFIG, env });
  } catch (e) {
    if (e instanceof ConfigError) {
      write(e.message);
      return 2;
    }
    throw e;
  }
  const { createLogger } = await import('../../observability/logger.js');
  const secrets = [env.SLACK_BOT_TOKEN, env.SLACK_APP_TOKEN, env.SLACK_SIGNING_SECRET].filter((v): v is string => !!v);
  const logger: ChatLogger = createLogger({ extraSecrets: secrets }).child({ name: 'istio-migrate-bot' });
  try {
    let bot;
    try {
      bot = await createSlackApp({ services, env, logger });
    } catch (e) {
      if (e instanceof SlackSettingsError) {
        for (const p of e.problems) write(`istio-migrate bot: ${p}`);
        return 2;
      }
      throw e;
    }
    const started = await bot.start();
    logger.info({ mode: started.mode, port: started.port, healthPort: started.healthPort, landscape: services.configSource }, started.mode === 'socket' ? 'connected to Slack (Socket Mode)' : 'listening for Slack on /slack/events');
    await stopped;
    logger.info({}, 'stopping');
    await bot.stop();
    return 0;
  } finally {
    await services.close();
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
      '\nEnvironment: SLACK_BOT_TOKEN (required), SLACK_APP_TOKEN (Socket Mode), SLACK_SIGNING_SECRET (HTTP mode), SLACK_API_URL, PORT (3000), HEALTH_PORT (8080).\nExit codes: 0 stopped by SIGTERM/SIGINT, 2 configuration missing or invalid.',
    )
    .action(async (flags: BotFlags) => {
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGTERM', () => resolve());
        process.once('SIGINT', () => resolve());
      });
      const code = await runBot(flags, process.env, stopped, (l) => process.stderr.write(`${l}\n`));
      setExit(code);
      // Sockets and timers of the landscape may linger; the bot is done.
      if (code === 0) process.exit(0);
    });
}
