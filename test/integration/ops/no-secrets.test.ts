/**
 * Logs never carry secrets: the real bot (Socket Mode, debug logging) runs a full flow — a slash command plans,
 * the Run button runs a Dev wave with failing runtimes — and its stdout and stderr are searched for the bot token,
 * the app token, the signing secret, every cluster bearer token of the simulator and the KEB tokens. The logs are
 * pino JSON lines, with `waveId` and `runtimeId` on the child loggers' lines.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import YAML from 'yaml';
import { FakeSlack, buttonPayload, postSigned, slashPayload, type Json } from '../../helpers/fake-slack.js';
import { itWith, requirePostgres, TEST_PG_URL } from '../../helpers/needs.js';
import { startTestSim, type TestSim } from '../../helpers/sim.js';
import { APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, sleep, start, writeConfig } from './bot-process.js';

/** The second test needs PostgreSQL (test/helpers/needs.ts): it fails under CI=true without one, skips visibly elsewhere. */
const pgNeed = await requirePostgres();

/** Every `token:` of every kubeconfig the simulator wrote, and the KEB tokens. */
function simSecrets(out: string): string[] {
  const secrets = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else for (const m of readFileSync(p, 'utf8').matchAll(/token:\s*"?([^"\s]+)"?/g)) secrets.add(m[1]);
    }
  };
  walk(path.join(out, 'kubeconfigs'));
  for (const f of readdirSync(path.join(out, 'tokens'))) secrets.add(readFileSync(path.join(out, 'tokens', f), 'utf8').trim());
  return [...secrets].filter((s) => s.length >= 8);
}

describe('src/observability/logger.ts + src/chat/slack/bot-command.ts — no secret in the logs of a full run', () => {
  let sim: TestSim;
  let fake: FakeSlack;
  let dir: string | undefined;
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
    fake = await FakeSlack.start({ limits: { 'chat.postMessage': null, 'chat.update': null, 'chat.postEphemeral': null } });
  });
  afterAll(async () => {
    await fake?.close();
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('plan + Run + failing runtimes: none of the tokens or secrets appear; logs are JSON with waveId/runtimeId', async () => {
    const cfg = writeConfig(sim, (c) => {
      c.environments.dev.budgets = { wave: 100 };
      c.environments.dev.limits = { concurrency: 16 };
    });
    dir = cfg.dir;
    const secrets = simSecrets(sim.out);
    expect(secrets.length).toBeGreaterThan(50);
    const bot = start(['bot', '--config', cfg.configFile], {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_APP_TOKEN: APP_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      HEALTH_PORT: '0',
      LOG_LEVEL: 'debug',
    });
    try {
      await bot.waitForLog((l) => l.msg === 'connected to Slack (Socket Mode)');
      await fake.connected();

      await fake.push('slash_commands', slashPayload('dev all', { user: 'U1' }));
      let plan: Json;
      for (let i = 0; i < 100 && !plan; i++) {
        plan = fake.callsTo('chat.postMessage').find((c) => /^Plan /.test(String(c.body.text)));
        if (!plan) await sleep(100);
      }
      expect(plan).toBeDefined();
      const posted = { channel: plan.body.channel as string, ts: '', text: plan.body.text as string, blocks: plan.body.blocks as Json[] };
      posted.ts = [...fake.messages.values()].find((m) => m.text === posted.text)?.ts ?? '';
      const runId = posted.blocks.find((b: Json) => b.type === 'actions').elements[0].action_id as string;
      await fake.push('interactive', buttonPayload(posted, runId, 'U2'));

      const ended = await bot.waitForLog((l) => l.msg === 'wave ended', 60_000);
      expect(ended.state).toBe('finished');
    } finally {
      bot.child.kill('SIGTERM');
    }
    expect((await bot.exited).code).toBe(0);

    const all = `${bot.stdout()}\n${bot.stderr()}`;
    const leaked = [BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, ...secrets].filter((s) => all.includes(s));
    expect(leaked).toEqual([]);

    const lines = bot.stderr().split('\n').filter((l) => l.trim());
    const notJson = lines.filter((l) => {
      try {
        return typeof JSON.parse(l) !== 'object';
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    const logs = bot.logs();
    const runtimeLines = logs.filter((l) => typeof l.waveId === 'string' && typeof l.runtimeId === 'string');
    expect(runtimeLines.length).toBeGreaterThan(5);
    // A failing runtime is logged on its child logger, with its outcome.
    expect(runtimeLines.some((l) => l.msg === 'runtime needs attention' && l.outcome !== 'migrated')).toBe(true);
  }, 90_000);

  /**
   * The HTTP receiver (no app token: SLACK_SIGNING_SECRET verifies every request, so a logged request header or
   * receiver setting would show it) and the PostgreSQL journal, its URL carrying a password (the local server
   * trusts the connection and ignores it): neither the signing secret nor the password reaches the logs.
   */
  itWith(pgNeed, 'HTTP receiver with signed requests and a PostgreSQL journal URL with a password: none of them appear', async () => {
    const PG_PASSWORD = 's3cr3t-pw-4d91';
    const base = new URL(TEST_PG_URL);
    base.password = PG_PASSWORD;
    const pgUrl = base.toString();
    const schema = `nosecrets_${process.pid}_${randomBytes(3).toString('hex')}`;
    const cfg = writeConfig(sim, (c) => {
      c.environments.dev.budgets = { wave: 100 };
      c.environments.dev.limits = { concurrency: 16 };
    });
    const parsed = YAML.parse(readFileSync(cfg.configFile, 'utf8')) as { journal: unknown };
    parsed.journal = { postgres: { urlEnv: 'ISTIO_MIGRATE_JOURNAL_URL', schema } };
    writeFileSync(cfg.configFile, YAML.stringify(parsed));
    const secrets = simSecrets(sim.out);
    const bot = start(['bot', '--config', cfg.configFile], {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      ISTIO_MIGRATE_JOURNAL_URL: pgUrl,
      PORT: '0',
      HEALTH_PORT: '0',
      LOG_LEVEL: 'debug',
    });
    try {
      const listening = await bot.waitForLog((l) => l.msg === 'listening for Slack on /slack/events');
      const events = `http://127.0.0.1:${listening.port as number}/slack/events`;
      const before = fake.callsTo('chat.postMessage').length;
      // A wrongly signed request is refused (and logged) without the secret in the log.
      expect((await postSigned(events, slashPayload('dev all', { user: 'U1' }), 'not-the-secret')).status).toBe(401);
      expect((await postSigned(events, slashPayload('dev all', { user: 'U1' }), SIGNING_SECRET)).status).toBe(200);
      let plan: Json;
      for (let i = 0; i < 100 && !plan; i++) {
        plan = fake.callsTo('chat.postMessage').slice(before).find((c) => /^Plan /.test(String(c.body.text)));
        if (!plan) await sleep(100);
      }
      expect(plan).toBeDefined();
      const posted = { channel: plan.body.channel as string, ts: '', text: plan.body.text as string, blocks: plan.body.blocks as Json[] };
      posted.ts = [...fake.messages.values()].find((m) => m.text === posted.text)?.ts ?? '';
      const runId = posted.blocks.find((b: Json) => b.type === 'actions').elements[0].action_id as string;
      expect((await postSigned(events, { payload: JSON.stringify(buttonPayload(posted, runId, 'U2')) }, SIGNING_SECRET)).status).toBe(200);
      const ended = await bot.waitForLog((l) => l.msg === 'wave ended', 60_000);
      expect(ended.state).toBe('finished');
    } finally {
      bot.child.kill('SIGTERM');
      const client = new pg.Client({ connectionString: pgUrl });
      await client.connect().then(() => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)).catch(() => undefined);
      await client.end().catch(() => undefined);
      rmSync(cfg.dir, { recursive: true, force: true });
    }
    expect((await bot.exited).code).toBe(0);
    const all = `${bot.stdout()}\n${bot.stderr()}`;
    const leaked = [BOT_TOKEN, SIGNING_SECRET, PG_PASSWORD, ...secrets].filter((s) => all.includes(s));
    expect(leaked).toEqual([]);
    expect(bot.logs().filter((l) => typeof l.waveId === 'string' && typeof l.runtimeId === 'string').length).toBeGreaterThan(5);
  }, 90_000);
});
