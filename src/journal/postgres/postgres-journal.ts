/**
 * The journal in PostgreSQL: for production and HA, several bot replicas on one database. The statements are the
 * SQL store's (sql/store.ts); here the driver (postgres-driver.ts) and what PostgreSQL does differently: JSONB and
 * timestamptz columns, advisory locks, a wave's runtimes inserted in one statement, and the group commit of the
 * per-runtime writes (write-batch.ts).
 *
 * Across processes: the waveId counter is a row per environment and day, incremented inside the createWave
 * transaction (its row lock serialises concurrent creators); a lease is a row per wave taken or renewed by one
 * atomic upsert that only succeeds when the lease is free, expired or already the caller's, so two runners on
 * one wave never both hold it and the second learns who does. Lease expiry is judged by the database clock.
 *
 * Limits: a lease is advisory — a runner that stalls past its TTL (GC pause, network partition) can lose it to
 * another while still working; renew well within the TTL and stop starting runtimes once a renewal is refused.
 */
import { JournalUnavailableError } from '../errors.js';
import type { Lease, PlannedRuntime } from '../journal.js';
import type { DdlTypes, Dialect, Session } from '../sql/dialect.js';
import type { LeaseRow } from '../sql/rows.js';
import { KEPT_CHECKPOINTS_SQL, SqlJournal, type RuntimeWrite } from '../sql/store.js';
import { WriteBatcher, type BatchedWrite } from '../write-batch.js';
import { PostgresDriver, type PostgresJournalOptions } from './postgres-driver.js';

export { connectionLost, isConnectionLost, type PostgresJournalOptions } from './postgres-driver.js';

const POSTGRES: Dialect = {
  now: 'now()',
  inList: (column, param) => `${column} = ANY (${param}::text[])`,
  listIsNull: (param) => `${param}::text[] IS NULL`,
  list: (values) => (values ? [...values] : null),
  jsonText: (column, key) => `${column} ->> '${key}'`,
  jsonTrue: (column, key) => `(${column} ->> '${key}')::boolean`,
  noLimit: null,
  lock: async (s, prefix, suffix) => {
    await s.query(`lock-${prefix}`, `SELECT pg_advisory_xact_lock(hashtext('istio-migrate:' || $1 || current_schema() || $2))`, [prefix, suffix]);
  },
};

const TYPES: DdlTypes = {
  id: 'bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
  text: 'text',
  int: 'integer',
  json: 'jsonb',
  ts: 'timestamptz',
  tsNow: 'timestamptz NOT NULL DEFAULT now()',
  expiry: { column: 'expires_at', type: 'timestamptz' },
};

type BatchedRuntimeWrite = RuntimeWrite & BatchedWrite;

const runtimeKey = (waveId: string, runtimeId: string) => `${waveId}\u0000${runtimeId}`;

export class PostgresJournal extends SqlJournal {
  private readonly runtimeWrites = new WriteBatcher<BatchedRuntimeWrite>({
    flush: (batch) => this.applyRuntimeWrites(batch),
    notFound: (w) => this.whyNotWritten(w),
    failsAll: (e) => e instanceof JournalUnavailableError,
  });

  private constructor(private readonly pg: PostgresDriver) {
    super(pg, POSTGRES, TYPES);
  }

  /**
   * Connects a pool (and creates `opts.schema` if given, unless `opts.mustExist`); fails fast when the server cannot be reached.
   * Does not migrate: call `migrate()` (or use `openJournal`).
   */
  static async connect(url: string, opts: PostgresJournalOptions = {}): Promise<PostgresJournal> {
    return new PostgresJournal(await PostgresDriver.connect(url, opts));
  }

  /** Statements the group commit sent for start/checkpoint/finish so far (diagnostics and tests). */
  get runtimeWriteStatements(): number {
    return this.runtimeWrites.batches;
  }

  /** The schema the journal's tables live in: the first of the search path that exists (null: none does). */
  async currentSchema(): Promise<string | null> {
    return (await this.pg.query<{ s: string | null }>(undefined, 'SELECT current_schema() AS s')).rows[0].s;
  }

  /** The schema version this store is at (0 before the first migration). */
  async schemaVersion(): Promise<number> {
    const exists = await this.pg.query<{ t: string | null }>(undefined, `SELECT to_regclass('schema_version')::text AS t`);
    if (!exists.rows[0].t) return 0;
    return (await this.pg.query<{ v: number }>(undefined, 'SELECT COALESCE(MAX(version), 0) AS v FROM schema_version')).rows[0].v;
  }

  override close(): Promise<void> {
    return this.pg.close(() => this.runtimeWrites.idle());
  }

  protected async insertRuntimes(s: Session, waveId: string, at: string, runtimes: PlannedRuntime[]): Promise<void> {
    await s.query(
      'insert-wave-runtimes',
      `INSERT INTO wave_runtimes (wave_id, runtime_id, ord, runtime, state, attempts, result, updated_at)
       SELECT $1, x.runtime_id, x.ord - 1, x.runtime, 'pending', 0, NULL, $2
       FROM unnest($3::text[], $4::jsonb[]) WITH ORDINALITY AS x (runtime_id, runtime, ord)`,
      [waveId, at, runtimes.map((r) => r.runtimeId), runtimes.map((r) => JSON.stringify(r))],
    );
  }

  // The three per-runtime writes of a wave go through the group commit: one statement and one commit for every
  // write that arrives while earlier ones are in flight.
  protected override writeRuntime(w: RuntimeWrite): Promise<void> {
    return this.runtimeWrites.submit({ ...w, key: runtimeKey(w.waveId, w.runtimeId) });
  }

  /** One UPDATE for a batch of runtime writes; the keys of the rows it changed. */
  private async applyRuntimeWrites(batch: readonly RuntimeWrite[]): Promise<ReadonlySet<string>> {
    const { rows } = await this.pg.query<{ wave_id: string; runtime_id: string }>(
      'runtime-writes',
      `UPDATE wave_runtimes AS w SET
         state = CASE v.kind
           WHEN 'start' THEN CASE WHEN w.state IN (${KEPT_CHECKPOINTS_SQL}) THEN w.state ELSE 'running' END
           WHEN 'finish' THEN 'finished'
           ELSE v.state END,
         attempts = w.attempts + CASE WHEN v.kind = 'start' THEN 1 ELSE 0 END,
         result = CASE WHEN v.kind = 'finish' THEN v.result::jsonb ELSE w.result END,
         updated_at = now()
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS v(wave_id, runtime_id, kind, state, result, holder)
       WHERE w.wave_id = v.wave_id AND w.runtime_id = v.runtime_id AND w.state <> 'finished'
         AND ((v.holder IS NULL AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.wave_id = w.wave_id))
              OR EXISTS (SELECT 1 FROM leases l WHERE l.wave_id = w.wave_id AND l.holder = v.holder))
       RETURNING w.wave_id, w.runtime_id`,
      (['waveId', 'runtimeId', 'kind', 'state', 'result', 'holder'] as const).map((k) => batch.map((w) => w[k])),
    );
    return new Set(rows.map((r) => runtimeKey(r.wave_id, r.runtime_id)));
  }

  acquireLease(waveId: string, holder: string, ttlMs: number, opts: { takeOverFrom?: string } = {}): Promise<Lease> {
    return this.takeLease(waveId, async () => {
      const { rows } = await this.pg.query<LeaseRow>(
        'acquire-lease',
        `INSERT INTO leases (wave_id, holder, expires_at, acquired_at)
         VALUES ($1, $2, now() + $3::double precision * interval '1 millisecond', now())
         ON CONFLICT (wave_id) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at,
           acquired_at = CASE WHEN leases.holder = EXCLUDED.holder THEN leases.acquired_at ELSE EXCLUDED.acquired_at END
         WHERE leases.expires_at <= now() OR leases.holder = EXCLUDED.holder OR leases.holder = $4
         RETURNING wave_id, holder, expires_at`,
        [waveId, holder, ttlMs, opts.takeOverFrom ?? null],
      );
      return rows[0];
    });
  }

  async rememberOnce(key: string, ttlMs: number, now = new Date()): Promise<boolean> {
    // One statement: an expired row is taken over, a live one refuses (the primary key arbitrates concurrent callers).
    const { changes } = await this.pg.query(
      'remember-once',
      `INSERT INTO seen_once (key, expires_at) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE seen_once.expires_at <= $3`,
      [key, new Date(now.getTime() + ttlMs).toISOString(), now.toISOString()],
    );
    await this.pg.query('purge-seen-once', 'DELETE FROM seen_once WHERE expires_at <= $1', [now.toISOString()]);
    return changes === 1;
  }
}
