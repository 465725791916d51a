/**
 * The journal in PostgreSQL (pg): for production and HA, several bot replicas on one database. Statements are
 * named, so each pooled connection prepares them once. JSON documents are JSONB; timestamps timestamptz.
 *
 * Across processes: the waveId counter is a row per environment and day, incremented inside the createWave
 * transaction (its row lock serialises concurrent creators); a lease is a row per wave taken or renewed by one
 * atomic upsert that only succeeds when the lease is free, expired or already the caller's, so two runners on
 * one wave never both hold it and the second learns who does. Lease expiry is judged by the database clock.
 *
 * Limits: a lease is advisory — a runner that stalls past its TTL (GC pause, network partition) can lose it to
 * another while still working; renew well within the TTL and stop starting runtimes once a renewal is refused.
 */
import pg from 'pg';
import type {
  Approval,
  AuditEntry,
  CheckpointState,
  CustomerTask,
  Journal,
  Lease,
  PlanCancellation,
  PlannedRuntime,
  StoredPlan,
  TaskState,
  Wave,
  WaveControl,
  WaveRuntime,
  WaveState,
} from './journal.js';
import type { MigrationResult } from '../migration/result.js';
import { pendingMigrations, SCHEMA_VERSION_TABLE } from './migrations.js';
import { WriteBatcher, type BatchedWrite } from './write-batch.js';
import {
  ACTIVE_TASK_STATES,
  ACTIVE_WAVE_STATES,
  ApprovalUsedError,
  formatTaskId,
  formatWaveId,
  isFinalWaveState,
  JournalNotFoundError,
  JournalUnavailableError,
  RuntimeWriteRefusedError,
  START_KEEPS_CHECKPOINT,
  taskSeqOf,
  WaveActiveError,
  waveDay,
} from './records.js';

export interface PostgresJournalOptions {
  /** A schema of its own (created if absent, first on every connection's search_path); tests isolate with it. */
  schema?: string;
  /** Pool size (default 20): the wave runner's concurrency is served by this many connections. */
  poolMax?: number;
  /** Errors of idle pooled connections (the pool drops such a connection); ignored unless given. */
  onError?: (err: Error) => void;
  /** How long to wait for a connection (default 5 s; $ISTIO_MIGRATE_PG_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
  /**
   * How long one statement may take, judged by the client (no answer: the connection is dropped) and by the server
   * (statement_timeout) — default 10 s; $ISTIO_MIGRATE_PG_QUERY_TIMEOUT_MS.
   */
  queryTimeoutMs?: number;
}

/**
 * Why a pg error means the database cannot be reached (rather than that a statement is wrong), in a few words; or
 * undefined when it does not. pg gives most connection failures no code, so its fixed messages are matched here —
 * the one place that does.
 */
export function connectionLost(e: unknown): string | undefined {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === 'string' ? err.code : '';
  const msg = typeof err?.message === 'string' ? err.message : '';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (['ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) return 'host unreachable';
  // SQLSTATE 57014: statement timeout (the server's limit).
  if (code === 'ETIMEDOUT' || code === '57014' || /timeout exceeded when trying to connect|Query read timeout|connection timeout/i.test(msg)) return 'no answer in time';
  // SQLSTATE 08: connection exception; 57P01–57P03: the server is shutting down or not accepting connections.
  if (/^08/.test(code) || ['57P01', '57P02', '57P03'].includes(code)) return 'the server closed the connection';
  if (['ECONNRESET', 'EPIPE'].includes(code) || /Connection terminated|connection error|Client was closed|not queryable/i.test(msg)) return 'connection lost';
  return undefined;
}

export function isConnectionLost(e: unknown): boolean {
  return connectionLost(e) !== undefined;
}

/** Rethrows a lost connection as JournalUnavailableError; anything else as it is. */
function classify(e: unknown): never {
  const reason = e instanceof JournalUnavailableError ? undefined : connectionLost(e);
  if (!reason) throw e;
  throw new JournalUnavailableError(reason, e);
}

interface WaveRow {
  wave_id: string;
  env: string;
  target: string;
  plan_hash: string;
  state: WaveState;
  control: WaveControl;
  concurrency: number;
  requested_by: string;
  approved_by: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

interface WaveRuntimeRow {
  wave_id: string;
  runtime_id: string;
  runtime: PlannedRuntime;
  state: CheckpointState;
  attempts: number;
  result: MigrationResult | null;
  updated_at: Date;
}

interface TaskRow {
  id: string;
  runtime_id: string;
  wave_id: string | null;
  env: string;
  global_account_id: string;
  subaccount_id: string;
  shoot_name: string;
  istio_crs: CustomerTask['istioCrs'];
  message: string;
  state: TaskState;
  updated_by: string | null;
  created_at: Date;
  updated_at: Date;
}

interface LeaseRow {
  wave_id: string;
  holder: string;
  expires_at: Date;
}

const CLOSE_TIMEOUT_MS = 3_000;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const WAVE_COLUMNS = 'wave_id, env, target, plan_hash, state, control, concurrency, requested_by, approved_by, created_at, updated_at, finished_at';
const RUNTIME_COLUMNS = 'wave_id, runtime_id, runtime, state, attempts, result, updated_at';
const TASK_COLUMNS =
  'id, runtime_id, wave_id, env, global_account_id, subaccount_id, shoot_name, istio_crs, message, state, updated_by, created_at, updated_at';
const ACTIVE_STATES_SQL = ACTIVE_TASK_STATES.map((s) => `'${s}'`).join(', ');
const KEPT_CHECKPOINTS_SQL = START_KEEPS_CHECKPOINT.map((s) => `'${s}'`).join(', ');

function toWave(r: WaveRow): Wave {
  return {
    waveId: r.wave_id,
    env: r.env,
    target: r.target,
    planHash: r.plan_hash,
    state: r.state,
    control: r.control,
    concurrency: r.concurrency,
    requestedBy: r.requested_by,
    approvedBy: r.approved_by,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

function toWaveRuntime(r: WaveRuntimeRow): WaveRuntime {
  return {
    waveId: r.wave_id,
    runtimeId: r.runtime_id,
    runtime: r.runtime,
    state: r.state,
    attempts: r.attempts,
    result: r.result,
    updatedAt: r.updated_at.toISOString(),
  };
}

function toTask(r: TaskRow): CustomerTask {
  return {
    taskId: formatTaskId(Number(r.id)),
    runtimeId: r.runtime_id,
    waveId: r.wave_id,
    env: r.env,
    globalAccountId: r.global_account_id,
    subaccountId: r.subaccount_id,
    shootName: r.shoot_name,
    istioCrs: r.istio_crs,
    message: r.message,
    state: r.state,
    updatedBy: r.updated_by,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

function toLease(r: LeaseRow): Lease {
  return { waveId: r.wave_id, holder: r.holder, expiresAt: r.expires_at.toISOString() };
}

/** JSON parameters are always sent as text: pg would turn a JS array into a PostgreSQL array. */
const json = (v: unknown): string => JSON.stringify(v ?? null);

type Queryable = pg.Pool | pg.PoolClient;

/** A per-runtime write of a wave, as one row of the batched UPDATE. */
interface RuntimeWrite extends BatchedWrite {
  waveId: string;
  runtimeId: string;
  kind: 'start' | 'checkpoint' | 'finish';
  state: 'before-patch' | 'patched' | null;
  /** The MigrationResult as JSON text, for `finish`. */
  result: string | null;
  /** The runner that writes: the write applies only while it holds the wave's lease (null: unchecked). */
  holder: string | null;
}

const runtimeKey = (waveId: string, runtimeId: string) => `${waveId}\u0000${runtimeId}`;

export class PostgresJournal implements Journal {
  private closed = false;
  private readonly runtimeWrites = new WriteBatcher<RuntimeWrite>({
    flush: (batch) => this.applyRuntimeWrites(batch),
    notFound: (w) => this.whyNotWritten(w),
    failsAll: (e) => e instanceof JournalUnavailableError,
  });

  private constructor(private readonly pool: pg.Pool) {}

  /** Statements the group commit sent for start/checkpoint/finish so far (diagnostics and tests). */
  get runtimeWriteStatements(): number {
    return this.runtimeWrites.batches;
  }

  /**
   * Connects a pool (and creates `opts.schema` if given); fails fast when the server cannot be reached.
   * Does not migrate: call `migrate()` (or use `openJournal`).
   */
  static async connect(url: string, opts: PostgresJournalOptions = {}): Promise<PostgresJournal> {
    const { schema } = opts;
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new Error(`invalid journal schema name ${JSON.stringify(schema)} (lower-case letters, digits, _)`);
    const connectTimeoutMs = opts.connectTimeoutMs ?? (Number(process.env.ISTIO_MIGRATE_PG_CONNECT_TIMEOUT_MS) || 5_000);
    const queryTimeoutMs = opts.queryTimeoutMs ?? (Number(process.env.ISTIO_MIGRATE_PG_QUERY_TIMEOUT_MS) || 10_000);
    // A lost database must fail statements within seconds, never hang them: a connect timeout, a client-side query
    // timeout (an answer that never comes), the same limit on the server, idle connections closed, and TCP keepalive
    // so that a dead peer is noticed on idle connections too.
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.poolMax ?? 20,
      options: [schema ? `-c search_path=${schema}` : '', `-c statement_timeout=${queryTimeoutMs}`, `-c idle_in_transaction_session_timeout=${queryTimeoutMs * 3}`].filter(Boolean).join(' '),
      connectionTimeoutMillis: connectTimeoutMs,
      query_timeout: queryTimeoutMs + 1_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 5_000,
    });
    pool.on('error', (err) => opts.onError?.(err));
    try {
      if (schema) {
        try {
          await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        } catch (e) {
          // Two processes creating the same schema at once: the loser gets a unique violation; the schema exists.
          if ((e as { code?: string }).code !== '23505') throw e;
        }
      } else {
        await pool.query('SELECT 1');
      }
    } catch (e) {
      await pool.end();
      classify(e);
    }
    return new PostgresJournal(pool);
  }

  private async q<R extends pg.QueryResultRow>(name: string, text: string, values: unknown[] = [], on: Queryable = this.pool): Promise<pg.QueryResult<R>> {
    return on.query<R>({ name, text, values }).catch(classify);
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect().catch(classify);
    let lost = false;
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      lost = isConnectionLost(e) || e instanceof JournalUnavailableError;
      if (!lost) await c.query('ROLLBACK').catch(() => undefined);
      classify(e);
    } finally {
      // A connection that was lost is not given back to the pool for reuse.
      c.release(lost);
    }
  }

  private mustChange(rowCount: number | null, what: string): void {
    if (!rowCount) throw new JournalNotFoundError(what);
  }

  async migrate(): Promise<void> {
    await this.tx(async (c) => {
      // Replicas starting together: one applies, the others wait and then find nothing pending.
      await c.query(`SELECT pg_advisory_xact_lock(hashtext('istio-migrate:journal:migrate:' || current_schema()))`);
      await c.query(SCHEMA_VERSION_TABLE.postgres);
      const { rows } = await c.query<{ v: number }>('SELECT COALESCE(MAX(version), 0) AS v FROM schema_version');
      for (const m of pendingMigrations(rows[0].v)) {
        for (const sql of m.postgres) await c.query(sql);
        await c.query('INSERT INTO schema_version (version, description) VALUES ($1, $2)', [m.version, m.description]);
      }
    });
  }

  /** The schema version this store is at (0 before the first migration). */
  async schemaVersion(): Promise<number> {
    const exists = await this.pool.query<{ t: string | null }>(`SELECT to_regclass('schema_version')::text AS t`);
    if (!exists.rows[0].t) return 0;
    const { rows } = await this.pool.query<{ v: number }>('SELECT COALESCE(MAX(version), 0) AS v FROM schema_version');
    return rows[0].v;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Bounded: with the database unreachable, a connection's goodbye may never be answered.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)));
    await Promise.race([(async () => {
      await this.runtimeWrites.idle();
      await this.pool.end();
    })(), late]).finally(() => clearTimeout(timer));
  }

  /**
   * Deduplicated by hash: a plan stored before keeps its document (the same hash is the same runtimes and settings);
   * only who planned it last is updated, and not even that when it is the same user — so re-planning the same target
   * (any number of times) neither grows the journal nor rewrites its document.
   */
  async savePlan(plan: StoredPlan): Promise<void> {
    await this.q(
      'save-plan',
      `INSERT INTO plans (hash, env, target, document, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (hash) DO UPDATE SET created_by = EXCLUDED.created_by, created_at = EXCLUDED.created_at
       WHERE plans.created_by IS DISTINCT FROM EXCLUDED.created_by`,
      [plan.hash, plan.env, plan.target, json(plan.document), plan.createdBy, new Date(plan.createdAt)],
    );
  }

  async getPlan(hash: string): Promise<StoredPlan | undefined> {
    const { rows } = await this.q<{ hash: string; env: string; target: string; document: unknown; created_by: string; created_at: Date }>(
      hash.length >= 8 && hash.length < 64 ? 'get-plan-by-prefix' : 'get-plan',
      // A unique prefix of at least 8 characters names a plan too (messages show 12).
      hash.length >= 8 && hash.length < 64
        ? "SELECT hash, env, target, document, created_by, created_at FROM plans WHERE hash LIKE $1 || '%' LIMIT 2"
        : 'SELECT hash, env, target, document, created_by, created_at FROM plans WHERE hash = $1',
      [hash.length >= 8 && hash.length < 64 ? hash.replace(/[^0-9a-f]/g, '') : hash],
    );
    const r = rows.length === 1 ? rows[0] : undefined;
    return r && { hash: r.hash, env: r.env, target: r.target, document: r.document, createdBy: r.created_by, createdAt: r.created_at.toISOString() };
  }

  async createWave(
    w: Omit<Wave, 'waveId' | 'createdAt' | 'updatedAt' | 'finishedAt' | 'control'>,
    runtimes: PlannedRuntime[],
    now: Date = new Date(),
    opts: { exclusive?: boolean; consumeApproval?: { id: number; usedBy: string } } = {},
  ): Promise<Wave> {
    const day = waveDay(now);
    return this.tx(async (c) => {
      if (opts.exclusive) {
        // Serialise creators per environment (any process; the lock ends with the transaction), then check: under
        // READ COMMITTED the SELECT after the lock sees a wave the previous lock holder committed.
        await this.q('lock-wave-env', `SELECT pg_advisory_xact_lock(hashtext('istio-migrate:wave-env:' || current_schema() || ':' || $1))`, [w.env], c);
        const active = await this.q<{ wave_id: string; state: WaveState }>(
          'active-wave-of-env',
          `SELECT wave_id, state FROM waves WHERE env = $1 AND state = ANY ($2::text[]) ORDER BY seq DESC LIMIT 1`,
          [w.env, [...ACTIVE_WAVE_STATES]],
          c,
        );
        if (active.rows[0]) throw new WaveActiveError(w.env, active.rows[0].wave_id, active.rows[0].state);
      }
      if (opts.consumeApproval) {
        const { id, usedBy } = opts.consumeApproval;
        const used = await this.q('consume-approval', 'UPDATE approvals SET used_at = $2, used_by = $3 WHERE id = $1 AND used_at IS NULL', [id, now, usedBy], c);
        if (used.rowCount !== 1) throw new ApprovalUsedError(id);
      }
      const counter = await this.q<{ n: number }>(
        'next-wave-number',
        `INSERT INTO wave_counters (env, day, n) VALUES ($1, $2, 1)
         ON CONFLICT (env, day) DO UPDATE SET n = wave_counters.n + 1 RETURNING n`,
        [w.env, day],
        c,
      );
      const waveId = formatWaveId(w.env, day, counter.rows[0].n);
      const { rows } = await this.q<WaveRow>(
        'insert-wave',
        `INSERT INTO waves (wave_id, env, target, plan_hash, state, control, concurrency, requested_by, approved_by, created_at, updated_at, finished_at)
         VALUES ($1, $2, $3, $4, $5, 'none', $6, $7, $8, $9, $9, NULL) RETURNING ${WAVE_COLUMNS}`,
        [waveId, w.env, w.target, w.planHash, w.state, w.concurrency, w.requestedBy, w.approvedBy, now],
        c,
      );
      await this.q(
        'insert-wave-runtimes',
        `INSERT INTO wave_runtimes (wave_id, runtime_id, ord, runtime, state, attempts, result, updated_at)
         SELECT $1, x.runtime_id, x.ord - 1, x.runtime, 'pending', 0, NULL, $2
         FROM unnest($3::text[], $4::jsonb[]) WITH ORDINALITY AS x (runtime_id, runtime, ord)`,
        [waveId, now, runtimes.map((r) => r.runtimeId), runtimes.map((r) => JSON.stringify(r))],
        c,
      );
      return toWave(rows[0]);
    });
  }

  async getWave(waveId: string): Promise<Wave | undefined> {
    const { rows } = await this.q<WaveRow>('get-wave', `SELECT ${WAVE_COLUMNS} FROM waves WHERE wave_id = $1`, [waveId]);
    return rows[0] && toWave(rows[0]);
  }

  /** Newest first. */
  async listWaves(filter: { env?: string; states?: WaveState[] } = {}): Promise<Wave[]> {
    const { rows } = await this.q<WaveRow>(
      'list-waves',
      `SELECT ${WAVE_COLUMNS} FROM waves
       WHERE ($1::text IS NULL OR env = $1) AND ($2::text[] IS NULL OR state = ANY ($2::text[]))
       ORDER BY seq DESC`,
      [filter.env ?? null, filter.states ?? null],
    );
    return rows.map(toWave);
  }

  async setWaveState(waveId: string, state: WaveState): Promise<void> {
    const { rowCount } = await this.q(
      'set-wave-state',
      `UPDATE waves SET state = $2, updated_at = now(),
         finished_at = CASE WHEN $3::boolean THEN COALESCE(finished_at, now()) ELSE NULL END
       WHERE wave_id = $1`,
      [waveId, state, isFinalWaveState(state)],
    );
    this.mustChange(rowCount, `wave ${waveId}`);
  }

  async setWaveControl(waveId: string, control: WaveControl): Promise<void> {
    const { rowCount } = await this.q('set-wave-control', 'UPDATE waves SET control = $2, updated_at = now() WHERE wave_id = $1', [waveId, control]);
    this.mustChange(rowCount, `wave ${waveId}`);
  }

  async setWaveConcurrency(waveId: string, concurrency: number): Promise<void> {
    const { rowCount } = await this.q('set-wave-concurrency', 'UPDATE waves SET concurrency = $2, updated_at = now() WHERE wave_id = $1', [
      waveId,
      concurrency,
    ]);
    this.mustChange(rowCount, `wave ${waveId}`);
  }

  async setWaveApprover(waveId: string, approver: string): Promise<void> {
    const { rowCount } = await this.q('set-wave-approver', 'UPDATE waves SET approved_by = $2, updated_at = now() WHERE wave_id = $1', [waveId, approver]);
    this.mustChange(rowCount, `wave ${waveId}`);
  }

  /** In plan order. */
  async listWaveRuntimes(waveId: string): Promise<WaveRuntime[]> {
    const { rows } = await this.q<WaveRuntimeRow>('list-wave-runtimes', `SELECT ${RUNTIME_COLUMNS} FROM wave_runtimes WHERE wave_id = $1 ORDER BY ord`, [
      waveId,
    ]);
    return rows.map(toWaveRuntime);
  }

  /** Counts an attempt; see START_KEEPS_CHECKPOINT for the state. */
  // The three per-runtime writes of a wave go through the group commit (write-batch.ts): one statement and
  // one commit for every write that arrives while earlier ones are in flight.
  async startRuntime(waveId: string, runtimeId: string, holder?: string): Promise<void> {
    await this.runtimeWrites.submit({ key: runtimeKey(waveId, runtimeId), waveId, runtimeId, kind: 'start', state: null, result: null, holder: holder ?? null });
  }

  async checkpoint(waveId: string, runtimeId: string, state: 'before-patch' | 'patched', holder?: string): Promise<void> {
    await this.runtimeWrites.submit({ key: runtimeKey(waveId, runtimeId), waveId, runtimeId, kind: 'checkpoint', state, result: null, holder: holder ?? null });
  }

  async finishRuntime(waveId: string, runtimeId: string, result: MigrationResult, holder?: string): Promise<void> {
    await this.runtimeWrites.submit({ key: runtimeKey(waveId, runtimeId), waveId, runtimeId, kind: 'finish', state: null, result: json(result), holder: holder ?? null });
  }

  /** A runtime write that changed nothing: why (no such runtime, finished, or not the lease holder). */
  private async whyNotWritten(w: RuntimeWrite): Promise<Error> {
    const { rows } = await this.q<{ state: string }>('runtime-state', 'SELECT state FROM wave_runtimes WHERE wave_id = $1 AND runtime_id = $2', [w.waveId, w.runtimeId]);
    if (!rows[0]) return new JournalNotFoundError(`runtime ${w.runtimeId} in wave ${w.waveId}`);
    return new RuntimeWriteRefusedError(w.waveId, w.runtimeId, rows[0].state === 'finished' ? 'finished' : 'not-lease-holder', w.holder ?? undefined);
  }

  /** One UPDATE for a batch of runtime writes; the keys of the rows it changed. */
  private async applyRuntimeWrites(batch: readonly RuntimeWrite[]): Promise<ReadonlySet<string>> {
    const { rows } = await this.q<{ wave_id: string; runtime_id: string }>(
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
      [
        batch.map((w) => w.waveId),
        batch.map((w) => w.runtimeId),
        batch.map((w) => w.kind),
        batch.map((w) => w.state),
        batch.map((w) => w.result),
        batch.map((w) => w.holder),
      ],
    );
    return new Set(rows.map((r) => runtimeKey(r.wave_id, r.runtime_id)));
  }

  /** Finished runtimes among `runtimeIds` go back to `pending` with no result; attempts are kept; others are left alone. */
  async countWaveRuntimes(waveId: string): Promise<{ state: CheckpointState; outcome: string | null; n: number }[]> {
    const { rows } = await this.q<{ state: CheckpointState; outcome: string | null; n: number }>(
      'count-wave-runtimes',
      "SELECT state, result->>'outcome' AS outcome, count(*)::int AS n FROM wave_runtimes WHERE wave_id = $1 GROUP BY state, outcome",
      [waveId],
    );
    return rows;
  }

  async resetRuntimes(waveId: string, runtimeIds: string[]): Promise<void> {
    await this.q(
      'reset-runtimes',
      // A runtime this wave already patched goes back as `patched`: its retry waits instead of calling it
      // already migrated (C5).
      `UPDATE wave_runtimes SET state = CASE WHEN (result->>'patched')::boolean THEN 'patched' ELSE 'pending' END, result = NULL, updated_at = now()
       WHERE wave_id = $1 AND state = 'finished' AND runtime_id = ANY ($2::text[])`,
      [waveId, runtimeIds],
    );
  }

  /** Oldest wave first. */
  async runtimeHistory(runtimeId: string): Promise<WaveRuntime[]> {
    const { rows } = await this.q<WaveRuntimeRow>(
      'runtime-history',
      `SELECT r.wave_id, r.runtime_id, r.runtime, r.state, r.attempts, r.result, r.updated_at
       FROM wave_runtimes r JOIN waves w ON w.wave_id = r.wave_id WHERE r.runtime_id = $1 ORDER BY w.seq`,
      [runtimeId],
    );
    return rows.map(toWaveRuntime);
  }

  async recordApproval(a: Approval): Promise<void> {
    await this.q(
      'record-approval',
      'INSERT INTO approvals (plan_hash, approver, requested_by, action, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [a.planHash, a.approver, a.requestedBy, a.action, new Date(a.createdAt), new Date(a.expiresAt)],
    );
  }

  /** In the order recorded. */
  async listApprovals(planHash: string): Promise<Approval[]> {
    const { rows } = await this.q<{ id: number; plan_hash: string; approver: string; requested_by: string; action: string; created_at: Date; expires_at: Date; used_at: Date | null; used_by: string | null }>(
      'list-approvals',
      'SELECT id, plan_hash, approver, requested_by, action, created_at, expires_at, used_at, used_by FROM approvals WHERE plan_hash = $1 ORDER BY id',
      [planHash],
    );
    return rows.map((r) => ({
      planHash: r.plan_hash,
      approver: r.approver,
      requestedBy: r.requested_by,
      action: r.action,
      createdAt: r.created_at.toISOString(),
      expiresAt: r.expires_at.toISOString(),
      id: Number(r.id),
      usedAt: r.used_at ? r.used_at.toISOString() : null,
      usedBy: r.used_by,
    }));
  }

  async consumeApproval(id: number, usedBy: string, now = new Date()): Promise<boolean> {
    const { rowCount } = await this.q('consume-approval', 'UPDATE approvals SET used_at = $2, used_by = $3 WHERE id = $1 AND used_at IS NULL', [id, now, usedBy]);
    return rowCount === 1;
  }

  async cancelPlan(planHash: string, by: string, now = new Date()): Promise<void> {
    // Serialised per plan so that two cancels keep one cancellation in force.
    await this.tx(async (c) => {
      await this.q('lock-plan-cancel', `SELECT pg_advisory_xact_lock(hashtext('istio-migrate:plan-cancel:' || current_schema() || ':' || $1))`, [planHash], c);
      await this.q(
        'cancel-plan',
        `INSERT INTO plan_cancellations (plan_hash, cancelled_by, cancelled_at)
         SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM plan_cancellations WHERE plan_hash = $1 AND cleared_at IS NULL)`,
        [planHash, by, now],
        c,
      );
    });
  }

  async planCancellation(planHash: string): Promise<PlanCancellation | undefined> {
    const { rows } = await this.q<{ plan_hash: string; cancelled_by: string; cancelled_at: Date }>(
      'plan-cancellation',
      'SELECT plan_hash, cancelled_by, cancelled_at FROM plan_cancellations WHERE plan_hash = $1 AND cleared_at IS NULL ORDER BY id LIMIT 1',
      [planHash],
    );
    const r = rows[0];
    return r && { planHash: r.plan_hash, cancelledBy: r.cancelled_by, cancelledAt: r.cancelled_at.toISOString() };
  }

  async clearPlanCancellation(planHash: string, by: string, now = new Date()): Promise<boolean> {
    const { rowCount } = await this.q('clear-plan-cancellation', 'UPDATE plan_cancellations SET cleared_at = $2, cleared_by = $3 WHERE plan_hash = $1 AND cleared_at IS NULL', [planHash, now, by]);
    return (rowCount ?? 0) > 0;
  }

  async rememberOnce(key: string, ttlMs: number, now = new Date()): Promise<boolean> {
    // One statement: an expired row is taken over, a live one refuses (the primary key arbitrates concurrent callers).
    const { rowCount } = await this.q(
      'remember-once',
      `INSERT INTO seen_once (key, expires_at) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE seen_once.expires_at <= $3`,
      [key, new Date(now.getTime() + ttlMs), now],
    );
    await this.q('purge-seen-once', 'DELETE FROM seen_once WHERE expires_at <= $1', [now]);
    return rowCount === 1;
  }

  async openTask(t: Omit<CustomerTask, 'taskId' | 'state' | 'updatedBy' | 'createdAt' | 'updatedAt'>): Promise<CustomerTask> {
    // Insert unless an active task exists (the partial unique index arbitrates concurrent openers), else read it.
    // Between the two statements the active task may be closed: then try again.
    for (let i = 0; i < 5; i++) {
      const inserted = await this.q<TaskRow>(
        'open-task',
        `INSERT INTO tasks (runtime_id, wave_id, env, global_account_id, subaccount_id, shoot_name, istio_crs, message, state)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open')
         ON CONFLICT (runtime_id) WHERE state IN (${ACTIVE_STATES_SQL}) DO NOTHING
         RETURNING ${TASK_COLUMNS}`,
        [t.runtimeId, t.waveId, t.env, t.globalAccountId, t.subaccountId, t.shootName, json(t.istioCrs), t.message],
      );
      if (inserted.rows[0]) return toTask(inserted.rows[0]);
      const existing = await this.q<TaskRow>(
        'active-task',
        `SELECT ${TASK_COLUMNS} FROM tasks WHERE runtime_id = $1 AND state IN (${ACTIVE_STATES_SQL})`,
        [t.runtimeId],
      );
      if (existing.rows[0]) return toTask(existing.rows[0]);
    }
    throw new Error(`could not open a task for runtime ${t.runtimeId}: its active task kept changing`);
  }

  async getTask(taskId: string): Promise<CustomerTask | undefined> {
    const seq = taskSeqOf(taskId);
    if (seq === undefined) return undefined;
    const { rows } = await this.q<TaskRow>('get-task', `SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1`, [seq]);
    return rows[0] && toTask(rows[0]);
  }

  /** Oldest first. */
  async listTasks(filter: { states?: TaskState[] } = {}): Promise<CustomerTask[]> {
    const { rows } = await this.q<TaskRow>(
      'list-tasks',
      `SELECT ${TASK_COLUMNS} FROM tasks WHERE ($1::text[] IS NULL OR state = ANY ($1::text[])) ORDER BY id`,
      [filter.states ?? null],
    );
    return rows.map(toTask);
  }

  async setTaskState(taskId: string, state: TaskState, by: string): Promise<void> {
    const seq = taskSeqOf(taskId);
    if (seq === undefined) throw new JournalNotFoundError(`task ${taskId}`);
    const { rowCount } = await this.q('set-task-state', 'UPDATE tasks SET state = $2, updated_by = $3, updated_at = now() WHERE id = $1', [seq, state, by]);
    this.mustChange(rowCount, `task ${taskId}`);
  }

  async setTaskIstioCrs(taskId: string, istioCrs: CustomerTask['istioCrs']): Promise<void> {
    const seq = taskSeqOf(taskId);
    if (seq === undefined) throw new JournalNotFoundError(`task ${taskId}`);
    const { rowCount } = await this.q('set-task-istio-crs', 'UPDATE tasks SET istio_crs = $2, updated_at = now() WHERE id = $1', [seq, json(istioCrs)]);
    this.mustChange(rowCount, `task ${taskId}`);
  }

  async audit(e: Omit<AuditEntry, 'id' | 'at'> & { at?: string }): Promise<void> {
    await this.q('audit', 'INSERT INTO audit (at, actor, action, subject, detail) VALUES (COALESCE($1, now()), $2, $3, $4, $5)', [
      e.at === undefined ? null : new Date(e.at),
      e.actor,
      e.action,
      e.subject,
      json(e.detail),
    ]);
  }

  /** Newest first; `limit` keeps the newest. */
  async listAudit(filter: { subject?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const { rows } = await this.q<{ id: string; at: Date; actor: string; action: string; subject: string; detail: unknown }>(
      'list-audit',
      'SELECT id, at, actor, action, subject, detail FROM audit WHERE ($1::text IS NULL OR subject = $1) ORDER BY id DESC LIMIT $2',
      [filter.subject ?? null, filter.limit ?? null],
    );
    return rows.map((r) => ({ id: Number(r.id), at: r.at.toISOString(), actor: r.actor, action: r.action, subject: r.subject, detail: r.detail }));
  }

  async getSetting(key: string): Promise<string | undefined> {
    const { rows } = await this.q<{ value: string }>('get-setting', 'SELECT value FROM settings WHERE key = $1', [key]);
    return rows[0]?.value;
  }

  async setSetting(key: string, value: string | null): Promise<void> {
    if (value === null) await this.q('delete-setting', 'DELETE FROM settings WHERE key = $1', [key]);
    else
      await this.q(
        'set-setting',
        'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()',
        [key, value],
      );
  }

  async acquireLease(waveId: string, holder: string, ttlMs: number, opts: { takeOverFrom?: string } = {}): Promise<Lease> {
    // The upsert takes the lease when it is free, expired or ours; otherwise it changes nothing and the holder is
    // read. Between the two statements the holder may release it: then try again.
    for (let i = 0; i < 5; i++) {
      const taken = await this.q<LeaseRow>(
        'acquire-lease',
        `INSERT INTO leases (wave_id, holder, expires_at, acquired_at)
         VALUES ($1, $2, now() + $3::double precision * interval '1 millisecond', now())
         ON CONFLICT (wave_id) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at,
           acquired_at = CASE WHEN leases.holder = EXCLUDED.holder THEN leases.acquired_at ELSE EXCLUDED.acquired_at END
         WHERE leases.expires_at <= now() OR leases.holder = EXCLUDED.holder OR leases.holder = $4
         RETURNING wave_id, holder, expires_at`,
        [waveId, holder, ttlMs, opts.takeOverFrom ?? null],
      );
      if (taken.rows[0]) return toLease(taken.rows[0]);
      const current = await this.q<LeaseRow>('get-lease', 'SELECT wave_id, holder, expires_at FROM leases WHERE wave_id = $1', [waveId]);
      if (current.rows[0]) return toLease(current.rows[0]);
    }
    throw new Error(`could not acquire or read the lease of wave ${waveId}: it kept changing hands`);
  }

  async releaseLease(waveId: string, holder: string): Promise<void> {
    await this.q('release-lease', 'DELETE FROM leases WHERE wave_id = $1 AND holder = $2', [waveId, holder]);
  }

  async getLease(waveId: string): Promise<Lease | undefined> {
    const current = await this.q<LeaseRow>('get-lease', 'SELECT wave_id, holder, expires_at FROM leases WHERE wave_id = $1', [waveId]);
    return current.rows[0] ? toLease(current.rows[0]) : undefined;
  }
}
