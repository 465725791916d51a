/**
 * The journal in one SQLite file (better-sqlite3): the embedded default. WAL mode, `synchronous=NORMAL` (a
 * commit survives a process crash; a power loss may lose the last commits, never corrupt the file) and a
 * 5 s busy timeout, so several processes on one host can share the file. Statements are prepared once and
 * cached; every method runs synchronously and returns a settled promise.
 *
 * Limits: one host only (SQLite locking needs a local file system, not NFS); writers are serialised by the
 * file lock; leases are advisory rows with a TTL judged by each process's clock (fine on one host).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
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
import {
  ACTIVE_TASK_STATES,
  ACTIVE_WAVE_STATES,
  ApprovalUsedError,
  formatTaskId,
  formatWaveId,
  isFinalWaveState,
  JournalNotFoundError,
  RuntimeWriteRefusedError,
  START_KEEPS_CHECKPOINT,
  taskSeqOf,
  WaveActiveError,
  waveDay,
} from './records.js';

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
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

interface WaveRuntimeRow {
  wave_id: string;
  runtime_id: string;
  runtime: string;
  state: CheckpointState;
  attempts: number;
  result: string | null;
  updated_at: string;
}

interface TaskRow {
  id: number;
  runtime_id: string;
  wave_id: string | null;
  env: string;
  global_account_id: string;
  subaccount_id: string;
  shoot_name: string;
  istio_crs: string;
  message: string;
  state: TaskState;
  updated_by: string | null;
  created_at: string;
  updated_at: string;
}

interface PlanRow {
  hash: string;
  env: string;
  target: string;
  document: string;
  created_by: string;
  created_at: string;
}

interface ApprovalRow {
  id: number;
  used_at: string | null;
  used_by: string | null;
  plan_hash: string;
  approver: string;
  requested_by: string;
  action: string;
  created_at: string;
  expires_at: string;
}

interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail: string | null;
}

interface LeaseRow {
  wave_id: string;
  holder: string;
  expires_at_ms: number;
}

const WAVE_COLUMNS = 'wave_id, env, target, plan_hash, state, control, concurrency, requested_by, approved_by, created_at, updated_at, finished_at';
const RUNTIME_COLUMNS = 'wave_id, runtime_id, runtime, state, attempts, result, updated_at';
const ACTIVE_STATES_SQL = ACTIVE_TASK_STATES.map((s) => `'${s}'`).join(', ');
const KEPT_CHECKPOINTS_SQL = START_KEEPS_CHECKPOINT.map((s) => `'${s}'`).join(', ');
/**
 * A runner's write applies to an unfinished runtime, and (the holder: the last two parameters) only while that holder
 * holds the wave's lease; a write without a holder only while the wave has no lease at all.
 */
const WRITABLE_SQL =
  "state <> 'finished' AND ((? IS NULL AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.wave_id = wave_runtimes.wave_id)) OR EXISTS (SELECT 1 FROM leases l WHERE l.wave_id = wave_runtimes.wave_id AND l.holder = ?))";

const iso = (at: string): string => new Date(at).toISOString();
const nowIso = (): string => new Date().toISOString();

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
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
  };
}

function toWaveRuntime(r: WaveRuntimeRow): WaveRuntime {
  return {
    waveId: r.wave_id,
    runtimeId: r.runtime_id,
    runtime: JSON.parse(r.runtime) as PlannedRuntime,
    state: r.state,
    attempts: r.attempts,
    result: r.result === null ? null : (JSON.parse(r.result) as MigrationResult),
    updatedAt: r.updated_at,
  };
}

function toTask(r: TaskRow): CustomerTask {
  return {
    taskId: formatTaskId(r.id),
    runtimeId: r.runtime_id,
    waveId: r.wave_id,
    env: r.env,
    globalAccountId: r.global_account_id,
    subaccountId: r.subaccount_id,
    shootName: r.shoot_name,
    istioCrs: JSON.parse(r.istio_crs) as CustomerTask['istioCrs'],
    message: r.message,
    state: r.state,
    updatedBy: r.updated_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class SqliteJournal implements Journal {
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(private readonly db: Database.Database) {}

  /**
   * Opens (creating it and its directory if needed) the journal file, or an in-memory one for `:memory:`.
   * Does not migrate: call `migrate()` (or use `openJournal`).
   */
  static open(file: string): SqliteJournal {
    const inMemory = file === ':memory:' || file === '';
    if (!inMemory) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    db.pragma('busy_timeout = 5000');
    if (!inMemory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    return new SqliteJournal(db);
  }

  /** Prepares a statement once per connection; the SQL text is the cache key. */
  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** Runs `fn` in a BEGIN IMMEDIATE transaction: it takes the write lock first, so it never fails half-way on another process's write. */
  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Runs synchronous work as a promise: a throw becomes a rejection, as with the PostgreSQL journal. */
  private run<T>(fn: () => T): Promise<T> {
    return new Promise((resolve) => resolve(fn()));
  }

  private mustChange(changes: number, what: string): void {
    if (changes === 0) throw new JournalNotFoundError(what);
  }

  migrate(): Promise<void> {
    return this.run(() => {
      this.tx(() => {
        this.db.exec(SCHEMA_VERSION_TABLE.sqlite);
        const row = this.db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_version').get() as { v: number };
        for (const m of pendingMigrations(row.v)) {
          for (const sql of m.sqlite) this.db.exec(sql);
          this.db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(m.version, m.description, nowIso());
        }
      });
    });
  }

  /** The schema version this store is at (0 before the first migration). */
  schemaVersion(): Promise<number> {
    return this.run(() => {
      this.db.exec(SCHEMA_VERSION_TABLE.sqlite);
      const row = this.db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_version').get() as { v: number };
      return row.v;
    });
  }

  close(): Promise<void> {
    return this.run(() => {
      if (this.db.open) this.db.close();
      this.statements.clear();
    });
  }

  /** Deduplicated by hash, as in the PostgreSQL journal: the first document stays; only who planned it last changes. */
  savePlan(plan: StoredPlan): Promise<void> {
    return this.run(() => {
      this.stmt(
        `INSERT INTO plans (hash, env, target, document, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (hash) DO UPDATE SET created_by = excluded.created_by, created_at = excluded.created_at
         WHERE plans.created_by IS NOT excluded.created_by`,
      ).run(plan.hash, plan.env, plan.target, JSON.stringify(plan.document ?? null), plan.createdBy, iso(plan.createdAt));
    });
  }

  getPlan(hash: string): Promise<StoredPlan | undefined> {
    return this.run(() => {
      // A unique prefix of at least 8 characters names a plan too (messages show 12).
      const rows = (hash.length >= 8 && hash.length < 64
        ? this.stmt("SELECT hash, env, target, document, created_by, created_at FROM plans WHERE hash LIKE ? || '%' LIMIT 2").all(hash.replace(/[^0-9a-f]/g, ''))
        : this.stmt('SELECT hash, env, target, document, created_by, created_at FROM plans WHERE hash = ?').all(hash)) as PlanRow[];
      const r = rows.length === 1 ? rows[0] : undefined;
      return r && { hash: r.hash, env: r.env, target: r.target, document: JSON.parse(r.document) as unknown, createdBy: r.created_by, createdAt: r.created_at };
    });
  }

  createWave(
    w: Omit<Wave, 'waveId' | 'createdAt' | 'updatedAt' | 'finishedAt' | 'control'>,
    runtimes: PlannedRuntime[],
    now: Date = new Date(),
    opts: { exclusive?: boolean; consumeApproval?: { id: number; usedBy: string } } = {},
  ): Promise<Wave> {
    return this.run(() =>
      this.tx(() => {
        if (opts.exclusive) {
          // Inside the BEGIN IMMEDIATE transaction: the write lock is held, so no other connection or process can
          // create a wave between this check and the insert below.
          const active = this.stmt(
            `SELECT wave_id, state FROM waves WHERE env = ? AND state IN (SELECT value FROM json_each(?)) ORDER BY seq DESC LIMIT 1`,
          ).get(w.env, JSON.stringify(ACTIVE_WAVE_STATES)) as { wave_id: string; state: WaveState } | undefined;
          if (active) throw new WaveActiveError(w.env, active.wave_id, active.state);
        }
        if (opts.consumeApproval) {
          const { id, usedBy } = opts.consumeApproval;
          const used = this.stmt('UPDATE approvals SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL').run(now.toISOString(), usedBy, id).changes;
          if (used !== 1) throw new ApprovalUsedError(id);
        }
        const at = now.toISOString();
        const day = waveDay(now);
        const { n } = this.stmt(
          `INSERT INTO wave_counters (env, day, n) VALUES (?, ?, 1)
           ON CONFLICT (env, day) DO UPDATE SET n = n + 1 RETURNING n`,
        ).get(w.env, day) as { n: number };
        const waveId = formatWaveId(w.env, day, n);
        const row = this.stmt(
          `INSERT INTO waves (wave_id, env, target, plan_hash, state, control, concurrency, requested_by, approved_by, created_at, updated_at, finished_at)
           VALUES (?, ?, ?, ?, ?, 'none', ?, ?, ?, ?, ?, NULL) RETURNING ${WAVE_COLUMNS}`,
        ).get(waveId, w.env, w.target, w.planHash, w.state, w.concurrency, w.requestedBy, w.approvedBy, at, at) as WaveRow;
        const insert = this.stmt(
          `INSERT INTO wave_runtimes (wave_id, runtime_id, ord, runtime, state, attempts, result, updated_at) VALUES (?, ?, ?, ?, 'pending', 0, NULL, ?)`,
        );
        runtimes.forEach((r, i) => insert.run(waveId, r.runtimeId, i, JSON.stringify(r), at));
        return toWave(row);
      }),
    );
  }

  getWave(waveId: string): Promise<Wave | undefined> {
    return this.run(() => {
      const r = this.stmt(`SELECT ${WAVE_COLUMNS} FROM waves WHERE wave_id = ?`).get(waveId) as WaveRow | undefined;
      return r && toWave(r);
    });
  }

  /** Newest first. */
  listWaves(filter: { env?: string; states?: WaveState[] } = {}): Promise<Wave[]> {
    return this.run(() => {
      const rows = this.stmt(
        `SELECT ${WAVE_COLUMNS} FROM waves
         WHERE (@env IS NULL OR env = @env) AND (@states IS NULL OR state IN (SELECT value FROM json_each(@states)))
         ORDER BY seq DESC`,
      ).all({ env: filter.env ?? null, states: filter.states ? JSON.stringify(filter.states) : null }) as WaveRow[];
      return rows.map(toWave);
    });
  }

  setWaveState(waveId: string, state: WaveState): Promise<void> {
    return this.run(() => {
      const at = nowIso();
      const { changes } = this.stmt(
        'UPDATE waves SET state = @state, updated_at = @at, finished_at = CASE WHEN @final THEN COALESCE(finished_at, @at) ELSE NULL END WHERE wave_id = @waveId',
      ).run({ state, at, final: isFinalWaveState(state) ? 1 : 0, waveId });
      this.mustChange(changes, `wave ${waveId}`);
    });
  }

  setWaveControl(waveId: string, control: WaveControl): Promise<void> {
    return this.run(() => this.updateWave(waveId, 'control', control));
  }

  setWaveConcurrency(waveId: string, concurrency: number): Promise<void> {
    return this.run(() => this.updateWave(waveId, 'concurrency', concurrency));
  }

  setWaveApprover(waveId: string, approver: string): Promise<void> {
    return this.run(() => this.updateWave(waveId, 'approved_by', approver));
  }

  private updateWave(waveId: string, column: 'control' | 'concurrency' | 'approved_by', value: string | number): void {
    const { changes } = this.stmt(`UPDATE waves SET ${column} = ?, updated_at = ? WHERE wave_id = ?`).run(value, nowIso(), waveId);
    this.mustChange(changes, `wave ${waveId}`);
  }

  /** In plan order. */
  listWaveRuntimes(waveId: string): Promise<WaveRuntime[]> {
    return this.run(() => {
      const rows = this.stmt(`SELECT ${RUNTIME_COLUMNS} FROM wave_runtimes WHERE wave_id = ? ORDER BY ord`).all(waveId) as WaveRuntimeRow[];
      return rows.map(toWaveRuntime);
    });
  }

  /** Counts an attempt; see START_KEEPS_CHECKPOINT for the state. */
  startRuntime(waveId: string, runtimeId: string, holder?: string): Promise<void> {
    return this.run(() => {
      const { changes } = this.stmt(
        `UPDATE wave_runtimes SET state = CASE WHEN state IN (${KEPT_CHECKPOINTS_SQL}) THEN state ELSE 'running' END,
           attempts = attempts + 1, updated_at = ? WHERE wave_id = ? AND runtime_id = ? AND ${WRITABLE_SQL}`,
      ).run(nowIso(), waveId, runtimeId, holder ?? null, holder ?? null);
      this.mustWrite(changes, waveId, runtimeId, holder);
    });
  }

  checkpoint(waveId: string, runtimeId: string, state: 'before-patch' | 'patched', holder?: string): Promise<void> {
    return this.run(() => {
      const { changes } = this.stmt(`UPDATE wave_runtimes SET state = ?, updated_at = ? WHERE wave_id = ? AND runtime_id = ? AND ${WRITABLE_SQL}`).run(
        state,
        nowIso(),
        waveId,
        runtimeId,
        holder ?? null,
        holder ?? null,
      );
      this.mustWrite(changes, waveId, runtimeId, holder);
    });
  }

  finishRuntime(waveId: string, runtimeId: string, result: MigrationResult, holder?: string): Promise<void> {
    return this.run(() => {
      const { changes } = this.stmt(
        `UPDATE wave_runtimes SET state = 'finished', result = ?, updated_at = ? WHERE wave_id = ? AND runtime_id = ? AND ${WRITABLE_SQL}`,
      ).run(JSON.stringify(result), nowIso(), waveId, runtimeId, holder ?? null, holder ?? null);
      this.mustWrite(changes, waveId, runtimeId, holder);
    });
  }

  /** A runtime write that changed nothing: why (no such runtime, finished, or not the lease holder). */
  private mustWrite(changes: number, waveId: string, runtimeId: string, holder: string | undefined): void {
    if (changes) return;
    const row = this.stmt('SELECT state FROM wave_runtimes WHERE wave_id = ? AND runtime_id = ?').get(waveId, runtimeId) as { state: string } | undefined;
    if (!row) throw new JournalNotFoundError(`runtime ${runtimeId} in wave ${waveId}`);
    throw new RuntimeWriteRefusedError(waveId, runtimeId, row.state === 'finished' ? 'finished' : 'not-lease-holder', holder);
  }

  /** Finished runtimes among `runtimeIds` go back to `pending` with no result; attempts are kept; others are left alone. */
  countWaveRuntimes(waveId: string): Promise<{ state: CheckpointState; outcome: string | null; n: number }[]> {
    return this.run(
      () =>
        this.stmt(
          "SELECT state, json_extract(result, '$.outcome') AS outcome, COUNT(*) AS n FROM wave_runtimes WHERE wave_id = ? GROUP BY state, outcome",
        ).all(waveId) as { state: CheckpointState; outcome: string | null; n: number }[],
    );
  }

  resetRuntimes(waveId: string, runtimeIds: string[]): Promise<void> {
    return this.run(() => {
      this.stmt(
        // A runtime this wave already patched goes back as `patched`: its retry waits instead of calling it
        // already migrated (C5).
        `UPDATE wave_runtimes SET state = CASE WHEN json_extract(result, '$.patched') THEN 'patched' ELSE 'pending' END, result = NULL, updated_at = ?
         WHERE wave_id = ? AND state = 'finished' AND runtime_id IN (SELECT value FROM json_each(?))`,
      ).run(nowIso(), waveId, JSON.stringify(runtimeIds));
    });
  }

  /** Oldest wave first. */
  runtimeHistory(runtimeId: string): Promise<WaveRuntime[]> {
    return this.run(() => {
      const rows = this.stmt(
        `SELECT r.wave_id, r.runtime_id, r.runtime, r.state, r.attempts, r.result, r.updated_at
         FROM wave_runtimes r JOIN waves w ON w.wave_id = r.wave_id WHERE r.runtime_id = ? ORDER BY w.seq`,
      ).all(runtimeId) as WaveRuntimeRow[];
      return rows.map(toWaveRuntime);
    });
  }

  recordApproval(a: Approval): Promise<void> {
    return this.run(() => {
      this.stmt('INSERT INTO approvals (plan_hash, approver, requested_by, action, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)').run(
        a.planHash,
        a.approver,
        a.requestedBy,
        a.action,
        iso(a.createdAt),
        iso(a.expiresAt),
      );
    });
  }

  /** In the order recorded. */
  listApprovals(planHash: string): Promise<Approval[]> {
    return this.run(() => {
      const rows = this.stmt(
        'SELECT id, plan_hash, approver, requested_by, action, created_at, expires_at, used_at, used_by FROM approvals WHERE plan_hash = ? ORDER BY id',
      ).all(planHash) as ApprovalRow[];
      return rows.map((r) => ({
        planHash: r.plan_hash,
        approver: r.approver,
        requestedBy: r.requested_by,
        action: r.action,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
        id: r.id,
        usedAt: r.used_at,
        usedBy: r.used_by,
      }));
    });
  }

  consumeApproval(id: number, usedBy: string, now = new Date()): Promise<boolean> {
    return this.run(() => this.stmt('UPDATE approvals SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL').run(now.toISOString(), usedBy, id).changes === 1);
  }

  cancelPlan(planHash: string, by: string, now = new Date()): Promise<void> {
    return this.run(() =>
      this.tx(() => {
        const open = this.stmt('SELECT id FROM plan_cancellations WHERE plan_hash = ? AND cleared_at IS NULL LIMIT 1').get(planHash);
        if (!open) this.stmt('INSERT INTO plan_cancellations (plan_hash, cancelled_by, cancelled_at) VALUES (?, ?, ?)').run(planHash, by, now.toISOString());
      }),
    );
  }

  planCancellation(planHash: string): Promise<PlanCancellation | undefined> {
    return this.run(() => {
      const r = this.stmt('SELECT plan_hash, cancelled_by, cancelled_at FROM plan_cancellations WHERE plan_hash = ? AND cleared_at IS NULL ORDER BY id LIMIT 1').get(planHash) as
        | { plan_hash: string; cancelled_by: string; cancelled_at: string }
        | undefined;
      return r && { planHash: r.plan_hash, cancelledBy: r.cancelled_by, cancelledAt: r.cancelled_at };
    });
  }

  clearPlanCancellation(planHash: string, by: string, now = new Date()): Promise<boolean> {
    return this.run(() => this.stmt('UPDATE plan_cancellations SET cleared_at = ?, cleared_by = ? WHERE plan_hash = ? AND cleared_at IS NULL').run(now.toISOString(), by, planHash).changes > 0);
  }

  rememberOnce(key: string, ttlMs: number, now = new Date()): Promise<boolean> {
    return this.run(() =>
      this.tx(() => {
        const t = now.getTime();
        this.stmt('DELETE FROM seen_once WHERE expires_at_ms <= ?').run(t);
        return this.stmt('INSERT INTO seen_once (key, expires_at_ms) VALUES (?, ?) ON CONFLICT (key) DO NOTHING').run(key, t + ttlMs).changes === 1;
      }),
    );
  }

  openTask(t: Omit<CustomerTask, 'taskId' | 'state' | 'updatedBy' | 'createdAt' | 'updatedAt'>): Promise<CustomerTask> {
    return this.run(() =>
      this.tx(() => {
        const existing = this.stmt(`SELECT * FROM tasks WHERE runtime_id = ? AND state IN (${ACTIVE_STATES_SQL})`).get(t.runtimeId) as TaskRow | undefined;
        if (existing) return toTask(existing);
        const at = nowIso();
        const row = this.stmt(
          `INSERT INTO tasks (runtime_id, wave_id, env, global_account_id, subaccount_id, shoot_name, istio_crs, message, state, updated_by, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', NULL, ?, ?) RETURNING *`,
        ).get(t.runtimeId, t.waveId, t.env, t.globalAccountId, t.subaccountId, t.shootName, JSON.stringify(t.istioCrs), t.message, at, at) as TaskRow;
        return toTask(row);
      }),
    );
  }

  getTask(taskId: string): Promise<CustomerTask | undefined> {
    return this.run(() => {
      const seq = taskSeqOf(taskId);
      if (seq === undefined) return undefined;
      const r = this.stmt('SELECT * FROM tasks WHERE id = ?').get(seq) as TaskRow | undefined;
      return r && toTask(r);
    });
  }

  /** Oldest first. */
  listTasks(filter: { states?: TaskState[] } = {}): Promise<CustomerTask[]> {
    return this.run(() => {
      const rows = this.stmt('SELECT * FROM tasks WHERE (@states IS NULL OR state IN (SELECT value FROM json_each(@states))) ORDER BY id').all({
        states: filter.states ? JSON.stringify(filter.states) : null,
      }) as TaskRow[];
      return rows.map(toTask);
    });
  }

  setTaskState(taskId: string, state: TaskState, by: string): Promise<void> {
    return this.run(() => {
      const seq = taskSeqOf(taskId);
      const { changes } = seq === undefined ? { changes: 0 } : this.stmt('UPDATE tasks SET state = ?, updated_by = ?, updated_at = ? WHERE id = ?').run(state, by, nowIso(), seq);
      this.mustChange(changes, `task ${taskId}`);
    });
  }

  setTaskIstioCrs(taskId: string, istioCrs: CustomerTask['istioCrs']): Promise<void> {
    return this.run(() => {
      const seq = taskSeqOf(taskId);
      const { changes } = seq === undefined ? { changes: 0 } : this.stmt('UPDATE tasks SET istio_crs = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(istioCrs), nowIso(), seq);
      this.mustChange(changes, `task ${taskId}`);
    });
  }

  audit(e: Omit<AuditEntry, 'id' | 'at'> & { at?: string }): Promise<void> {
    return this.run(() => {
      this.stmt('INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)').run(
        e.at === undefined ? nowIso() : iso(e.at),
        e.actor,
        e.action,
        e.subject,
        JSON.stringify(e.detail ?? null),
      );
    });
  }

  /** Newest first; `limit` keeps the newest. */
  listAudit(filter: { subject?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    return this.run(() => {
      const rows = this.stmt('SELECT * FROM audit WHERE (@subject IS NULL OR subject = @subject) ORDER BY id DESC LIMIT @limit').all({
        subject: filter.subject ?? null,
        limit: filter.limit ?? -1,
      }) as AuditRow[];
      return rows.map((r) => ({ id: r.id, at: r.at, actor: r.actor, action: r.action, subject: r.subject, detail: r.detail === null ? null : (JSON.parse(r.detail) as unknown) }));
    });
  }

  getSetting(key: string): Promise<string | undefined> {
    return this.run(() => {
      const r = this.stmt('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
      return r?.value;
    });
  }

  setSetting(key: string, value: string | null): Promise<void> {
    return this.run(() => {
      if (value === null) this.stmt('DELETE FROM settings WHERE key = ?').run(key);
      else
        this.stmt('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at').run(
          key,
          value,
          nowIso(),
        );
    });
  }

  acquireLease(waveId: string, holder: string, ttlMs: number, opts: { takeOverFrom?: string } = {}): Promise<Lease> {
    return this.run(() => {
      const lease = this.tx(() => {
        const now = Date.now();
        this.stmt(
          `INSERT INTO leases (wave_id, holder, expires_at_ms, acquired_at) VALUES (@waveId, @holder, @expires, @at)
           ON CONFLICT (wave_id) DO UPDATE SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms,
             acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END
           WHERE leases.expires_at_ms <= @now OR leases.holder = excluded.holder OR leases.holder = @dead`,
        ).run({ waveId, holder, expires: now + ttlMs, at: new Date(now).toISOString(), now, dead: opts.takeOverFrom ?? null });
        return this.stmt('SELECT wave_id, holder, expires_at_ms FROM leases WHERE wave_id = ?').get(waveId) as LeaseRow;
      });
      return { waveId: lease.wave_id, holder: lease.holder, expiresAt: new Date(lease.expires_at_ms).toISOString() };
    });
  }

  releaseLease(waveId: string, holder: string): Promise<void> {
    return this.run(() => {
      this.stmt('DELETE FROM leases WHERE wave_id = ? AND holder = ?').run(waveId, holder);
    });
  }

  getLease(waveId: string): Promise<Lease | undefined> {
    return this.run(() => {
      const row = this.stmt('SELECT wave_id, holder, expires_at_ms FROM leases WHERE wave_id = ?').get(waveId) as LeaseRow | undefined;
      return row ? { waveId: row.wave_id, holder: row.holder, expiresAt: new Date(row.expires_at_ms).toISOString() } : undefined;
    });
  }
}
