/**
 * better-sqlite3 behind the SQL store's async `Driver`. Statements run synchronously (each call settles at once);
 * `$n` placeholders become `?` with the parameters in order; statements with a name are prepared once.
 *
 * A transaction is BEGIN IMMEDIATE (the write lock first, so it never fails half-way on another process's write)
 * … COMMIT around an async body whose statements also settle at once; while it is open, statements from outside
 * it wait for its end, so nothing of another caller of this connection runs inside it (or is rolled back with it).
 * The wait is per file, over all connections of this process: a second connection to the same file must not block
 * on SQLite's lock (busy_timeout sleeps the one thread, so the open transaction could never end).
 */
import type Database from 'better-sqlite3';
import path from 'node:path';
import type { Driver, Rows, Session } from '../sql/dialect.js';
import { JournalUnavailableError, sqliteStore } from '../errors.js';

/** SQLite's answers that mean the file stopped taking writes, in a few words (never the driver's message). */
const STORE_TROUBLE: [prefix: string, words: string][] = [
  ['SQLITE_FULL', 'the disk is full'],
  ['SQLITE_READONLY', 'it became read-only'],
  ['SQLITE_IOERR', 'an I/O error'],
  ['SQLITE_BUSY', 'another process held its lock for over 5 s'],
  ['SQLITE_CANTOPEN', 'it cannot be opened any more'],
];

/**
 * A failed statement: the file's trouble as a JournalUnavailableError (the wave that meets it stops and says how to
 * resume), anything else (a constraint, a bug) as it is.
 */
export function sqliteFailure(file: string, e: unknown): unknown {
  const code = (e as { code?: string }).code ?? '';
  const trouble = STORE_TROUBLE.find(([prefix]) => code.startsWith(prefix));
  return trouble ? new JournalUnavailableError(trouble[1], e, undefined, sqliteStore(file)) : e;
}

/** The transaction open on each file in this process (its end), keyed by the file's absolute path. */
const openOnFile = new Map<string, Promise<void>>();
let memoryDbs = 0;

interface Prepared {
  stmt: Database.Statement;
  /** Parameter number (1-based) of each `?`, in order. */
  order: number[];
}

export class SqliteDriver implements Driver {
  private readonly prepared = new Map<string, Prepared>();
  private readonly file: string;
  private readonly inside: Session = { query: (name, sql, params) => this.settle(() => this.run(name, sql, params)) };

  constructor(private readonly db: Database.Database) {
    this.file = db.memory ? `:memory:${memoryDbs++}` : path.resolve(db.name);
  }


  private prepare(name: string | undefined, sql: string): Prepared {
    const hit = name === undefined ? undefined : this.prepared.get(sql);
    if (hit) return hit;
    const order: number[] = [];
    const text = sql.replace(/\$(\d+)/g, (_, n: string) => (order.push(Number(n)), '?'));
    const p = { stmt: this.db.prepare(text), order };
    if (name !== undefined) this.prepared.set(sql, p);
    return p;
  }

  private run<R>(name: string | undefined, sql: string, params: readonly unknown[] = []): Rows<R> {
    try {
      const { stmt, order } = this.prepare(name, sql);
      const args = order.map((n) => params[n - 1]);
      if (stmt.reader) {
        const rows = stmt.all(...args) as R[];
        return { rows, changes: rows.length };
      }
      return { rows: [], changes: stmt.run(...args).changes };
    } catch (e) {
      throw sqliteFailure(this.file, e);
    }
  }

  private exec(sql: string): void {
    try {
      this.db.exec(sql);
    } catch (e) {
      throw sqliteFailure(this.file, e);
    }
  }

  /** Synchronous work as a promise: a throw becomes a rejection. */
  private settle<T>(fn: () => T): Promise<T> {
    return new Promise((resolve) => resolve(fn()));
  }

  async query<R>(name: string | undefined, sql: string, params?: readonly unknown[]): Promise<Rows<R>> {
    // Checked again after each wait, and then run without another await: no transaction can open in between.
    for (let open = openOnFile.get(this.file); open; open = openOnFile.get(this.file)) await open;
    return this.run<R>(name, sql, params);
  }

  async tx<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    for (let open = openOnFile.get(this.file); open; open = openOnFile.get(this.file)) await open;
    let end!: () => void;
    openOnFile.set(this.file, new Promise((resolve) => (end = resolve)));
    try {
      this.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(this.inside);
        this.exec('COMMIT');
        return out;
      } catch (e) {
        if (this.db.inTransaction) this.exec('ROLLBACK');
        throw e;
      }
    } finally {
      openOnFile.delete(this.file);
      end();
    }
  }

  close(): Promise<void> {
    return this.settle(() => {
      if (this.db.open) this.db.close();
      this.prepared.clear();
    });
  }
}
