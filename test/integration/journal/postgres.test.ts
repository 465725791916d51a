/**
 * The PostgreSQL journal against a real server (ISTIO_MIGRATE_TEST_PG_URL, C6): the shared contract with a schema
 * of its own per test, then what several replicas on one database need — two pools racing for a wave's lease
 * and creating waves at once. Every schema made here is dropped afterwards.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Journal } from '../../../src/journal/journal.js';
import { MIGRATIONS } from '../../../src/journal/migrations/index.js';
import { WaveActiveError } from '../../../src/journal/errors.js';
import { openJournal } from '../../../src/journal/open-journal.js';
import { PostgresJournal } from '../../../src/journal/postgres/postgres-journal.js';
import { describeWith, requirePostgres, TEST_PG_URL } from '../../helpers/needs.js';
import { journalContract, plannedRuntime } from './journal-contract.js';

const PG_URL = TEST_PG_URL;
const BASE = `jt_${process.pid}_${randomBytes(3).toString('hex')}`;
const schemas: string[] = [];
const newSchema = () => {
  const s = `${BASE}_${schemas.length + 1}`;
  schemas.push(s);
  return s;
};

async function dropSchemas(): Promise<void> {
  if (!schemas.length) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  } finally {
    await client.end();
  }
}

// Needs PostgreSQL (test/helpers/needs.ts): under CI=true a missing server fails, naming the URL; elsewhere the
// tests skip visibly. A server that refuses the login or lacks the database fails everywhere.
describeWith(await requirePostgres(PG_URL), 'src/journal/postgres-journal.ts', () => {
  afterAll(dropSchemas);

  journalContract('PostgreSQL', () => openJournal({ kind: 'postgres', url: PG_URL, schema: newSchema() }), { open: () => PostgresJournal.connect(PG_URL, { schema: newSchema() }) });

  it('records applied migrations in schema_version and applies none twice, also when replicas migrate at once', async () => {
    const schema = newSchema();
    const journals = await Promise.all([1, 2, 3].map(() => PostgresJournal.connect(PG_URL, { schema })));
    try {
      expect(await journals[0].schemaVersion()).toBe(0);
      await Promise.all(journals.map((j) => j.migrate()));
      await journals[0].migrate();
      expect(await journals[1].schemaVersion()).toBe(MIGRATIONS.at(-1)!.version);
    } finally {
      await Promise.all(journals.map((j) => j.close()));
    }
  });

  it('commits a burst of runtime writes in a few statements (group commit), not one per write', async () => {
    const j = await PostgresJournal.connect(PG_URL, { schema: newSchema() });
    try {
      await j.migrate();
      const rts = Array.from({ length: 100 }, (_, i) => plannedRuntime(i + 1));
      const w = await j.createWave({ env: 'prod', target: 'all', planHash: 'p', state: 'running', concurrency: 100, requestedBy: 'sre-1', approvedBy: null }, rts);
      await Promise.all(rts.map((r) => j.startRuntime(w.waveId, r.runtimeId)));
      expect(j.runtimeWriteStatements).toBeLessThanOrEqual(10);
      expect((await j.listWaveRuntimes(w.waveId)).every((r) => r.state === 'running' && r.attempts === 1)).toBe(true);
    } finally {
      await j.close();
    }
  });

  it('stores a re-planned plan once: planning the same hash again does not grow the journal (dedup by hash)', async () => {
    const schema = newSchema();
    const j = await PostgresJournal.connect(PG_URL, { schema });
    try {
      await j.migrate();
      // A plan of ~2,000 runtimes, as `plan prod account=.+` stores one.
      const document = { runtimes: Array.from({ length: 2000 }, (_, i) => plannedRuntime(i + 1)), input: { specs: ['account=.+'] } };
      const plan = { hash: 'f'.repeat(64), env: 'prod', target: 'account=.+', document, createdBy: 'U1', createdAt: new Date().toISOString() };
      await j.savePlan(plan);
      const size = async () => {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        try {
          return Number((await c.query<{ n: string }>(`SELECT pg_total_relation_size('${schema}.plans') AS n`)).rows[0].n);
        } finally {
          await c.end();
        }
      };
      const before = await size();
      for (let i = 0; i < 10; i++) await j.savePlan({ ...plan, createdAt: new Date().toISOString() });
      expect(await size()).toBe(before);
      expect((await j.getPlan(plan.hash))?.createdBy).toBe('U1');
    } finally {
      await j.close();
    }
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(PostgresJournal.connect(PG_URL, { schema: 'x; DROP TABLE y' })).rejects.toThrow(/invalid journal schema name/);
  });

  describe('two replicas (two pools) on one database', () => {
    let a: Journal;
    let b: Journal;
    afterAll(async () => {
      await a?.close();
      await b?.close();
    });

    it('never both hold a wave: 20 races for one lease, exactly one holder each round, the loser told who', async () => {
      const schema = newSchema();
      a = await openJournal({ kind: 'postgres', url: PG_URL, schema });
      b = await openJournal({ kind: 'postgres', url: PG_URL, schema });
      for (let round = 0; round < 20; round++) {
        const wave = `stage-20250304-${round + 1}`;
        const [la, lb] = await Promise.all([a.acquireLease(wave, 'replica-a', 60_000), b.acquireLease(wave, 'replica-b', 60_000)]);
        expect(la).toEqual(lb);
        expect(['replica-a', 'replica-b']).toContain(la.holder);
        // Renewal by the holder succeeds; the other is still refused.
        const [holder, other] = la.holder === 'replica-a' ? [a, b] : [b, a];
        expect((await holder.acquireLease(wave, la.holder, 60_000)).holder).toBe(la.holder);
        expect((await other.acquireLease(wave, la.holder === 'replica-a' ? 'replica-b' : 'replica-a', 60_000)).holder).toBe(la.holder);
      }
    });

    it('lets exactly one of two replicas create a wave for one environment at once (exclusive)', async () => {
      const schema = newSchema();
      await a?.close();
      await b?.close();
      a = await openJournal({ kind: 'postgres', url: PG_URL, schema });
      b = await openJournal({ kind: 'postgres', url: PG_URL, schema });
      const now = new Date('2025-03-04T10:00:00.000Z');
      for (let round = 0; round < 10; round++) {
        const input = { env: `env${round}`, target: 'trial', planHash: 'p', state: 'running' as const, concurrency: 4, requestedBy: 'sre-1', approvedBy: null };
        const settled = await Promise.allSettled([a.createWave(input, [plannedRuntime(1)], now, { exclusive: true }), b.createWave(input, [plannedRuntime(2)], now, { exclusive: true })]);
        expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
        const lost = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
        expect(lost?.reason).toBeInstanceOf(WaveActiveError);
        expect(await a.listWaves({ env: input.env })).toHaveLength(1);
      }
    });

    it('creates waves from both at once with distinct, gap-free ids', async () => {
      const now = new Date('2025-03-04T10:00:00.000Z');
      const input = { env: 'prod', target: 'trial', planHash: 'p', state: 'running' as const, concurrency: 4, requestedBy: 'sre-1', approvedBy: null };
      const waves = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).createWave(input, [plannedRuntime(i), plannedRuntime(i + 100)], now)),
      );
      const ids = waves.map((w) => w.waveId);
      expect(new Set(ids).size).toBe(20);
      expect([...ids].sort((x, y) => Number(x.split('-').at(-1)) - Number(y.split('-').at(-1)))).toEqual(
        Array.from({ length: 20 }, (_, i) => `prod-20250304-${i + 1}`),
      );
      expect(await a.listWaveRuntimes(waves[3].waveId)).toHaveLength(2);
    });
  });
});
