/**
 * Opens the configured journal and brings its schema up to date: the one way the rest of the bot gets a Journal.
 *
 * A journal is the record of the rollout, so where it is must never be guessed: a mistyped path or schema, or an
 * unmounted volume, must not silently start a second, empty history beside the real one. Hence `use`:
 * `existing` opens only a journal that is there (else JournalMissingError, exit 2, nothing created); `create` may
 * start a new one, never in a directory that does not exist (except `createDir`: one level, the default `data/`),
 * and tells `onCreated` where, so that the caller can say so.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { JournalFileError, JournalMissingError, checkHint, journalPlaceText, type JournalPlace } from './errors.js';
import type { Journal } from './journal.js';
import { PostgresJournal } from './postgres/postgres-journal.js';
import { SqliteJournal } from './sqlite/sqlite-journal.js';

export type JournalLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; schema?: string };

/**
 * What a command needs of the journal (commands declare it: commands/types.ts `CommandSpec.journal`).
 */
export type JournalUse =
  /** It reads, or amends, what a journal holds: a journal that does not exist is a configuration error, never created. */
  | 'existing'
  /** It records something new (a plan, a wave, a freeze): it may start a new, empty journal, and says so. */
  | 'create';

export interface OpenJournalOptions {
  /** Default `create` (tests and benchmarks open fresh journals); the commands and adapters always say which. */
  use?: JournalUse;
  /** SQLite: the file's directory may be created, one level only (the default `data/` beside the configuration). */
  createDir?: boolean;
  /** Told where a new, empty journal was created (`at FILE`, `in PostgreSQL schema S`). */
  onCreated?: (where: string) => void;
  /** The configuration that names the journal, for the messages. */
  configFile?: string;
}

export async function openJournal(location: JournalLocation, opts: OpenJournalOptions = {}): Promise<Journal> {
  const use = opts.use ?? 'create';
  const opened = location.kind === 'sqlite' ? openSqlite(location.file, use, opts) : await openPostgres(location, use, opts);
  const { journal, place } = opened;
  try {
    const before = await journal.schemaVersion();
    if (before === 0 && use === 'existing' && place && (await holdsNothing(opened))) throw new JournalMissingError(place, 'empty', opts.configFile);
    await journal.migrate();
    if (before === 0 && place) opts.onCreated?.(journalPlaceText(place));
  } catch (e) {
    await journal.close();
    throw e;
  }
  return journal;
}

type Opened = { journal: SqliteJournal; place?: JournalPlace } | { journal: PostgresJournal; place: JournalPlace };

/** A file or schema without a journal's version table; a SQLite file with other tables is left to `migrate` to refuse by name. */
async function holdsNothing(o: Opened): Promise<boolean> {
  return !(o.journal instanceof SqliteJournal) || !(await o.journal.hasTables());
}

function openSqlite(file: string, use: JournalUse, opts: OpenJournalOptions): Opened {
  if (file === ':memory:' || file === '') return { journal: SqliteJournal.open(file) };
  const resolved = path.resolve(file);
  const dir = path.dirname(resolved);
  let dirExists = existsSync(dir);
  if (use === 'existing' && !existsSync(resolved)) throw new JournalMissingError({ kind: 'sqlite', file: resolved, dirExists }, 'absent', opts.configFile);
  if (!dirExists && opts.createDir && existsSync(path.dirname(dir))) {
    mkdirSync(dir);
    dirExists = true;
  }
  if (!dirExists) {
    throw new JournalFileError(
      `the journal's directory ${dir} does not exist: nothing was created (a volume not mounted, or a typo?). Create the directory or mount the volume, or fix the path. ${checkHint({ kind: 'sqlite', file: resolved, dirExists }, opts.configFile)}`,
    );
  }
  return { journal: SqliteJournal.open(resolved, { mustExist: use === 'existing' }), place: { kind: 'sqlite', file: resolved, dirExists } };
}

async function openPostgres(location: { url: string; schema?: string }, use: JournalUse, opts: OpenJournalOptions): Promise<Opened> {
  const journal = await PostgresJournal.connect(location.url, { schema: location.schema, mustExist: use === 'existing' });
  const place: JournalPlace = { kind: 'postgres', schema: location.schema, schemaExists: true };
  if (use === 'existing') {
    let current: string | null;
    try {
      current = await journal.currentSchema();
    } catch (e) {
      await journal.close();
      throw e;
    }
    if (current === null || (location.schema && current !== location.schema)) {
      await journal.close();
      throw new JournalMissingError({ ...place, schemaExists: false }, 'absent', opts.configFile);
    }
  }
  return { journal, place };
}
