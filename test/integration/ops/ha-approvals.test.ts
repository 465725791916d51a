/**
 * HA (issue 14, docs/ha.md): approvals hold across replicas. Two real bot processes on one PostgreSQL schema, Prod
 * needs an approval: on-call approves a plan through replica A, the requester runs it through replica B — one wave,
 * run once; a second run on the same approval is refused through either replica (the approval is used up).
 * Signed Slack slash commands to each replica's HTTP receiver, the fake Slack Web API shared by both.
 *
 * Needs PostgreSQL at ISTIO_MIGRATE_TEST_PG_URL; without one it fails under CI=true, saying so.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import pg from 'pg';
import type { Journal } from '../../../src/journal/journal.js';
import { openJournal } from '../../../src/journal/open-journal.js';
import { FakeSlack, postSigned, slashPayload, type Json } from '../../helpers/fake-slack.js';
import { HA_SECRET, haEnv, startReplica, type Replica } from '../../helpers/ha-cluster.js';
import { describeWith, requirePostgres, TEST_PG_URL } from '../../helpers/needs.js';
import { outsideRunbook, runtimeOf, startTestSim, writeSimConfig, type TestSim } from '../../helpers/sim.js';

const SCHEMA = `ha_appr_${process.pid}_${randomBytes(3).toString('hex')}`;
const PROD = 'C-PROD';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const texts = (blocks: Json[] | undefined) =>
  (blocks ?? []).flatMap((b: Json) => [b.text?.text ?? '', ...(b.fields ?? []).map((f: Json) => f.text), ...(b.elements ?? []).map((e: Json) => e.text ?? '')]).join('\n');

describeWith(await requirePostgres(), 'docs/ha.md — approvals hold across two bot replicas on one PostgreSQL', () => {
  let sim: TestSim;
  let fake: FakeSlack;
  let journal: Journal;
  const dirs: string[] = [];
  const replicas: Replica[] = [];

  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
    fake = await FakeSlack.start({ limits: { 'chat.postMessage': null, 'chat.update': null, 'chat.postEphemeral': null } });
  });
  afterAll(async () => {
    for (const r of replicas) r.child.kill('SIGKILL');
    await Promise.all(replicas.map((r) => r.exited));
    await journal?.close();
    await fake?.close();
    await sim?.close();
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect().then(
      () => c.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).finally(() => c.end()),
      () => undefined,
    );
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /**
   * Sends a slash command as `user` to a replica and waits for its first answer: an ephemeral to that user or a
   * message in the channel (a plan, a wave) — the text of whichever came.
   */
  async function slash(replica: Replica, text: string, user: string, o: { notWaveMessages?: boolean } = {}): Promise<string> {
    const before = { eph: fake.callsTo('chat.postEphemeral').length, msg: fake.callsTo('chat.postMessage').length };
    const res = await postSigned(`http://127.0.0.1:${await replica.port()}/slack/events`, slashPayload(text, { user, channel: PROD }), HA_SECRET);
    expect(res.status).toBe(200);
    const until = Date.now() + 60_000;
    for (;;) {
      const answer =
        fake
          .callsTo('chat.postEphemeral')
          .slice(before.eph)
          .find((c) => c.body.user === user) ??
        fake
          .callsTo('chat.postMessage')
          .slice(before.msg)
          // `notWaveMessages`: a wave's live message (posted by the reporter, possibly late: an earlier wave's) is not
          // the answer looked for.
          .find((c) => c.body.channel === PROD && !(o.notWaveMessages && /^Wave \S+ /.test(String(c.body.text ?? ''))));
      if (answer) return `${String(answer.body.text ?? '')}\n${texts(answer.body.blocks)}`;
      if (Date.now() > until) throw new Error(`no answer to "${text}" from replica ${replica.pid}; its log:\n${replica.log().slice(-2000)}`);
      await sleep(50);
    }
  }

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const until = Date.now() + 90_000;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; replica logs:\n${replicas.map((r) => r.log().slice(-1500)).join('\n---\n')}`);
      await sleep(50);
    }
  }

  it('approve through replica A, run through replica B: one wave, run once; the same approval is refused afterwards through either replica', async () => {
    const configFile = writeSimConfig(sim, 'ha-appr', (cfg, dir) => {
      dirs.push(dir);
      outsideRunbook(cfg); // a wave of one chosen runtime, not a runbook step
      cfg.environments.prod.approval = { required: true, approvers: ['U-ONCALL'], operators: ['U-REQ', 'U-OTHER'] };
      (cfg as Json).chat = { channels: { prod: PROD } };
      (cfg as Json).journal = { postgres: { urlEnv: 'HA_PG_URL', schema: SCHEMA } };
    });
    const env = haEnv(fake, { HA_PG_URL: TEST_PG_URL });
    const [a, b] = [startReplica(configFile, env), startReplica(configFile, env)];
    replicas.push(a, b);
    await Promise.all([a.port(), b.port()]);
    journal = await openJournal({ kind: 'postgres', url: TEST_PG_URL, schema: SCHEMA });
    await waitFor('a leader', async () => ((await journal.getLease('leader:waves')) ? true : undefined));

    const fresh = runtimeOf(sim.out, 'prod', 'fresh');
    // The requester plans through A; the plan (a journal record) names its hash.
    await slash(a, `plan prod runtime-id=${fresh.runtimeId}`, 'U-REQ');
    const plan = await waitFor('the plan message', () => Promise.resolve([...fake.messages.values()].find((m) => m.channel === PROD && m.text.startsWith('Plan '))));
    const hash = plan.blocks.flatMap((bl: Json) => (bl.type === 'actions' ? bl.elements : [])).map((e: Json) => String(e.value ?? '')).find((v: string) => /^[0-9a-f]{12,}$/.test(v));
    expect(hash).toBeDefined();

    // Without an approval, B refuses to run it.
    expect(await slash(b, `run --plan ${hash} --yes`, 'U-REQ')).toMatch(/approv/i);
    expect(await journal.listWaves({ env: 'prod' })).toEqual([]);

    // On-call approves through A; the requester runs through B.
    expect(await slash(a, `approve ${hash}`, 'U-ONCALL')).toMatch(/approved by (U-ONCALL|<@U-ONCALL>)/);
    await slash(b, `run --plan ${hash} --yes`, 'U-REQ');
    const waves = await waitFor('the Prod wave', async () => {
      const w = await journal.listWaves({ env: 'prod' });
      return w.length ? w : undefined;
    });
    expect(waves).toHaveLength(1);
    expect(waves[0]).toMatchObject({ planHash: hash, requestedBy: 'U-REQ', approvedBy: 'U-ONCALL' });
    const ended = await waitFor('the wave to end', async () => {
      const w = await journal.getWave(waves[0].waveId);
      return w && ['finished', 'budget-stopped', 'aborted'].includes(w.state) ? w : undefined;
    });
    expect(ended.state).toBe('finished');
    const rows = await journal.listWaveRuntimes(waves[0].waveId);
    expect(rows.map((r) => [r.runtimeId, r.state, r.attempts])).toEqual([[fresh.runtimeId, 'finished', 1]]);

    // The approval is used up: a second run on it is refused through either replica, by the requester or another.
    for (const [replica, user] of [
      [a, 'U-REQ'],
      [b, 'U-REQ'],
      [a, 'U-OTHER'],
    ] as const) {
      expect(await slash(replica, `run --plan ${hash} --yes`, user, { notWaveMessages: true })).toContain('none is valid');
    }
    expect(await journal.listWaves({ env: 'prod' })).toHaveLength(1);
    const approvals = await journal.listApprovals(hash!);
    expect(approvals).toHaveLength(1);
    expect(approvals[0]).toMatchObject({ approver: 'U-ONCALL', usedBy: 'U-REQ' });
  }, 240_000);
});
