import { ACTIVE_TASK_STATES } from '../ids-and-states.js';
import type { Migration } from './migration.js';

const ACTIVE_STATES_SQL = ACTIVE_TASK_STATES.map((s) => `'${s}'`).join(', ');

export const initial: Migration = {
  version: 1,
  description: 'plans, waves with per-env-per-day counters, wave runtimes, approvals, tasks, audit, settings, leases',
  ddl: (t) => [
    `CREATE TABLE plans (
      hash ${t.text} PRIMARY KEY,
      env ${t.text} NOT NULL,
      target ${t.text} NOT NULL,
      document ${t.json} NOT NULL,
      created_by ${t.text} NOT NULL,
      created_at ${t.ts} NOT NULL
    )`,
    `CREATE TABLE wave_counters (
      env ${t.text} NOT NULL,
      day ${t.text} NOT NULL,
      n ${t.int} NOT NULL,
      PRIMARY KEY (env, day)
    )`,
    `CREATE TABLE waves (
      seq ${t.id},
      wave_id ${t.text} NOT NULL UNIQUE,
      env ${t.text} NOT NULL,
      target ${t.text} NOT NULL,
      plan_hash ${t.text} NOT NULL,
      state ${t.text} NOT NULL,
      control ${t.text} NOT NULL DEFAULT 'none',
      concurrency ${t.int} NOT NULL,
      requested_by ${t.text} NOT NULL,
      approved_by ${t.text},
      created_at ${t.ts} NOT NULL,
      updated_at ${t.ts} NOT NULL,
      finished_at ${t.ts}
    )`,
    `CREATE INDEX waves_env_seq ON waves (env, seq)`,
    `CREATE TABLE wave_runtimes (
      wave_id ${t.text} NOT NULL REFERENCES waves (wave_id),
      runtime_id ${t.text} NOT NULL,
      ord ${t.int} NOT NULL,
      runtime ${t.json} NOT NULL,
      state ${t.text} NOT NULL DEFAULT 'pending',
      attempts ${t.int} NOT NULL DEFAULT 0,
      result ${t.json},
      updated_at ${t.ts} NOT NULL,
      PRIMARY KEY (wave_id, runtime_id)
    )`,
    `CREATE INDEX wave_runtimes_runtime ON wave_runtimes (runtime_id)`,
    `CREATE TABLE approvals (
      id ${t.id},
      plan_hash ${t.text} NOT NULL,
      approver ${t.text} NOT NULL,
      requested_by ${t.text} NOT NULL,
      action ${t.text} NOT NULL,
      created_at ${t.ts} NOT NULL,
      expires_at ${t.ts} NOT NULL
    )`,
    `CREATE INDEX approvals_plan ON approvals (plan_hash, id)`,
    `CREATE TABLE tasks (
      id ${t.id},
      runtime_id ${t.text} NOT NULL,
      wave_id ${t.text},
      env ${t.text} NOT NULL,
      global_account_id ${t.text} NOT NULL,
      subaccount_id ${t.text} NOT NULL,
      shoot_name ${t.text} NOT NULL,
      istio_crs ${t.json} NOT NULL,
      message ${t.text} NOT NULL,
      state ${t.text} NOT NULL DEFAULT 'open',
      updated_by ${t.text},
      created_at ${t.tsNow},
      updated_at ${t.tsNow}
    )`,
    // One active task per runtime (openTask relies on it).
    `CREATE UNIQUE INDEX tasks_one_active_per_runtime ON tasks (runtime_id) WHERE state IN (${ACTIVE_STATES_SQL})`,
    `CREATE INDEX tasks_state ON tasks (state, id)`,
    `CREATE TABLE audit (
      id ${t.id},
      at ${t.ts} NOT NULL,
      actor ${t.text} NOT NULL,
      action ${t.text} NOT NULL,
      subject ${t.text} NOT NULL,
      detail ${t.json}
    )`,
    `CREATE INDEX audit_subject ON audit (subject, id)`,
    `CREATE TABLE settings (
      key ${t.text} PRIMARY KEY,
      value ${t.text} NOT NULL,
      updated_at ${t.tsNow}
    )`,
    `CREATE TABLE leases (
      wave_id ${t.text} PRIMARY KEY,
      holder ${t.text} NOT NULL,
      ${t.expiry.column} ${t.expiry.type} NOT NULL,
      acquired_at ${t.tsNow}
    )`,
  ],
};
