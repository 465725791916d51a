/**
 * Versioned schema migrations of the journal, one list for both stores. Each is applied once, in order, inside
 * the transaction that records its version in `schema_version`; a store at version N applies only those after
 * N, so `migrate()` twice is a no-op. Never edit an applied migration: append a new one (only additions —
 * stored results and plans are read by later versions of the bot).
 *
 * Column types differ where the stores do: SQLite keeps JSON as TEXT and timestamps as ISO TEXT (lease expiry
 * as epoch milliseconds, compared numerically); PostgreSQL uses JSONB and timestamptz.
 */

export interface Migration {
  version: number;
  description: string;
  sqlite: string[];
  postgres: string[];
}

/** Created before any migration runs; not itself a migration. */
export const SCHEMA_VERSION_TABLE = {
  sqlite: `CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`,
  postgres: `CREATE TABLE IF NOT EXISTS schema_version (
    version integer PRIMARY KEY,
    description text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`,
} as const;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'plans, waves with per-env-per-day counters, wave runtimes, approvals, tasks, audit, settings, leases',
    sqlite: [
      `CREATE TABLE plans (
        hash TEXT PRIMARY KEY,
        env TEXT NOT NULL,
        target TEXT NOT NULL,
        document TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`,
      `CREATE TABLE wave_counters (
        env TEXT NOT NULL,
        day TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (env, day)
      )`,
      `CREATE TABLE waves (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        wave_id TEXT NOT NULL UNIQUE,
        env TEXT NOT NULL,
        target TEXT NOT NULL,
        plan_hash TEXT NOT NULL,
        state TEXT NOT NULL,
        control TEXT NOT NULL DEFAULT 'none',
        concurrency INTEGER NOT NULL,
        requested_by TEXT NOT NULL,
        approved_by TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        finished_at TEXT
      )`,
      `CREATE INDEX waves_env_seq ON waves (env, seq)`,
      `CREATE TABLE wave_runtimes (
        wave_id TEXT NOT NULL REFERENCES waves (wave_id),
        runtime_id TEXT NOT NULL,
        ord INTEGER NOT NULL,
        runtime TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        result TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (wave_id, runtime_id)
      )`,
      `CREATE INDEX wave_runtimes_runtime ON wave_runtimes (runtime_id)`,
      `CREATE TABLE approvals (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        plan_hash TEXT NOT NULL,
        approver TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        action TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      )`,
      `CREATE INDEX approvals_plan ON approvals (plan_hash, id)`,
      `CREATE TABLE tasks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        runtime_id TEXT NOT NULL,
        wave_id TEXT,
        env TEXT NOT NULL,
        global_account_id TEXT NOT NULL,
        subaccount_id TEXT NOT NULL,
        shoot_name TEXT NOT NULL,
        istio_crs TEXT NOT NULL,
        message TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'open',
        updated_by TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE UNIQUE INDEX tasks_one_active_per_runtime ON tasks (runtime_id)
        WHERE state IN ('open', 'agreed', 'renaming', 'rename-failed')`,
      `CREATE INDEX tasks_state ON tasks (state, id)`,
      `CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT
      )`,
      `CREATE INDEX audit_subject ON audit (subject, id)`,
      `CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE TABLE leases (
        wave_id TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        acquired_at TEXT NOT NULL
      )`,
    ],
    postgres: [
      `CREATE TABLE plans (
        hash text PRIMARY KEY,
        env text NOT NULL,
        target text NOT NULL,
        document jsonb NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL
      )`,
      `CREATE TABLE wave_counters (
        env text NOT NULL,
        day text NOT NULL,
        n integer NOT NULL,
        PRIMARY KEY (env, day)
      )`,
      `CREATE TABLE waves (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        wave_id text NOT NULL UNIQUE,
        env text NOT NULL,
        target text NOT NULL,
        plan_hash text NOT NULL,
        state text NOT NULL,
        control text NOT NULL DEFAULT 'none',
        concurrency integer NOT NULL,
        requested_by text NOT NULL,
        approved_by text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        finished_at timestamptz
      )`,
      `CREATE INDEX waves_env_seq ON waves (env, seq)`,
      `CREATE TABLE wave_runtimes (
        wave_id text NOT NULL REFERENCES waves (wave_id),
        runtime_id text NOT NULL,
        ord integer NOT NULL,
        runtime jsonb NOT NULL,
        state text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        result jsonb,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (wave_id, runtime_id)
      )`,
      `CREATE INDEX wave_runtimes_runtime ON wave_runtimes (runtime_id)`,
      `CREATE TABLE approvals (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        plan_hash text NOT NULL,
        approver text NOT NULL,
        requested_by text NOT NULL,
        action text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      )`,
      `CREATE INDEX approvals_plan ON approvals (plan_hash, id)`,
      `CREATE TABLE tasks (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        runtime_id text NOT NULL,
        wave_id text,
        env text NOT NULL,
        global_account_id text NOT NULL,
        subaccount_id text NOT NULL,
        shoot_name text NOT NULL,
        istio_crs jsonb NOT NULL,
        message text NOT NULL,
        state text NOT NULL DEFAULT 'open',
        updated_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE UNIQUE INDEX tasks_one_active_per_runtime ON tasks (runtime_id)
        WHERE state IN ('open', 'agreed', 'renaming', 'rename-failed')`,
      `CREATE INDEX tasks_state ON tasks (state, id)`,
      `CREATE TABLE audit (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        subject text NOT NULL,
        detail jsonb
      )`,
      `CREATE INDEX audit_subject ON audit (subject, id)`,
      `CREATE TABLE settings (
        key text PRIMARY KEY,
        value text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE leases (
        wave_id text PRIMARY KEY,
        holder text NOT NULL,
        expires_at timestamptz NOT NULL,
        acquired_at timestamptz NOT NULL DEFAULT now()
      )`,
    ],
  },
  {
    version: 2,
    description: 'approvals are used up: when and by whom',
    sqlite: ['ALTER TABLE approvals ADD COLUMN used_at TEXT', 'ALTER TABLE approvals ADD COLUMN used_by TEXT'],
    postgres: ['ALTER TABLE approvals ADD COLUMN used_at timestamptz', 'ALTER TABLE approvals ADD COLUMN used_by text'],
  },
  {
    version: 3,
    description: 'plan cancellations (lifted by a new plan); requests seen once (Slack replay protection across replicas)',
    sqlite: [
      `CREATE TABLE plan_cancellations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        plan_hash TEXT NOT NULL,
        cancelled_by TEXT NOT NULL,
        cancelled_at TEXT NOT NULL,
        cleared_by TEXT,
        cleared_at TEXT
      )`,
      `CREATE INDEX plan_cancellations_plan ON plan_cancellations (plan_hash, id)`,
      `CREATE TABLE seen_once (
        key TEXT PRIMARY KEY,
        expires_at_ms INTEGER NOT NULL
      )`,
      `CREATE INDEX seen_once_expiry ON seen_once (expires_at_ms)`,
    ],
    postgres: [
      `CREATE TABLE plan_cancellations (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        plan_hash text NOT NULL,
        cancelled_by text NOT NULL,
        cancelled_at timestamptz NOT NULL,
        cleared_by text,
        cleared_at timestamptz
      )`,
      `CREATE INDEX plan_cancellations_plan ON plan_cancellations (plan_hash, id)`,
      `CREATE TABLE seen_once (
        key text PRIMARY KEY,
        expires_at timestamptz NOT NULL
      )`,
      `CREATE INDEX seen_once_expiry ON seen_once (expires_at)`,
    ],
  },
];

/** The migrations a store at `current` still needs, in order. */
export function pendingMigrations(current: number, all: readonly Migration[] = MIGRATIONS): Migration[] {
  return [...all].sort((a, b) => a.version - b.version).filter((m) => m.version > current);
}
