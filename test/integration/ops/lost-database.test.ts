/**
 * A lost database must not hang the runner (issue 14, finding 7). PostgreSQL is reached through a TCP proxy that
 * the test cuts like a network partition (connections stay open, nothing gets through, new ones are never
 * answered). Then:
 *
 * - `istio-migrate run` in the middle of a wave starts nothing more, stops its in-flight runtimes at their
 *   checkpoints and exits 1 with a clear error naming the wave and the resume command — no raw driver message;
 *   once the database is back, `resume` finishes the wave with no runtime patched twice;
 * - a running bot's `/readyz` turns not-ready (journal: false) within seconds while `/healthz` still answers, and
 *   ready again once the database is back.
 *
 * Needs PostgreSQL at ISTIO_MIGRATE_TEST_PG_URL (test/helpers/needs.ts): without one the tests fail under CI=true,
 * naming what is missing, and skip visibly elsewhere.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import pg from 'pg';
import { FakeSlack } from '../../helpers/fake-slack.js';
import { describeWith, requirePostgres, TEST_PG_URL } from '../../helpers/needs.js';
import { runtimesOf, startTestSim, writeSimConfig, type TestSim } from '../../helpers/sim.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';
import { BOT_TOKEN, SIGNING_SECRET, exitWithin, get, sleep, start } from './bot-process.js';

const PG_URL = TEST_PG_URL;
const SCHEMA = `lostdb_${process.pid}_${randomBytes(3).toString('hex')}`;
/** No honest answer takes this long; a hung process does. */
const GENEROUS_MS = 60_000;
/** Short pool timeouts keep the test quick; the defaults (5 s connect, 10 s statement) behave the same, slower. */
const TIMEOUTS = { ISTIO_MIGRATE_PG_CONNECT_TIMEOUT_MS: '2000', ISTIO_MIGRATE_PG_QUERY_TIMEOUT_MS: '3000' };

describeWith(await requirePostgres(PG_URL), 'src/journal/postgres-journal.ts + src/rollout/wave-runner.ts — the database is lost', () => {
  let sim: TestSim;
  let proxy: TcpProxy;
  let fake: FakeSlack;
  let proxyUrl: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    const u = new URL(PG_URL);
    proxy = await startTcpProxy({ host: u.hostname, port: Number(u.port || 5432) });
    u.hostname = '127.0.0.1';
    u.port = String(proxy.port);
    proxyUrl = u.toString();
    sim = await startTestSim({ profile: 'fresh=60,existing-default=40', runtimes: 200, seed: 9, timeScale: 0.03 });
    fake = await FakeSlack.start();
  });
  afterAll(async () => {
    await fake?.close();
    await sim?.close();
    await proxy?.close();
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect().then(
      () => c.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).finally(() => c.end()),
      () => undefined,
    );
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const config = (schema: string) =>
    writeSimConfig(sim, 'lost-db', (cfg, dir) => {
      dirs.push(dir);
      for (const env of ['dev', 'stage', 'prod']) {
        cfg.environments[env].budgets = { wave: 1000 };
        cfg.environments[env].approval = { required: false };
        cfg.environments[env].limits = { ...(cfg.environments[env].limits as object | undefined), concurrency: 3 };
      }
      cfg.journal = { postgres: { urlEnv: 'LOST_DB_PG_URL', schema } };
    });

  it('run: the database cut mid-wave → exit 1 with the wave and the resume command, in-flight work stopped; resume finishes it once it is back', async () => {
    const configFile = config(SCHEMA);
    const env = { ...TIMEOUTS, LOST_DB_PG_URL: proxyUrl, ISTIO_MIGRATE_USER: 'sre-lost', ISTIO_MIGRATE_LEASE_TTL_MS: '3000' };
    const eligible = runtimesOf(sim.out).filter((r) => r.env === 'stage' && r.state === 'succeeded');
    const patched = () => Object.values(sim.sim.getStats().kymaWrites).filter((n) => n > 0).length;
    const run = start(['run', 'stage', 'all', '--yes', '--force', '--json', '--config', configFile], env);
    const t0 = Date.now();
    while (patched() < 4 && Date.now() - t0 < GENEROUS_MS) await sleep(20);
    expect(patched()).toBeGreaterThanOrEqual(4);
    proxy.blackhole();
    const { code } = await exitWithin(run, GENEROUS_MS, 'hung after the database was cut?');
    const answer = JSON.parse(run.stdout().trim().split('\n').pop() ?? '{}') as { error?: string };
    expect({ code, error: answer.error }).toEqual({ code: 1, error: expect.stringMatching(/^the journal \(PostgreSQL\) is unreachable \((no answer in time|connection lost)\): wave stage-\d{8}-\d+ stopped/) });
    expect(answer.error).toMatch(/Once the journal answers again: istio-migrate resume stage-\d{8}-\d+ --yes$/);
    expect(run.stdout() + run.stderr()).not.toMatch(/Connection terminated unexpectedly|Query read timeout/);
    const waveId = /resume (stage-\d{8}-\d+)/.exec(answer.error!)![1];
    // It stopped in the middle: not every runtime was patched.
    expect(patched()).toBeLessThan(eligible.length);

    proxy.restore();
    await sleep(3500); // the dead runner's lease (3 s) lapses
    const resume = start(['resume', waveId, '--yes', '--json', '--config', configFile], env);
    const r = await exitWithin(resume, GENEROUS_MS * 2, 'hung after the database was cut?');
    const st = JSON.parse(resume.stdout().trim()) as { state: string; counts: Record<string, number> };
    expect({ code: r.code, state: st.state, pending: st.counts.pending, running: st.counts.running }).toEqual({ code: 0, state: 'finished', pending: 0, running: 0 });
    expect(Object.entries(sim.sim.getStats().kymaWrites).filter(([, n]) => n > 1)).toEqual([]);
  }, 240_000);

  it('bot: /readyz turns not-ready (journal) within seconds of the cut while /healthz answers; ready again once it is back', async () => {
    const configFile = config(`${SCHEMA}_bot`);
    const bot = start(['bot', '--config', configFile], { ...TIMEOUTS, LOST_DB_PG_URL: proxyUrl, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, PORT: '0', HEALTH_PORT: '0' });
    try {
      const listening = await bot.waitForLog((l) => l.msg === 'listening for Slack on /slack/events');
      const port = listening.healthPort as number;
      expect((await get(port, '/readyz')).status).toBe(200);
      proxy.blackhole();
      let ready = await get(port, '/readyz');
      const until = Date.now() + GENEROUS_MS;
      while (ready.status === 200 && Date.now() < until) {
        await sleep(200);
        ready = await get(port, '/readyz');
      }
      expect({ status: ready.status, body: JSON.parse(ready.text) as unknown }).toEqual({ status: 503, body: { ready: false, checks: expect.objectContaining({ journal: false, config: true }) } });
      expect((await get(port, '/healthz')).status).toBe(200);
      proxy.restore();
      const back = Date.now() + GENEROUS_MS;
      while ((ready = await get(port, '/readyz')).status !== 200 && Date.now() < back) await sleep(300);
      expect(ready.status).toBe(200);
    } finally {
      proxy.restore();
      bot.child.kill('SIGTERM');
      await bot.exited;
    }
  }, 180_000);
});

