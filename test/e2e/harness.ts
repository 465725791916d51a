/**
 * Shared by the Slack end-to-end tests: a bot config for a test simulator (temp SQLite journal, chosen approval
 * rules), an in-process bot wired to the fake Slack, in HTTP or Socket Mode, and the three started and closed
 * together (`startSlackSetup` / `closeSlackSetup`).
 */
import { afterAll, beforeAll } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { Services } from '../../src/app/services.js';
import { createSlackApp, type SlackAppOptions, type SlackBot, type StartedBot } from '../../src/chat/slack/app.js';
import { FakeSlack, type FakeSlackOptions, type Json } from '../helpers/fake-slack.js';
import { startTestSim, type TestSim } from '../helpers/sim.js';

export const SECRET = 'test-signing-secret';
export const BOT_TOKEN = 'xoxb-test-bot-token';
export const APP_TOKEN = 'xapp-test-app-token';

export type ApprovalRules = Partial<{ approvers: string[]; approverGroup: string; operators: string[]; required: boolean }>;

/** The simulator's config with a journal of its own and the given approval rules per environment. */
export function writeBotConfig(sim: TestSim, approval: Partial<Record<'dev' | 'stage' | 'prod', ApprovalRules>> = {}, patch: (cfg: Record<string, Json>) => void = () => undefined): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slack-e2e-'));
  const cfg = YAML.parse(readFileSync(path.join(sim.out, 'config.yaml'), 'utf8')) as { environments: Record<string, Record<string, unknown>>; journal?: unknown };
  for (const [env, rules] of Object.entries(approval)) cfg.environments[env].approval = rules;
  cfg.journal = { sqlite: { file: path.join(dir, 'journal.db') } };
  patch(cfg as Record<string, Json>);
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, YAML.stringify(cfg));
  return file;
}

export interface TestBot {
  bot: SlackBot;
  services: Services;
  started: StartedBot;
  /** The HTTP receiver's `/slack/events` (HTTP mode). */
  eventsUrl: string;
  close(): Promise<void>;
}

/** Starts the bot in this process against the fake Slack; Web API retries off so failures fail fast. */
export async function startBot(
  fake: FakeSlack,
  configFile: string,
  mode: 'http' | 'socket',
  extraEnv: Record<string, string> = {},
  reporter: SlackAppOptions['reporter'] = {},
  /** More app options (hooks such as `onApproval`). */
  more: Partial<Pick<SlackAppOptions, 'onApproval' | 'onSlackCall'>> = {},
): Promise<TestBot> {
  // As `istio-migrate bot` opens it (bot-command.ts): a long-running writer may start the journal.
  const services = await Services.create({ configFile, env: {}, journalUse: 'create' });
  const env: Record<string, string> = { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: fake.apiUrl.replace(/\/$/, ''), PORT: '0', HEALTH_PORT: '0', ...extraEnv };
  if (mode === 'http') env.SLACK_SIGNING_SECRET = SECRET;
  else env.SLACK_APP_TOKEN = APP_TOKEN;
  const bot = await createSlackApp({
    services,
    env,
    clientOptions: { retryConfig: { retries: 0 } },
    // Generous budgets: the tests measure behaviour, not pacing (the poster's own tests cover that).
    budgets: { 'chat.postMessage': { burst: 1000, perMinute: 60_000 }, 'chat.update': { burst: 1000, perMinute: 60_000 }, 'chat.postEphemeral': { burst: 1000, perMinute: 60_000 } },
    // Fast pacing of the live wave messages, same scheduler (a test may ask for the real 1 post/s per channel).
    reporter: { updatesPerMinute: 6000, digestIntervalMs: 50, tickMs: 10, ...reporter },
    ...more,
  });
  const started = await bot.start();
  return {
    bot,
    services,
    started,
    eventsUrl: `http://127.0.0.1:${started.port}/slack/events`,
    async close() {
      await bot.idle();
      await bot.stop();
      await services.close();
    },
  };
}

export interface SlackSetup {
  sim: TestSim;
  fake: FakeSlack;
  t: TestBot;
  configFile: string;
}

export interface SlackSetupOptions {
  mode?: 'http' | 'socket';
  /** The simulator (default: the `scenarios` profile at time scale 0.01). */
  sim?: Parameters<typeof startTestSim>[0];
  /** The fake Slack (default: no chat.postMessage budget). */
  fake?: FakeSlackOptions;
  approval?: Parameters<typeof writeBotConfig>[1];
  /** Changes to the bot config (channels, budgets, targets ...). */
  config?: Parameters<typeof writeBotConfig>[2];
  env?: Record<string, string>;
  reporter?: SlackAppOptions['reporter'];
  more?: Parameters<typeof startBot>[5];
}

/** The simulator, the fake Slack and the bot (HTTP by default), in that order; what started is closed when a later step fails. */
export async function startSlackSetup(o: SlackSetupOptions = {}): Promise<SlackSetup> {
  const sim = await startTestSim(o.sim ?? { profile: 'scenarios', timeScale: 0.01 });
  let fake: FakeSlack | undefined;
  try {
    fake = await FakeSlack.start(o.fake ?? { limits: { 'chat.postMessage': null } });
    const configFile = writeBotConfig(sim, o.approval, o.config);
    const t = await startBot(fake, configFile, o.mode ?? 'http', o.env, o.reporter, o.more);
    return { sim, fake, t, configFile };
  } catch (e) {
    await closeSlackSetup({ sim, fake });
    throw e;
  }
}

/** Closes the bot (once idle), the fake Slack and the simulator, whichever of them started. */
export async function closeSlackSetup(s: Partial<Omit<SlackSetup, 'configFile'>>): Promise<void> {
  await s.t?.close();
  await s.fake?.close();
  await s.sim?.close();
}

/** startSlackSetup before all tests of the calling describe and closeSlackSetup after: the object returned is filled in then. */
export function slackSetup(o: SlackSetupOptions = {}): SlackSetup {
  const s = {} as SlackSetup;
  beforeAll(async () => {
    Object.assign(s, await startSlackSetup(o));
  });
  afterAll(() => closeSlackSetup(s));
  return s;
}
