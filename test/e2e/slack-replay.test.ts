/**
 * Issue 14 finding 8: signed requests to the real Bolt HTTP receiver. A timestamp more than 60 s ahead is refused;
 * the same signed request sent again within its window is refused — by the bot that saw it, and by another replica
 * on the same PostgreSQL journal (ISTIO_MIGRATE_TEST_PG_URL; test/helpers/needs.ts: a missing server fails under CI).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeSlack, postSigned, slashPayload } from '../helpers/fake-slack.js';
import { startTestSim, type TestSim } from '../helpers/sim.js';
import { describeWith, requirePostgres, TEST_PG_URL } from '../helpers/needs.js';
import { SECRET, slackSetup, startBot, writeBotConfig, type TestBot } from './harness.js';

const PG_URL = TEST_PG_URL;
const postgres = await requirePostgres();
const SCHEMA = `t_slack_replay_${process.pid}`;

describe('src/chat/slack/request-guard.ts — future timestamps and replays', () => {
  const s = slackSetup();

  it.each([
    ['600 s ahead', 600],
    ['75 s ahead', 75],
  ])('refuses a request signed with a timestamp %s with 401 and runs nothing', async (_what, ahead) => {
    s.fake.reset();
    const res = await postSigned(s.t.eventsUrl, slashPayload('status'), SECRET, { timestamp: Math.floor(Date.now() / 1000) + ahead });
    expect(res.status).toBe(401);
    await s.t.bot.idle();
    expect(s.fake.calls).toEqual([]);
  });

  it('accepts a timestamp a little ahead (clock skew within 60 s)', async () => {
    s.fake.reset();
    const res = await postSigned(s.t.eventsUrl, slashPayload('status'), SECRET, { timestamp: Math.floor(Date.now() / 1000) + 20 });
    expect(res.status).toBe(200);
    await s.t.bot.idle();
    expect(s.fake.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('runs a signed request once: the identical request sent again is refused with 401', async () => {
    s.fake.reset();
    const payload = slashPayload('status');
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await postSigned(s.t.eventsUrl, payload, SECRET, { timestamp });
    expect(first.status).toBe(200);
    const again = await postSigned(s.t.eventsUrl, payload, SECRET, { timestamp });
    expect(again.status).toBe(401);
    await s.t.bot.idle();
    expect(s.fake.callsTo('chat.postMessage')).toHaveLength(1);
    // A new request (its own timestamp and signature) is fine.
    const next = await postSigned(s.t.eventsUrl, payload, SECRET, { timestamp: timestamp - 1 });
    expect(next.status).toBe(200);
    await s.t.bot.idle();
    expect(s.fake.callsTo('chat.postMessage')).toHaveLength(2);
  });

  it('keeps refusing what Bolt refused (a wrong signature stays 401 and is not remembered)', async () => {
    s.fake.reset();
    const payload = slashPayload('status');
    const timestamp = Math.floor(Date.now() / 1000);
    expect((await postSigned(s.t.eventsUrl, payload, 'not-the-secret', { timestamp })).status).toBe(401);
    expect((await postSigned(s.t.eventsUrl, payload, SECRET, { timestamp })).status).toBe(200);
    await s.t.bot.idle();
    expect(s.fake.callsTo('chat.postMessage')).toHaveLength(1);
  });
});

describeWith(postgres, 'src/chat/slack/request-guard.ts — two replicas on one PostgreSQL journal', () => {
  let sim: TestSim;
  let fake: FakeSlack;
  const bots: TestBot[] = [];

  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
    fake = await FakeSlack.start({ limits: { 'chat.postMessage': null } });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'slack-replay-pg-'));
    const urlFile = path.join(dir, 'pg-url');
    writeFileSync(urlFile, PG_URL, { mode: 0o600 });
    const config = writeBotConfig(sim, {}, (cfg) => {
      cfg.journal = { postgres: { urlFile, schema: SCHEMA } };
    });
    for (let i = 0; i < 2; i++) bots.push(await startBot(fake, config, 'http'));
  });
  afterAll(async () => {
    for (const b of bots) await b.close();
    await fake?.close();
    await sim?.close();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await client.end();
  });

  it('a request one replica ran is refused by the other', async () => {
    expect(bots).toHaveLength(2); // both started on PostgreSQL at ISTIO_MIGRATE_TEST_PG_URL (required here)
    fake.reset();
    const payload = slashPayload('status');
    const timestamp = Math.floor(Date.now() / 1000);
    expect((await postSigned(bots[0].eventsUrl, payload, SECRET, { timestamp })).status).toBe(200);
    expect((await postSigned(bots[1].eventsUrl, payload, SECRET, { timestamp })).status).toBe(401);
    for (const b of bots) await b.bot.idle();
    expect(fake.callsTo('chat.postMessage')).toHaveLength(1);
  });
});
