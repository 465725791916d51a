/**
 * The journal: the single source of truth of the rollout (DESIGN.md §6). One interface, two implementations
 * (SQLite for the embedded default, PostgreSQL for production and HA), one contract test suite. Each part of
 * the bot writes only its own records through it: rollout writes waves, checkpoints and results; tasks write
 * tasks; chat writes message references, approvals and clicks. Everything shown anywhere is derived from it.
 *
 * All methods are async (PostgreSQL); the SQLite implementation resolves at once. Timestamps are ISO strings.
 */
import type { MigrationResult } from '../migration/result.js';
import type { TypedRecords } from './typed-records.js';

export type * from './typed-records.js';

export type WaveState = 'running' | 'paused' | 'draining' | 'budget-stopped' | 'aborted' | 'finished' | 'interrupted';

/** What an operator asked a wave to do; the runner polls it (control from another process, C5). */
export type WaveControl = 'none' | 'pause' | 'drain' | 'abort';

export interface PlannedRuntime {
  runtimeId: string;
  shootName: string;
  globalAccountId: string;
  subaccountId: string;
  plan: string;
  region: string;
  instanceId?: string;
  /** The shoot's Gardener maintenance window (`HHMMSS+ZZZZ`); planned only when the environment's windows policy is not `ignore`. */
  maintenance?: { begin: string; end: string };
}

export interface StoredPlan {
  hash: string;
  env: string;
  target: string;
  /** The whole plan document (C5 `plan --json`), as produced by the planner. */
  document: unknown;
  createdBy: string;
  createdAt: string;
}

export interface Wave {
  waveId: string;
  env: string;
  target: string;
  planHash: string;
  state: WaveState;
  control: WaveControl;
  concurrency: number;
  requestedBy: string;
  approvedBy: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** A runtime's progress inside a wave: `pending` → `before-patch` → `patched` → `finished`. */
export type CheckpointState = 'pending' | 'running' | 'before-patch' | 'patched' | 'finished';

export interface WaveRuntime {
  waveId: string;
  runtimeId: string;
  runtime: PlannedRuntime;
  state: CheckpointState;
  /** Attempts started (a resume or retry-failed starts another). */
  attempts: number;
  result: MigrationResult | null;
  updatedAt: string;
}

export interface Approval {
  planHash: string;
  approver: string;
  requestedBy: string;
  createdAt: string;
  expiresAt: string;
  /** What it approves: `run`, `resume`, `retry-failed`, `force`, `rename:<runtimeId>`. */
  action: string;
  /** Set by the journal: its id, and when and by whom it was used up (listApprovals). */
  id?: number;
  usedAt?: string | null;
  usedBy?: string | null;
}

/** A `cancel` of a plan: it cannot run until it is planned again (a new `plan` of it lifts the cancellation). */
export interface PlanCancellation {
  planHash: string;
  cancelledBy: string;
  cancelledAt: string;
}

export type TaskState = 'open' | 'agreed' | 'declined' | 'resolved' | 'renaming' | 'renamed' | 'rename-failed';

export interface CustomerTask {
  taskId: string;
  runtimeId: string;
  waveId: string | null;
  env: string;
  globalAccountId: string;
  subaccountId: string;
  shootName: string;
  /** The Istio CRs with names, ages and states, as the migration saw them. */
  istioCrs: { name: string; /** Absent in tasks raised before it was kept: kyma-system. */ namespace?: string; createdAt: string | null; state: string | null }[];
  message: string;
  state: TaskState;
  updatedBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface AuditEntry {
  id?: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail: unknown;
}

export interface Lease {
  waveId: string;
  holder: string;
  expiresAt: string;
}

export interface Journal extends TypedRecords {
  /** Applies pending schema migrations (versioned, idempotent). */
  migrate(): Promise<void>;
  close(): Promise<void>;

  savePlan(plan: StoredPlan): Promise<void>;
  /** By full hash, or by a unique prefix of at least 8 characters (what messages show). */
  getPlan(hash: string): Promise<StoredPlan | undefined>;

  /**
   * Creates a wave with its runtimes (all `pending`) in one transaction; the waveId is `<env>-<yyyymmdd>-<n>`.
   * `exclusive`: at most one wave per environment — refuses with a `WaveActiveError` when the environment has a wave
   * in an active state (`ACTIVE_WAVE_STATES`, `interrupted` included: it will be resumed), checked inside the same
   * transaction and serialised per environment, so of two concurrent creators (any processes) exactly one wins.
   */
  createWave(
    w: Omit<Wave, 'waveId' | 'createdAt' | 'updatedAt' | 'finishedAt' | 'control'>,
    runtimes: PlannedRuntime[],
    now?: Date,
    opts?: {
      exclusive?: boolean;
      /**
       * Uses this approval up in the same transaction (a `run` approval is good for one wave): when it was used
       * already the wave is not created and an `ApprovalUsedError` is thrown.
       */
      consumeApproval?: { id: number; usedBy: string };
    },
  ): Promise<Wave>;
  getWave(waveId: string): Promise<Wave | undefined>;
  listWaves(filter?: { env?: string; states?: WaveState[] }): Promise<Wave[]>;
  setWaveState(waveId: string, state: WaveState): Promise<void>;
  setWaveControl(waveId: string, control: WaveControl): Promise<void>;
  setWaveConcurrency(waveId: string, concurrency: number): Promise<void>;
  setWaveApprover(waveId: string, approver: string): Promise<void>;

  listWaveRuntimes(waveId: string): Promise<WaveRuntime[]>;
  /** How many runtimes of a wave are in each checkpoint state and final outcome (one aggregate query). */
  countWaveRuntimes(waveId: string): Promise<{ state: CheckpointState; outcome: string | null; n: number }[]>;
  /** How many runtimes of a wave have a result that finished (its `finishedAt`) at or after `since` (the live ETA's pace). */
  countFinishedSince(waveId: string, since: Date): Promise<number>;
  /**
   * The three writes of a runner: start (attempts + 1, state `running`), checkpoint, finish. A finished runtime is
   * never written again (only `resetRuntimes` reopens it), and with `holder` a write applies only while that holder
   * holds the wave's lease — checked in the same statement, so a runner that lost its wave (or a second runner of
   * it) cannot write. A write without `holder` applies only to a wave that has no lease (row) at all, so leaving the
   * holder out never bypasses the check. A refused write rejects with `RuntimeWriteRefusedError`.
   */
  startRuntime(waveId: string, runtimeId: string, holder?: string): Promise<void>;
  checkpoint(waveId: string, runtimeId: string, state: 'before-patch' | 'patched', holder?: string): Promise<void>;
  finishRuntime(waveId: string, runtimeId: string, result: MigrationResult, holder?: string): Promise<void>;
  /**
   * Puts the named finished runtimes back for another attempt (retry-failed): `pending`, or `patched` when their
   * last result says this wave patched them (so the retry waits for LM instead of reporting already-migrated).
   */
  resetRuntimes(waveId: string, runtimeIds: string[]): Promise<void>;
  /** Every wave's record for one runtime (`show`). */
  runtimeHistory(runtimeId: string): Promise<WaveRuntime[]>;

  recordApproval(a: Approval): Promise<void>;
  listApprovals(planHash: string): Promise<Approval[]>;
  /** Uses an approval up, once: true for the one caller that did, false when it was already used (or is unknown). */
  consumeApproval(id: number, usedBy: string, now?: Date): Promise<boolean>;

  /**
   * Records a cancellation of a plan (who, when); a plan cancelled again keeps one cancellation in force. Every
   * approval of the plan not yet used is used up by it (`usedBy` `cancelled-by:<user>`): planning it again needs a
   * new approval. Answers how many approvals it voided.
   */
  cancelPlan(planHash: string, by: string, now?: Date): Promise<number>;
  /** The cancellation of a plan still in force (not lifted by a new plan), if any. */
  planCancellation(planHash: string): Promise<PlanCancellation | undefined>;
  /** The first cancellation of a plan made at or after `since` (ISO), lifted since or not. */
  planCancelledSince(planHash: string, since: string): Promise<PlanCancellation | undefined>;
  /** Lifts a plan's cancellation (a new `plan` of the same hash); true when there was one. The record stays. */
  clearPlanCancellation(planHash: string, by: string, now?: Date): Promise<boolean>;

  /**
   * Remembers `key` for `ttlMs`: true the first time (and after it expired), false while it is remembered — atomic
   * across processes on one store (Slack request signatures seen before: replays). Expired keys are purged.
   */
  rememberOnce(key: string, ttlMs: number, now?: Date): Promise<boolean>;

  /** Opens a task for a runtime unless one is open already (one per runtime); returns the task. */
  openTask(t: Omit<CustomerTask, 'taskId' | 'state' | 'updatedBy' | 'createdAt' | 'updatedAt'>): Promise<CustomerTask>;
  getTask(taskId: string): Promise<CustomerTask | undefined>;
  listTasks(filter?: { states?: TaskState[] }): Promise<CustomerTask[]>;
  setTaskState(taskId: string, state: TaskState, by: string): Promise<void>;
  /** Replaces a task's Istio CR list with what was seen later (after a rename), so the task shows what is true. */
  setTaskIstioCrs(taskId: string, istioCrs: CustomerTask['istioCrs']): Promise<void>;

  audit(e: Omit<AuditEntry, 'id' | 'at'> & { at?: string }): Promise<void>;
  listAudit(filter?: { subject?: string; limit?: number }): Promise<AuditEntry[]>;

  /**
   * Takes or renews the lease on a wave: at most one runner per wave. Returns the current lease; it is yours
   * when `holder` equals the one you passed. An expired lease can be taken over; so can a live one whose holder is
   * `opts.takeOverFrom` (the caller knows that runner is dead: its process is gone).
   */
  acquireLease(waveId: string, holder: string, ttlMs: number, opts?: { takeOverFrom?: string }): Promise<Lease>;
  releaseLease(waveId: string, holder: string): Promise<void>;
  /** The current lease of a wave, expired or not, without taking it (status shows `interrupted` from it). */
  getLease(waveId: string): Promise<Lease | undefined>;
}
