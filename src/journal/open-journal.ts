/**
 * Opens the configured journal and brings its schema up to date: the one way the rest of the bot gets a Journal.
 */
import type { Journal } from './journal.js';
import { PostgresJournal } from './postgres/postgres-journal.js';
import { SqliteJournal } from './sqlite/sqlite-journal.js';

export type JournalLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; schema?: string };

export async function openJournal(location: JournalLocation): Promise<Journal> {
  const journal = location.kind === 'sqlite' ? SqliteJournal.open(location.file) : await PostgresJournal.connect(location.url, { schema: location.schema });
  try {
    await journal.migrate();
  } catch (e) {
    await journal.close();
    throw e;
  }
  return journal;
}
