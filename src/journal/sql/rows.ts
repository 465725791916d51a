/**
 * The journal's rows as both stores return them, and their one mapping to records. The dialects differ only in
 * value types, which the mappers absorb: timestamps come as ISO text (SQLite) or Date (PostgreSQL), ids as number
 * or bigint text, and JSON always as text (the PostgreSQL driver is told to leave json/jsonb unparsed).
 */
import type { MigrationResult } from '../../migration/result.js';
import type { AuditEntry, CheckpointState, CustomerTask, Lease, PlannedRuntime, StoredPlan, TaskState, Wave, WaveControl, WaveRuntime, WaveState, Approval } from '../journal.js';
import { formatTaskId } from '../ids-and-states.js';

/** A timestamp column: ISO text (SQLite), a Date (PostgreSQL) or epoch milliseconds (SQLite lease expiry). */
export type Stamp = string | Date | number;
/** An identity column: a number (SQLite) or bigint text (PostgreSQL). */
export type Id = number | string;

/** A stamp as an ISO string in UTC with milliseconds; stored ISO text comes back as it was stored. */
export const isoOf = (v: Stamp): string => (typeof v === 'string' ? v : new Date(v).toISOString());
export const isoOrNull = (v: Stamp | null): string | null => (v === null ? null : isoOf(v));
/** An ISO timestamp normalised (what the journal stores for ones passed in). */
export const iso = (at: string): string => new Date(at).toISOString();
/** JSON text to a value (null stays null). */
export const parse = <T>(text: string | null): T => (text === null ? null : JSON.parse(text)) as T;
/** A value as JSON text for a parameter (undefined is stored as null). */
export const json = (v: unknown): string => JSON.stringify(v ?? null);

export const PLAN_COLUMNS = 'hash, env, target, document, created_by, created_at';
export const WAVE_COLUMNS = 'wave_id, env, target, plan_hash, state, control, concurrency, requested_by, approved_by, created_at, updated_at, finished_at';
export const RUNTIME_COLUMNS = 'wave_id, runtime_id, runtime, state, attempts, result, updated_at';
export const TASK_COLUMNS = 'id, runtime_id, wave_id, env, global_account_id, subaccount_id, shoot_name, istio_crs, message, state, updated_by, created_at, updated_at';
export const APPROVAL_COLUMNS = 'id, plan_hash, approver, requested_by, action, created_at, expires_at, used_at, used_by';

export interface PlanRow {
  hash: string;
  env: string;
  target: string;
  document: string;
  created_by: string;
  created_at: Stamp;
}

export interface WaveRow {
  wave_id: string;
  env: string;
  target: string;
  plan_hash: string;
  state: WaveState;
  control: WaveControl;
  concurrency: number;
  requested_by: string;
  approved_by: string | null;
  created_at: Stamp;
  updated_at: Stamp;
  finished_at: Stamp | null;
}

export interface WaveRuntimeRow {
  wave_id: string;
  runtime_id: string;
  runtime: string;
  state: CheckpointState;
  attempts: number;
  result: string | null;
  updated_at: Stamp;
}

export interface TaskRow {
  id: Id;
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
  created_at: Stamp;
  updated_at: Stamp;
}

export interface ApprovalRow {
  id: Id;
  plan_hash: string;
  approver: string;
  requested_by: string;
  action: string;
  created_at: Stamp;
  expires_at: Stamp;
  used_at: Stamp | null;
  used_by: string | null;
}

export interface AuditRow {
  id: Id;
  at: Stamp;
  actor: string;
  action: string;
  subject: string;
  detail: string | null;
}

export interface LeaseRow {
  wave_id: string;
  holder: string;
  expires_at: Stamp;
}

export const toPlan = (r: PlanRow): StoredPlan => ({
  hash: r.hash,
  env: r.env,
  target: r.target,
  document: parse<unknown>(r.document),
  createdBy: r.created_by,
  createdAt: isoOf(r.created_at),
});

export const toWave = (r: WaveRow): Wave => ({
  waveId: r.wave_id,
  env: r.env,
  target: r.target,
  planHash: r.plan_hash,
  state: r.state,
  control: r.control,
  concurrency: r.concurrency,
  requestedBy: r.requested_by,
  approvedBy: r.approved_by,
  createdAt: isoOf(r.created_at),
  updatedAt: isoOf(r.updated_at),
  finishedAt: isoOrNull(r.finished_at),
});

export const toWaveRuntime = (r: WaveRuntimeRow): WaveRuntime => ({
  waveId: r.wave_id,
  runtimeId: r.runtime_id,
  runtime: parse<PlannedRuntime>(r.runtime),
  state: r.state,
  attempts: r.attempts,
  result: parse<MigrationResult | null>(r.result),
  updatedAt: isoOf(r.updated_at),
});

export const toTask = (r: TaskRow): CustomerTask => ({
  taskId: formatTaskId(Number(r.id)),
  runtimeId: r.runtime_id,
  waveId: r.wave_id,
  env: r.env,
  globalAccountId: r.global_account_id,
  subaccountId: r.subaccount_id,
  shootName: r.shoot_name,
  istioCrs: parse<CustomerTask['istioCrs']>(r.istio_crs),
  message: r.message,
  state: r.state,
  updatedBy: r.updated_by,
  createdAt: isoOf(r.created_at),
  updatedAt: isoOf(r.updated_at),
});

export const toApproval = (r: ApprovalRow): Approval => ({
  planHash: r.plan_hash,
  approver: r.approver,
  requestedBy: r.requested_by,
  action: r.action,
  createdAt: isoOf(r.created_at),
  expiresAt: isoOf(r.expires_at),
  id: Number(r.id),
  usedAt: isoOrNull(r.used_at),
  usedBy: r.used_by,
});

export const toAudit = (r: AuditRow): AuditEntry => ({ id: Number(r.id), at: isoOf(r.at), actor: r.actor, action: r.action, subject: r.subject, detail: parse<unknown>(r.detail) });

export const toLease = (r: LeaseRow): Lease => ({ waveId: r.wave_id, holder: r.holder, expiresAt: isoOf(r.expires_at) });
