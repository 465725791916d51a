/**
 * HA (issue 14, docs/ha.md): two bot replicas on one PostgreSQL behave as one bot.
 *
 * 1. The global error budget is shared exactly: a Stage wave sent to one replica spends part of it (stopped by its own
 *    budget, its failures stay counted), and a Prod wave sent to the other replica may spend only the rest. Two
 *    replicas counting apart would let the Prod wave spend the whole budget again.
 * 2. kill -9 the replica running a Prod wave at 5 seeded random points (a fresh replica joins after each kill): another
 *    replica takes the wave over every time and ends it; no runtime is patched twice or finished twice; the global
 *    budget, rebuilt from the journal by each new leader, stops the wave at exactly its count, never past it.
 *
 * Needs PostgreSQL at ISTIO_MIGRATE_TEST_PG_URL (test/helpers/needs.ts): without one it fails under CI=true, naming
 * what is missing, and skips visibly elsewhere.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import pg from 'pg';
import { openJournal } from '../../../src/journal/open-journal.js';
import { FakeSlack, postSigned, slashPayload } from '../../helpers/fake-slack.js';
import { HA_SECRET, haEnv, haTrial, pidOf, startReplica, type Replica } from '../../helpers/ha-cluster.js';
import { describeWith, requirePostgres, TEST_PG_URL } from '../../helpers/needs.js';
import { runtimesOf, startTestSim, writeSimConfig, type TestSim } from '../../helpers/sim.js';

const PG_URL = TEST_PG_URL;
const BASE = `ha_${process.pid}_${randomBytes(3).toString('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeWith(await requirePostgres(PG_URL), 'docs/ha.md — two bot replicas on one PostgreSQL', () => {
  let sim: TestSim;
  let fake: FakeSlack;
  const dirs: string[] = [];
  const schemas: string[] = [];
  const replicas: Replica[] = [];

  beforeAll(async () => {
    // ~90 Prod and ~45 Stage runtimes, some failing on the platform side (manifest-error, no-kyma).
    sim = await startTestSim({ profile: 'fresh=55,existing-default=25,manifest-error=10,no-kyma=10', runtimes: 150, seed: 21, timeScale: 0.03 });
    fake = await FakeSlack.start({ limits: { 'chat.postMessage': null, 'chat.update': null, 'chat.postEphemeral': null } });
  });
  afterAll(async () => {
    for (const r of replicas) r.child.kill('SIGKILL');
    await Promise.all(replicas.map((r) => r.exited));
    await fake?.close();
    await sim?.close();
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect().then(
      () => Promise.all(schemas.map((s) => c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`))).finally(() => c.end()),
      () => undefined,
    );
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const setup = (globalBudget: number, stageBudget = 1000) => {
    const schema = `${BASE}_${schemas.length + 1}`;
    schemas.push(schema);
    const configFile = writeSimConfig(sim, 'ha', (cfg, dir) => {
      dirs.push(dir);
      for (const env of ['dev', 'stage', 'prod']) {
        cfg.environments[env].budgets = { wave: env === 'stage' ? stageBudget : 1000 };
        cfg.environments[env].approval = { required: false };
        cfg.environments[env].limits = { ...(cfg.environments[env].limits as object | undefined), concurrency: 3 };
      }
      cfg.globalBudget = globalBudget;
      cfg.journal = { postgres: { urlEnv: 'HA_PG_URL', schema } };
    });
    return { schema, configFile, env: haEnv(fake, { HA_PG_URL: PG_URL }) };
  };
  const platformFailures = (rows: { state: string; result: { class: string } | null }[]) => rows.filter((r) => r.state === 'finished' && r.result?.class === 'platform').length;

  it('shares the global error budget exactly: a wave sent to one replica and a wave sent to the other spend one budget', async () => {
    const G = 4;
    const { schema, configFile, env } = setup(G, 2);
    const pair = [startReplica(configFile, env), startReplica(configFile, env)];
    replicas.push(...pair);
    expect(runtimesOf(sim.out).filter((r) => r.env === 'stage' && r.state === 'succeeded' && ['manifest-error', 'no-kyma'].includes(r.scenario)).length).toBeGreaterThan(2);
    const journal = await openJournal({ kind: 'postgres', url: PG_URL, schema });
    try {
      const until = Date.now() + 150_000;
      const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
        for (;;) {
          const v = await probe();
          if (v !== undefined) return v;
          if (Date.now() > until) throw new Error(`timed out waiting for ${what}; logs:\n${pair.map((r) => r.log().slice(-1500)).join('\n---\n')}`);
          await sleep(25);
        }
      };
      const leaderPid = await waitFor('a leader', async () => {
        const l = await journal.getLease('leader:waves');
        return l && pair.some((r) => r.pid === pidOf(l.holder)) ? pidOf(l.holder) : undefined;
      });
      const [leader, other] = pair[0].pid === leaderPid ? pair : [pair[1], pair[0]];
      const say = async (r: Replica, text: string) => expect((await postSigned(`http://127.0.0.1:${await r.port()}/slack/events`, slashPayload(text, { user: 'U-SRE' }), HA_SECRET)).status).toBe(200);
      // Stage, through the leader: its own budget (2) stops it; its failures stay counted in the global budget.
      await say(leader, 'run stage all --yes --force');
      const stageId = await waitFor('the stage wave', async () => (await journal.listWaves({ env: 'stage' }))[0]?.waveId);
      await waitFor('the stage wave stopped by its budget', async () => ((await journal.getWave(stageId))!.state === 'budget-stopped' ? true : undefined));
      const stageFailures = platformFailures(await journal.listWaveRuntimes(stageId));
      expect(stageFailures).toBe(2);
      // Prod, through the other replica: only the rest of the budget is left for it.
      await say(other, 'run prod all --yes --force');
      const prodId = await waitFor('the prod wave', async () => (await journal.listWaves({ env: 'prod' }))[0]?.waveId);
      const prodState = await waitFor('the prod wave to end', async () => {
        const w = (await journal.getWave(prodId))!;
        return ['finished', 'budget-stopped'].includes(w.state) ? w.state : undefined;
      });
      const prodFailures = platformFailures(await journal.listWaveRuntimes(prodId));
      expect({ prodState, prodFailures, stageFailures: platformFailures(await journal.listWaveRuntimes(stageId)) }).toEqual({ prodState: 'budget-stopped', prodFailures: G - stageFailures, stageFailures });
    } finally {
      await journal.close();
      for (const r of pair) r.child.kill('SIGTERM');
      await Promise.all(pair.map((r) => r.exited));
    }
  }, 200_000);

  it('kill -9 the replica running a Prod wave at 5 seeded points: another one continues it each time, nothing is written twice, the global budget holds exactly', async () => {
    const G = 8;
    const { schema, configFile, env } = setup(G);
    const mine = [startReplica(configFile, env), startReplica(configFile, env)];
    const eligible = runtimesOf(sim.out).filter((r) => r.env === 'prod' && r.state === 'succeeded');
    expect(eligible.filter((r) => ['manifest-error', 'no-kyma'].includes(r.scenario)).length).toBeGreaterThan(G);

    // The first test migrated part of Prod on the same landscape: those runtimes are already migrated now.
    const before = { ...sim.sim.getStats().kymaWrites };
    const trial = await haTrial({ sim, fake, configFile, pg: { url: PG_URL, schema }, seed: 1414, kills: 5, spread: 25, env, deadlineMs: 200_000 }, mine);
    replicas.push(...mine);
    try {
      // The wave outlived its runners: 5 kills, each taken over by another replica.
      expect(trial.kills.map((k) => k.takeoverMs >= 0)).toEqual([true, true, true, true, true]);
      const rows = await trial.journal.listWaveRuntimes(trial.waveId);
      // The ledger carried over from leader to leader: the global budget stopped the wave at exactly its count.
      expect({ state: trial.state, platformFailures: platformFailures(rows) }).toEqual({ state: 'budget-stopped', platformFailures: G });
      // Nothing written twice: each runtime patched at most once; results only for finished runtimes.
      const writes = sim.sim.getStats().kymaWrites;
      expect(eligible.filter((r) => (writes[r.runtimeId] ?? 0) > 1).map((r) => r.runtimeId)).toEqual([]);
      expect(rows.filter((r) => (r.state === 'finished') !== (r.result !== null)).map((r) => r.runtimeId)).toEqual([]);
      // Every runtime this wave finished as migrated was patched by it exactly once; none misreported as already migrated.
      const mine = (id: string) => (writes[id] ?? 0) - (before[id] ?? 0);
      expect(rows.filter((r) => r.result?.outcome === 'migrated' && mine(r.runtimeId) !== 1).map((r) => r.runtimeId)).toEqual([]);
      expect(rows.filter((r) => r.result?.outcome === 'already-migrated' && !(before[r.runtimeId] === 1 && mine(r.runtimeId) === 0)).map((r) => r.runtimeId)).toEqual([]);
    } finally {
      await trial.journal.close();
    }
  }, 300_000);
});
