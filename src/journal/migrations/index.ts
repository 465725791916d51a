/**
 * Versioned schema migrations of the journal, numbered, one file each, each written once for both stores (column
 * types from the dialect's `DdlTypes`). Each is applied once, in order, inside the transaction that records its
 * version in `schema_version`; a store at version N applies only those after N, so `migrate()` twice is a no-op.
 * Never edit an applied migration: append a new one. A migration may also move rows (`move`), written against
 * the store's session so it runs on both.
 *
 * Column types differ where the stores do: SQLite keeps JSON as TEXT and timestamps as ISO TEXT (lease and
 * seen-once expiry as epoch milliseconds, compared numerically); PostgreSQL uses JSONB and timestamptz.
 */
import type { DdlTypes } from '../sql/dialect.js';
import type { Migration } from './migration.js';
import { initial } from './001-initial.js';
import { approvalsUsed } from './002-approvals-used.js';
import { cancellationsSeenOnce } from './003-cancellations-seen-once.js';
import { typedRecords } from './004-typed-records.js';
import { settingsDropped } from './005-settings-dropped.js';

export type { Migration } from './migration.js';


/** Created before any migration runs; not itself a migration. */
export const schemaVersionTable = (t: DdlTypes): string => `CREATE TABLE IF NOT EXISTS schema_version (
  version ${t.int} PRIMARY KEY,
  description ${t.text} NOT NULL,
  applied_at ${t.tsNow}
)`;

export const MIGRATIONS: readonly Migration[] = [initial, approvalsUsed, cancellationsSeenOnce, typedRecords, settingsDropped];

/** The migrations a store at `current` still needs, in order. */
export function pendingMigrations(current: number, all: readonly Migration[] = MIGRATIONS): Migration[] {
  return [...all].sort((a, b) => a.version - b.version).filter((m) => m.version > current);
}
