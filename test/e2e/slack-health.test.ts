/**
 * Health in production (C6), through createSlackApp against the fake Slack: `/healthz`, `/readyz` and `/metrics`
 * on HEALTH_PORT and — HTTP mode — on PORT too (Bolt customRoutes, next to `/slack/events`); `/readyz` names the
 * failing check with 503, and in Socket Mode follows the WebSocket: closed by Slack, not ready; reconnected, ready.
 * No timed assertions: conditions are polled, jest's timeout is the only limit.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Services } from '../../src/app/services.js';
import { createSlackApp, type SlackBot, type StartedBot } from '../../src/chat/slack/app.js';
import { Metrics } from '../../src/observability/metrics.js';
import { FakeSlack, postSigned, slashPayload } from '../helpers/fake-slack.js';
import { startTestSim, type TestSim } from '../helpers/sim.js';
import { APP_TOKEN, BOT_TOKEN, SECRET, writeBotConfig } from './harness.js';

interface Answer {
  status: number;
  type: string;
  text: string;
}

async function get(port: number, path: string): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** Polls `probe` until `ok` holds (no deadline of its own: the test's timeout is the limit). */
async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('src/chat/slack/app.ts + src/observability/health.ts — /healthz, /readyz, /metrics (C6)', () => {
  let sim: TestSim;
  let fake: FakeSlack;
  let configFile: string;
  /** What the current test started, stopped after it whatever happened. */
  let running: { bot: SlackBot; services: Services; release?: () => void } | undefined;

  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
    fake = await FakeSlack.start({ limits: { 'chat.postMessage': null } });
    configFile = writeBotConfig(sim);
  });
  afterEach(async () => {
    running?.release?.();
    await running?.bot.stop();
    await running?.services.close();
    running = undefined;
  });
  afterAll(async () => {
    await fake?.close();
    await sim?.close();
  });

  /** The app as the bot command builds it: its own metrics and a journal check of the caller's. */
  async function startApp(mode: 'http' | 'socket', journalOk: () => boolean = () => true): Promise<{ bot: SlackBot; started: StartedBot; metrics: Metrics }> {
    const services = await Services.create({ configFile, env: {}, journalUse: 'create' });
    const metrics = new Metrics();
    const env: Record<string, string> = { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: fake.apiUrl, PORT: '0', HEALTH_PORT: '0' };
    if (mode === 'http') env.SLACK_SIGNING_SECRET = SECRET;
    else env.SLACK_APP_TOKEN = APP_TOKEN;
    const bot = await createSlackApp({
      services,
      env,
      metrics,
      readiness: [{ name: 'journal', check: () => Promise.resolve(journalOk()) }],
      clientOptions: { retryConfig: { retries: 0 } },
      onSlackCall: (method) => metrics.slackCalls.inc({ method }),
    });
    running = { bot, services };
    const started = await bot.start();
    return { bot, started, metrics };
  }

  it('HTTP mode: all three paths answer on PORT and on HEALTH_PORT; /readyz names the failing check; /slack/events still works', async () => {
    let journalOk = true;
    const { bot, started } = await startApp('http', () => journalOk);
    expect(started.mode).toBe('http');
    expect(started.port).toEqual(expect.any(Number));
    expect(started.healthPort).not.toBe(started.port);
    expect(bot.isConnected()).toBe(true);

    // A Web API call through the poster, counted by the caller's metrics.
    const help = await postSigned(`http://127.0.0.1:${started.port}/slack/events`, slashPayload('help'), SECRET);
    expect(help.status).toBe(200);
    await bot.idle();
    expect(fake.callsTo('chat.postEphemeral').length).toBeGreaterThan(0);

    for (const port of [started.port!, started.healthPort]) {
      const healthz = await get(port, '/healthz');
      expect([healthz.status, healthz.text]).toEqual([200, 'ok\n']);

      const ready = await get(port, '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.type).toContain('application/json');
      expect(JSON.parse(ready.text)).toEqual({ ready: true, checks: { journal: true, slack: true } });

      const metrics = await get(port, '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.type).toContain('text/plain');
      expect(metrics.text).toMatch(/^istio_migrate_\w+(\{[^}]*\})? \S+$/m);
      expect(metrics.text).toContain('# TYPE istio_migrate_runtimes_in_flight gauge');
      expect(metrics.text).toMatch(/^istio_migrate_slack_api_calls_total\{method="chat\.postEphemeral"\} [1-9]/m);
    }

    journalOk = false;
    for (const port of [started.port!, started.healthPort]) {
      const ready = await get(port, '/readyz');
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.text)).toEqual({ ready: false, checks: { journal: false, slack: true } });
    }

    // Only the health paths are added: PORT's other paths are Bolt's, HEALTH_PORT has nothing else.
    expect((await get(started.healthPort, '/slack/events')).status).toBe(404);
    expect((await get(started.port!, '/nothing-here')).status).toBe(404);

    // stop() closes both listeners.
    await bot.stop();
    await running!.services.close();
    running = undefined;
    expect(bot.isConnected()).toBe(false);
    await expect(get(started.healthPort, '/healthz')).rejects.toThrow();
    await expect(get(started.port!, '/healthz')).rejects.toThrow();
  });

  it('honours HEALTH_PORT: a port in use fails the start instead of moving elsewhere', async () => {
    const { started } = await startApp('http');
    const services = await Services.create({ configFile, env: {}, journalUse: 'create' });
    try {
      const second = await createSlackApp({
        services,
        env: { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: fake.apiUrl, SLACK_SIGNING_SECRET: SECRET, PORT: '0', HEALTH_PORT: String(started.healthPort) },
        clientOptions: { retryConfig: { retries: 0 } },
      });
      await expect(second.start()).rejects.toThrow(/EADDRINUSE/);
      await second.stop();
    } finally {
      await services.close();
    }
  });

  it('Socket Mode: /readyz is 503 naming `slack` while the WebSocket Slack closed is down, and ready again once reconnected', async () => {
    const { bot, started } = await startApp('socket');
    expect(started.mode).toBe('socket');
    expect(started.port).toBeUndefined();
    await fake.connected();
    expect(bot.isConnected()).toBe(true);
    const ready = await get(started.healthPort, '/readyz');
    expect([ready.status, JSON.parse(ready.text)]).toEqual([200, { ready: true, checks: { journal: true, slack: true } }]);
    const opens = fake.callsTo('apps.connections.open').length;

    // Slack closes the socket; the bot cannot get a new one while apps.connections.open is held.
    const release = fake.holdConnections();
    running!.release = release;
    await fake.dropConnections();
    const down = await until(
      () => get(started.healthPort, '/readyz'),
      (a) => a.status !== 200,
    );
    expect(down.status).toBe(503);
    expect(JSON.parse(down.text)).toEqual({ ready: false, checks: { journal: true, slack: false } });
    expect(bot.isConnected()).toBe(false);
    // Alive all the same, and still serving metrics.
    expect((await get(started.healthPort, '/healthz')).status).toBe(200);
    expect((await get(started.healthPort, '/metrics')).text).toMatch(/^istio_migrate_\w+(\{[^}]*\})? \S+$/m);

    // Slack lets it reconnect: ready again.
    release();
    const up = await until(
      () => get(started.healthPort, '/readyz'),
      (a) => a.status === 200,
    );
    expect(JSON.parse(up.text)).toEqual({ ready: true, checks: { journal: true, slack: true } });
    expect(bot.isConnected()).toBe(true);
    expect(fake.connections).toBe(1);
    expect(fake.callsTo('apps.connections.open').length).toBe(opens + 1);
  });
});
