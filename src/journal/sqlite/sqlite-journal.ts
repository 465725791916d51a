/**
 * The journal in one SQLite file (better-sqlite3): the embedded default. WAL mode, `synchronous=NORMAL` (a
 * commit survives a process crash; a power loss may lose the last commits, never corrupt the file) and a
 * 5 s busy timeout, so several processes on one host can share the file. The statements are the SQL store's
 * (sql/store.ts); here only the driver and what SQLite says differently.
 *
 * Limits: one host only (SQLite locking needs a local file system, not NFS); writers are serialised by the
 * file lock; leases are advisory rows with a TTL judged by each process's clock (fine on one host).
 */
import Database from 'better-sqlite3';
import type { Lease, PlannedRuntime } from '../journal.js';
import type { DdlTypes, Dialect, Session } from '../sql/dialect.js';
import { SqlJournal } from '../sql/store.js';
import { SqliteDriver, sqliteFailure } from './sqlite-driver.js';
import { JournalFileError } from '../errors.js';

const SQLITE: Dialect = {
  now: "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
  inList: (column, param) => `${column} IN (SELECT value FROM json_each(${param}))`,
  listIsNull: (param) => `${param} IS NULL`,
  list: (values) => (values ? JSON.stringify(values) : null),
  jsonText: (column, key) => `${column} ->> '${key}'`,
  jsonTrue: (column, key) => `${column} ->> '${key}'`,
  noLimit: -1,
  // BEGIN IMMEDIATE took the write lock: no other connection or process writes until the transaction ends.
  lock: () => Promise.resolve(),
};

const TYPES: DdlTypes = {
  id: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  text: 'TEXT',
  int: 'INTEGER',
  json: 'TEXT',
  ts: 'TEXT',
  tsNow: 'TEXT NOT NULL',
  expiry: { column: 'expires_at_ms', type: 'INTEGER' },
};

/** Why a file cannot be opened as the journal, in words, naming it (errors.ts JournalFileError: exit 2). */
function unusableFile(file: string, e: unknown): Error {
  const code = (e as { code?: string }).code ?? '';
  const said = (e as Error).message;
  if (code === 'SQLITE_NOTADB') return new JournalFileError(`the journal file ${file} is not a SQLite database: point journal.sqlite.file at the bot's journal (e.g. ./data/journal.db), or move this file away to start a new journal`, e);
  if (code === 'SQLITE_CORRUPT') return new JournalFileError(`the journal file ${file} is damaged (${said}): restore it from a backup, or move it away to start a new journal`, e);
  if (code.startsWith('SQLITE_READONLY')) {
    return new JournalFileError(`the journal file ${file} is read-only (${said}): the bot writes to its journal even to answer status (leases, the landscape it belongs to); give it a writable copy`, e);
  }
  if (code.startsWith('SQLITE_CANTOPEN') || ['EACCES', 'EROFS', 'ENOENT', 'ENOTDIR', 'EPERM'].includes(code)) {
    return new JournalFileError(`the journal file ${file} cannot be opened or created (${said}): check that its directory exists and that this user may write there`, e);
  }
  return sqliteFailure(file, e) as Error;
}

export class SqliteJournal extends SqlJournal {
  private constructor(
    private readonly sqlite: SqliteDriver,
    private readonly file: string,
  ) {
    super(sqlite, SQLITE, TYPES);
  }

  /**
   * Opens the journal file (creating the file, never its directory, unless `mustExist`), or an in-memory one for
   * `:memory:`. Does not migrate: call `migrate()` (or use `openJournal`, which also says what is missing and where).
   */
  static open(file: string, opts: { mustExist?: boolean } = {}): SqliteJournal {
    const inMemory = file === ':memory:' || file === '';
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { fileMustExist: !inMemory && !!opts.mustExist });
      db.pragma('busy_timeout = 5000');
      if (!inMemory) db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      return new SqliteJournal(new SqliteDriver(db), file);
    } catch (e) {
      db?.close();
      throw unusableFile(file, e);
    }
  }

  /** Refuses another program's database (tables, none of them a journal's) before writing a schema into it. */
  override async migrate(upTo = Infinity): Promise<void> {
    try {
      const { rows: tables } = await this.sqlite.query<{ name: string }>(undefined, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
      const names = tables.map((t) => t.name);
      if (names.length && !names.includes('schema_version')) {
        throw new JournalFileError(
          `the journal file ${this.file} is another program's SQLite database (tables ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}), not an istio-migrate journal: nothing was written to it. Point journal.sqlite.file at the bot's journal or at a new file (e.g. ./data/journal.db)`,
        );
      }
      await super.migrate(upTo);
    } catch (e) {
      throw e instanceof JournalFileError ? e : unusableFile(this.file, e);
    }
  }

  /** Whether the file holds any table (a journal's, or another program's). */
  async hasTables(): Promise<boolean> {
    const { rows } = await this.sqlite.query<{ n: number }>(undefined, "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    return rows[0].n > 0;
  }

  /** The schema version this store is at (0 before the first migration). */
  async schemaVersion(): Promise<number> {
    const { rows } = await this.sqlite.query<{ v: number }>(undefined, "SELECT CASE WHEN EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'schema_version') THEN 1 ELSE 0 END AS v");
    if (!rows[0].v) return 0;
    return (await this.sqlite.query<{ v: number }>(undefined, 'SELECT COALESCE(MAX(version), 0) AS v FROM schema_version')).rows[0].v;
  }

  protected async insertRuntimes(s: Session, waveId: string, at: string, runtimes: PlannedRuntime[]): Promise<void> {
    const sql = `INSERT INTO wave_runtimes (wave_id, runtime_id, ord, runtime, state, attempts, result, updated_at) VALUES ($1, $2, $3, $4, 'pending', 0, NULL, $5)`;
    for (const [i, r] of runtimes.entries()) await s.query('insert-wave-runtime', sql, [waveId, r.runtimeId, i, JSON.stringify(r), at]);
  }

  acquireLease(waveId: string, holder: string, ttlMs: number, opts: { takeOverFrom?: string } = {}): Promise<Lease> {
    return this.takeLease(waveId, async () => {
      const now = Date.now();
      const { rows } = await this.db.query<{ wave_id: string; holder: string; expires_at: number }>(
        'acquire-lease',
        `INSERT INTO leases (wave_id, holder, expires_at_ms, acquired_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (wave_id) DO UPDATE SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms,
           acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END
         WHERE leases.expires_at_ms <= $5 OR leases.holder = excluded.holder OR leases.holder = $6
         RETURNING wave_id, holder, expires_at_ms AS expires_at`,
        [waveId, holder, now + ttlMs, new Date(now).toISOString(), now, opts.takeOverFrom ?? null],
      );
      return rows[0];
    });
  }

  rememberOnce(key: string, ttlMs: number, now = new Date()): Promise<boolean> {
    return this.sqlite.tx(async (s) => {
      const t = now.getTime();
      await s.query('purge-seen-once', 'DELETE FROM seen_once WHERE expires_at_ms <= $1', [t]);
      return (await s.query('remember-once', 'INSERT INTO seen_once (key, expires_at_ms) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, t + ttlMs])).changes === 1;
    });
  }
}
