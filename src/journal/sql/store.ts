/**
 * The journal in SQL, once for both stores: every statement, its parameters and the mapping of its rows. A
 * dialect (sqlite/, postgres/) gives the driver (sync or async, its transactions), a few SQL fragments and the
 * DDL column types, and overrides what really differs: how a wave's runtimes are inserted, leases and seen-once
 * keys (expiry judged by the process clock vs. the database clock), and PostgreSQL's group commit of runtime writes.
 */
import type { MigrationResult } from '../../migration/result.js';
import type { Approval, AuditEntry, CheckpointState, CustomerTask, Journal, Lease, PlanCancellation, PlannedRuntime, StoredPlan, TaskState, Wave, WaveControl, WaveRuntime, WaveState } from '../journal.js';
import { ApprovalUsedError, JournalNotFoundError, RuntimeWriteRefusedError, WaveActiveError } from '../errors.js';
import { ACTIVE_TASK_STATES, ACTIVE_WAVE_STATES, CANCELLED_BY, formatWaveId, isFinalWaveState, START_KEEPS_CHECKPOINT, taskSeqOf, waveDay } from '../ids-and-states.js';
import { pendingMigrations, schemaVersionTable } from '../migrations/index.js';
import type { DdlTypes, Dialect, Driver, Session } from './dialect.js';
import * as rows from './rows.js';
import { APPROVAL_COLUMNS, iso, json, PLAN_COLUMNS, RUNTIME_COLUMNS, TASK_COLUMNS, WAVE_COLUMNS, type LeaseRow, type Stamp } from './rows.js';
import { SqlTypedRecords } from './typed-store.js';

const ACTIVE_STATES_SQL = ACTIVE_TASK_STATES.map((s) => `'${s}'`).join(', ');
export const KEPT_CHECKPOINTS_SQL = START_KEEPS_CHECKPOINT.map((s) => `'${s}'`).join(', ');

/** A per-runtime write of a runner: start, checkpoint or finish. */
export interface RuntimeWrite {
  waveId: string;
  runtimeId: string;
  kind: 'start' | 'checkpoint' | 'finish';
  state: 'before-patch' | 'patched' | null;
  /** The MigrationResult as JSON text, for `finish`. */
  result: string | null;
  /** The runner that writes: the write applies only while it holds the wave's lease (null: only while it has none). */
  holder: string | null;
}

/** A plan_cancellations row as the journal answers it. */
function toCancellation(r: { plan_hash: string; cancelled_by: string; cancelled_at: Stamp }): PlanCancellation {
  return { planHash: r.plan_hash, cancelledBy: r.cancelled_by, cancelledAt: rows.isoOf(r.cancelled_at) };
}

/** What names a plan by prefix: 8 to 63 hex digits (a whole hash is 64). */
const PLAN_PREFIX = /^[0-9a-f]{8,63}$/;

type NewWave = Omit<Wave, 'waveId' | 'createdAt' | 'updatedAt' | 'finishedAt' | 'control'>;

export abstract class SqlJournal extends SqlTypedRecords implements Journal {
  constructor(
    protected readonly driver: Driver,
    d: Dialect,
    private readonly types: DdlTypes,
  ) {
    super(driver, d);
  }

  /** Inserts a new wave's runtimes, in plan order, inside createWave's transaction. */
  protected abstract insertRuntimes(s: Session, waveId: string, at: string, runtimes: PlannedRuntime[]): Promise<void>;
  abstract acquireLease(waveId: string, holder: string, ttlMs: number, opts?: { takeOverFrom?: string }): Promise<Lease>;
  abstract rememberOnce(key: string, ttlMs: number, now?: Date): Promise<boolean>;

  private mustChange(changes: number, what: string): void {
    if (!changes) throw new JournalNotFoundError(what);
  }

  /** Applies the pending migrations (up to version `upTo`: tests build a journal as an older version left it). */
  async migrate(upTo = Infinity): Promise<void> {
    await this.driver.tx(async (s) => {
      // Replicas starting together: one applies, the others wait and then find nothing pending.
      await this.d.lock(s, 'journal:migrate:', '');
      await s.query(undefined, schemaVersionTable(this.types));
      const { rows: v } = await s.query<{ v: number }>(undefined, 'SELECT COALESCE(MAX(version), 0) AS v FROM schema_version');
      for (const m of pendingMigrations(Number(v[0].v)).filter((p) => p.version <= upTo)) {
        for (const sql of m.ddl(this.types)) await s.query(undefined, sql);
        await m.move?.(s, this.d);
        await s.query(undefined, `INSERT INTO schema_version (version, description, applied_at) VALUES ($1, $2, ${this.d.now})`, [m.version, m.description]);
      }
    });
  }

  close(): Promise<void> {
    return this.driver.close();
  }

  /** Deduplicated by hash: the first document stays; only who planned it last (and when) changes, if someone else did. */
  async savePlan(plan: StoredPlan): Promise<void> {
    await this.db.query(
      'save-plan',
      `INSERT INTO plans (${PLAN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (hash) DO UPDATE SET created_by = excluded.created_by, created_at = excluded.created_at
       WHERE plans.created_by IS DISTINCT FROM excluded.created_by`,
      [plan.hash, plan.env, plan.target, json(plan.document), plan.createdBy, iso(plan.createdAt)],
    );
  }

  async getPlan(hash: string): Promise<StoredPlan | undefined> {
    const exact = await this.db.query<rows.PlanRow>('get-plan', `SELECT ${PLAN_COLUMNS} FROM plans WHERE hash = $1`, [hash]);
    if (exact.rows.length) return rows.toPlan(exact.rows[0]);
    // A unique prefix of at least 8 hex digits names a plan too (messages show 12), in either case. Anything else names
    // none: a typo must not resolve to whichever plan its hex digits happen to prefix.
    const prefix = hash.toLowerCase();
    if (!PLAN_PREFIX.test(prefix)) return undefined;
    const { rows: found } = await this.db.query<rows.PlanRow>('get-plan-by-prefix', `SELECT ${PLAN_COLUMNS} FROM plans WHERE hash LIKE $1 || '%' LIMIT 2`, [prefix]);
    return found.length === 1 ? rows.toPlan(found[0]) : undefined;
  }

  createWave(w: NewWave, runtimes: PlannedRuntime[], now: Date = new Date(), opts: { exclusive?: boolean; consumeApproval?: { id: number; usedBy: string } } = {}): Promise<Wave> {
    const at = now.toISOString();
    const day = waveDay(now);
    return this.driver.tx(async (s) => {
      if (opts.exclusive) {
        // Serialised per environment (SQLite: the write lock of BEGIN IMMEDIATE; PostgreSQL: an advisory lock), so
        // this check sees a wave that the previous creator committed.
        await this.d.lock(s, 'wave-env:', `:${w.env}`);
        const { rows: active } = await s.query<{ wave_id: string; state: WaveState }>(
          'active-wave-of-env',
          `SELECT wave_id, state FROM waves WHERE env = $1 AND ${this.d.inList('state', '$2')} ORDER BY seq DESC LIMIT 1`,
          [w.env, this.d.list(ACTIVE_WAVE_STATES)],
        );
        if (active[0]) throw new WaveActiveError(w.env, active[0].wave_id, active[0].state);
      }
      if (opts.consumeApproval) {
        const { id, usedBy } = opts.consumeApproval;
        if ((await this.useApproval(s, id, usedBy, at)) !== 1) throw new ApprovalUsedError(id);
      }
      const { rows: counter } = await s.query<{ n: number }>(
        'next-wave-number',
        'INSERT INTO wave_counters (env, day, n) VALUES ($1, $2, 1) ON CONFLICT (env, day) DO UPDATE SET n = wave_counters.n + 1 RETURNING n',
        [w.env, day],
      );
      const waveId = formatWaveId(w.env, day, counter[0].n);
      const { rows: inserted } = await s.query<rows.WaveRow>(
        'insert-wave',
        `INSERT INTO waves (${WAVE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, 'none', $6, $7, $8, $9, $9, NULL) RETURNING ${WAVE_COLUMNS}`,
        [waveId, w.env, w.target, w.planHash, w.state, w.concurrency, w.requestedBy, w.approvedBy, at],
      );
      await this.insertRuntimes(s, waveId, at, runtimes);
      return rows.toWave(inserted[0]);
    });
  }

  async getWave(waveId: string): Promise<Wave | undefined> {
    const { rows: found } = await this.db.query<rows.WaveRow>('get-wave', `SELECT ${WAVE_COLUMNS} FROM waves WHERE wave_id = $1`, [waveId]);
    return found[0] && rows.toWave(found[0]);
  }

  /** Newest first. */
  async listWaves(filter: { env?: string; states?: WaveState[] } = {}): Promise<Wave[]> {
    const { rows: found } = await this.db.query<rows.WaveRow>(
      'list-waves',
      `SELECT ${WAVE_COLUMNS} FROM waves
       WHERE (CAST($1 AS TEXT) IS NULL OR env = $1) AND (${this.d.listIsNull('$2')} OR ${this.d.inList('state', '$2')})
       ORDER BY seq DESC`,
      [filter.env ?? null, this.d.list(filter.states)],
    );
    return found.map(rows.toWave);
  }

  async setWaveState(waveId: string, state: WaveState): Promise<void> {
    const { changes } = await this.db.query(
      'set-wave-state',
      `UPDATE waves SET state = $2, updated_at = ${this.d.now},
         finished_at = CASE WHEN $3 = 1 THEN COALESCE(finished_at, ${this.d.now}) ELSE NULL END
       WHERE wave_id = $1`,
      [waveId, state, isFinalWaveState(state) ? 1 : 0],
    );
    this.mustChange(changes, `wave ${waveId}`);
  }

  setWaveControl(waveId: string, control: WaveControl): Promise<void> {
    return this.updateWave(waveId, 'control', control);
  }

  setWaveConcurrency(waveId: string, concurrency: number): Promise<void> {
    return this.updateWave(waveId, 'concurrency', concurrency);
  }

  setWaveApprover(waveId: string, approver: string): Promise<void> {
    return this.updateWave(waveId, 'approved_by', approver);
  }

  private async updateWave(waveId: string, column: 'control' | 'concurrency' | 'approved_by', value: string | number): Promise<void> {
    const { changes } = await this.db.query(`set-wave-${column}`, `UPDATE waves SET ${column} = $2, updated_at = ${this.d.now} WHERE wave_id = $1`, [waveId, value]);
    this.mustChange(changes, `wave ${waveId}`);
  }

  /** In plan order. */
  async listWaveRuntimes(waveId: string): Promise<WaveRuntime[]> {
    const { rows: found } = await this.db.query<rows.WaveRuntimeRow>('list-wave-runtimes', `SELECT ${RUNTIME_COLUMNS} FROM wave_runtimes WHERE wave_id = $1 ORDER BY ord`, [waveId]);
    return found.map(rows.toWaveRuntime);
  }

  async countWaveRuntimes(waveId: string): Promise<{ state: CheckpointState; outcome: string | null; n: number }[]> {
    const { rows: found } = await this.db.query<{ state: CheckpointState; outcome: string | null; n: number }>(
      'count-wave-runtimes',
      `SELECT state, ${this.d.jsonText('result', 'outcome')} AS outcome, CAST(COUNT(*) AS INTEGER) AS n FROM wave_runtimes WHERE wave_id = $1 GROUP BY state, outcome`,
      [waveId],
    );
    return found;
  }

  async countFinishedSince(waveId: string, since: Date): Promise<number> {
    // ISO 8601 timestamps of one clock (the runner's, in UTC) compare as text.
    const { rows: found } = await this.db.query<{ n: number }>(
      'count-finished-since',
      `SELECT CAST(COUNT(*) AS INTEGER) AS n FROM wave_runtimes WHERE wave_id = $1 AND state = 'finished' AND ${this.d.jsonText('result', 'finishedAt')} >= $2`,
      [waveId, since.toISOString()],
    );
    return Number(found[0]?.n ?? 0);
  }

  /** Counts an attempt; see START_KEEPS_CHECKPOINT for the state. */
  startRuntime(waveId: string, runtimeId: string, holder?: string): Promise<void> {
    return this.writeRuntime({ waveId, runtimeId, kind: 'start', state: null, result: null, holder: holder ?? null });
  }

  checkpoint(waveId: string, runtimeId: string, state: 'before-patch' | 'patched', holder?: string): Promise<void> {
    return this.writeRuntime({ waveId, runtimeId, kind: 'checkpoint', state, result: null, holder: holder ?? null });
  }

  finishRuntime(waveId: string, runtimeId: string, result: MigrationResult, holder?: string): Promise<void> {
    return this.writeRuntime({ waveId, runtimeId, kind: 'finish', state: null, result: json(result), holder: holder ?? null });
  }

  /** One runtime write, one statement (PostgreSQL overrides this with its group commit). */
  protected async writeRuntime(w: RuntimeWrite): Promise<void> {
    const { changes } = await this.db.query(
      'runtime-write',
      `UPDATE wave_runtimes SET
         state = CASE $3 WHEN 'start' THEN CASE WHEN state IN (${KEPT_CHECKPOINTS_SQL}) THEN state ELSE 'running' END WHEN 'finish' THEN 'finished' ELSE $4 END,
         attempts = attempts + CASE WHEN $3 = 'start' THEN 1 ELSE 0 END,
         result = CASE WHEN $3 = 'finish' THEN $5 ELSE result END,
         updated_at = ${this.d.now}
       WHERE wave_id = $1 AND runtime_id = $2 AND state <> 'finished'
         AND (($6 IS NULL AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.wave_id = wave_runtimes.wave_id))
              OR EXISTS (SELECT 1 FROM leases l WHERE l.wave_id = wave_runtimes.wave_id AND l.holder = $6))`,
      [w.waveId, w.runtimeId, w.kind, w.state, w.result, w.holder],
    );
    if (!changes) throw await this.whyNotWritten(w);
  }

  /** A runtime write that changed nothing: why (no such runtime, finished, or not the lease holder). */
  protected async whyNotWritten(w: RuntimeWrite): Promise<Error> {
    const { rows: found } = await this.db.query<{ state: string }>('runtime-state', 'SELECT state FROM wave_runtimes WHERE wave_id = $1 AND runtime_id = $2', [w.waveId, w.runtimeId]);
    if (!found[0]) return new JournalNotFoundError(`runtime ${w.runtimeId} in wave ${w.waveId}`);
    return new RuntimeWriteRefusedError(w.waveId, w.runtimeId, found[0].state === 'finished' ? 'finished' : 'not-lease-holder', w.holder ?? undefined);
  }

  /** Finished runtimes among `runtimeIds` go back for another attempt; attempts are kept; others are left alone. */
  async resetRuntimes(waveId: string, runtimeIds: string[]): Promise<void> {
    await this.db.query(
      'reset-runtimes',
      // A runtime this wave already patched goes back as `patched`: its retry waits instead of calling it
      // already migrated (C5).
      `UPDATE wave_runtimes SET state = CASE WHEN ${this.d.jsonTrue('result', 'patched')} THEN 'patched' ELSE 'pending' END, result = NULL, updated_at = ${this.d.now}
       WHERE wave_id = $1 AND state = 'finished' AND ${this.d.inList('runtime_id', '$2')}`,
      [waveId, this.d.list(runtimeIds)],
    );
  }

  /** Oldest wave first. */
  async runtimeHistory(runtimeId: string): Promise<WaveRuntime[]> {
    const { rows: found } = await this.db.query<rows.WaveRuntimeRow>(
      'runtime-history',
      `SELECT r.wave_id, r.runtime_id, r.runtime, r.state, r.attempts, r.result, r.updated_at
       FROM wave_runtimes r JOIN waves w ON w.wave_id = r.wave_id WHERE r.runtime_id = $1 ORDER BY w.seq`,
      [runtimeId],
    );
    return found.map(rows.toWaveRuntime);
  }

  async recordApproval(a: Approval): Promise<void> {
    await this.db.query('record-approval', 'INSERT INTO approvals (plan_hash, approver, requested_by, action, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      a.planHash,
      a.approver,
      a.requestedBy,
      a.action,
      iso(a.createdAt),
      iso(a.expiresAt),
    ]);
  }

  /** In the order recorded. */
  async listApprovals(planHash: string): Promise<Approval[]> {
    const { rows: found } = await this.db.query<rows.ApprovalRow>('list-approvals', `SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE plan_hash = $1 ORDER BY id`, [planHash]);
    return found.map(rows.toApproval);
  }

  private async useApproval(s: Session, id: number, usedBy: string, at: string): Promise<number> {
    return (await s.query('consume-approval', 'UPDATE approvals SET used_at = $2, used_by = $3 WHERE id = $1 AND used_at IS NULL', [id, at, usedBy])).changes;
  }

  async consumeApproval(id: number, usedBy: string, now = new Date()): Promise<boolean> {
    return (await this.useApproval(this.db, id, usedBy, now.toISOString())) === 1;
  }

  async cancelPlan(planHash: string, by: string, now = new Date()): Promise<number> {
    // Serialised per plan so that two cancels keep one cancellation in force.
    return this.driver.tx(async (s) => {
      await this.d.lock(s, 'plan-cancel:', `:${planHash}`);
      await s.query(
        'cancel-plan',
        `INSERT INTO plan_cancellations (plan_hash, cancelled_by, cancelled_at)
         SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM plan_cancellations WHERE plan_hash = $1 AND cleared_at IS NULL)`,
        [planHash, by, now.toISOString()],
      );
      // The approvals given before are void: a new plan of the same hash lifts the cancellation, not the decision.
      const revoked = await s.query('revoke-approvals', 'UPDATE approvals SET used_at = $2, used_by = $3 WHERE plan_hash = $1 AND used_at IS NULL', [planHash, now.toISOString(), `${CANCELLED_BY}${by}`]);
      return revoked.changes;
    });
  }

  async planCancellation(planHash: string): Promise<PlanCancellation | undefined> {
    const { rows: found } = await this.db.query<{ plan_hash: string; cancelled_by: string; cancelled_at: Stamp }>(
      'plan-cancellation',
      'SELECT plan_hash, cancelled_by, cancelled_at FROM plan_cancellations WHERE plan_hash = $1 AND cleared_at IS NULL ORDER BY id LIMIT 1',
      [planHash],
    );
    return found[0] && toCancellation(found[0]);
  }

  async planCancelledSince(planHash: string, since: string): Promise<PlanCancellation | undefined> {
    const { rows: found } = await this.db.query<{ plan_hash: string; cancelled_by: string; cancelled_at: Stamp }>(
      'plan-cancelled-since',
      'SELECT plan_hash, cancelled_by, cancelled_at FROM plan_cancellations WHERE plan_hash = $1 AND cancelled_at >= $2 ORDER BY id LIMIT 1',
      [planHash, since],
    );
    return found[0] && toCancellation(found[0]);
  }

  async clearPlanCancellation(planHash: string, by: string, now = new Date()): Promise<boolean> {
    const { changes } = await this.db.query('clear-plan-cancellation', 'UPDATE plan_cancellations SET cleared_at = $2, cleared_by = $3 WHERE plan_hash = $1 AND cleared_at IS NULL', [
      planHash,
      now.toISOString(),
      by,
    ]);
    return changes > 0;
  }

  async openTask(t: Omit<CustomerTask, 'taskId' | 'state' | 'updatedBy' | 'createdAt' | 'updatedAt'>): Promise<CustomerTask> {
    // Insert unless an active task exists (the partial unique index arbitrates concurrent openers), else read it.
    // Between the two statements the active task may be closed: then try again.
    for (let i = 0; i < 5; i++) {
      const inserted = await this.db.query<rows.TaskRow>(
        'open-task',
        `INSERT INTO tasks (runtime_id, wave_id, env, global_account_id, subaccount_id, shoot_name, istio_crs, message, state, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', ${this.d.now}, ${this.d.now})
         ON CONFLICT (runtime_id) WHERE state IN (${ACTIVE_STATES_SQL}) DO NOTHING
         RETURNING ${TASK_COLUMNS}`,
        [t.runtimeId, t.waveId, t.env, t.globalAccountId, t.subaccountId, t.shootName, json(t.istioCrs), t.message],
      );
      if (inserted.rows[0]) return rows.toTask(inserted.rows[0]);
      const existing = await this.db.query<rows.TaskRow>('active-task', `SELECT ${TASK_COLUMNS} FROM tasks WHERE runtime_id = $1 AND state IN (${ACTIVE_STATES_SQL})`, [t.runtimeId]);
      if (existing.rows[0]) return rows.toTask(existing.rows[0]);
    }
    throw new Error(`could not open a task for runtime ${t.runtimeId}: its active task kept changing`);
  }

  async getTask(taskId: string): Promise<CustomerTask | undefined> {
    const seq = taskSeqOf(taskId);
    if (seq === undefined) return undefined;
    const { rows: found } = await this.db.query<rows.TaskRow>('get-task', `SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1`, [seq]);
    return found[0] && rows.toTask(found[0]);
  }

  /** Oldest first. */
  async listTasks(filter: { states?: TaskState[] } = {}): Promise<CustomerTask[]> {
    const { rows: found } = await this.db.query<rows.TaskRow>(
      'list-tasks',
      `SELECT ${TASK_COLUMNS} FROM tasks WHERE ${this.d.listIsNull('$1')} OR ${this.d.inList('state', '$1')} ORDER BY id`,
      [this.d.list(filter.states)],
    );
    return found.map(rows.toTask);
  }

  setTaskState(taskId: string, state: TaskState, by: string): Promise<void> {
    return this.updateTask(taskId, 'set-task-state', `state = $2, updated_by = $3`, [state, by]);
  }

  /** Replaces a task's Istio CR list with what was seen later (after a rename). */
  setTaskIstioCrs(taskId: string, istioCrs: CustomerTask['istioCrs']): Promise<void> {
    return this.updateTask(taskId, 'set-task-istio-crs', 'istio_crs = $2', [json(istioCrs)]);
  }

  private async updateTask(taskId: string, name: string, set: string, values: unknown[]): Promise<void> {
    const seq = taskSeqOf(taskId);
    const changes = seq === undefined ? 0 : (await this.db.query(name, `UPDATE tasks SET ${set}, updated_at = ${this.d.now} WHERE id = $1`, [seq, ...values])).changes;
    this.mustChange(changes, `task ${taskId}`);
  }

  async audit(e: Omit<AuditEntry, 'id' | 'at'> & { at?: string }): Promise<void> {
    await this.db.query('audit', `INSERT INTO audit (at, actor, action, subject, detail) VALUES (COALESCE($1, ${this.d.now}), $2, $3, $4, $5)`, [
      e.at === undefined ? null : iso(e.at),
      e.actor,
      e.action,
      e.subject,
      json(e.detail),
    ]);
  }

  /** Newest first; `limit` keeps the newest. */
  async listAudit(filter: { subject?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const { rows: found } = await this.db.query<rows.AuditRow>(
      'list-audit',
      'SELECT id, at, actor, action, subject, detail FROM audit WHERE (CAST($1 AS TEXT) IS NULL OR subject = $1) ORDER BY id DESC LIMIT $2',
      [filter.subject ?? null, filter.limit ?? this.d.noLimit],
    );
    return found.map(rows.toAudit);
  }

  async getLease(waveId: string): Promise<Lease | undefined> {
    const { rows: found } = await this.db.query<LeaseRow>('get-lease', `SELECT wave_id, holder, ${this.types.expiry.column} AS expires_at FROM leases WHERE wave_id = $1`, [waveId]);
    return found[0] && rows.toLease(found[0]);
  }

  async releaseLease(waveId: string, holder: string): Promise<void> {
    await this.db.query('release-lease', 'DELETE FROM leases WHERE wave_id = $1 AND holder = $2', [waveId, holder]);
  }

  /** Takes the lease with the dialect's upsert; when that changed nothing, reads the holder's (who may just have released it: then again). */
  protected async takeLease(waveId: string, take: () => Promise<LeaseRow | undefined>): Promise<Lease> {
    for (let i = 0; i < 5; i++) {
      const taken = await take();
      if (taken) return rows.toLease(taken);
      const current = await this.getLease(waveId);
      if (current) return current;
    }
    throw new Error(`could not acquire or read the lease of wave ${waveId}: it kept changing hands`);
  }
}
