import type { Migration } from './migration.js';
import { isoOf, json, type Stamp } from '../sql/rows.js';
import { moveSettingsRows } from './settings-rows.js';

/**
 * The key-value `settings` table goes: every row a typed record can hold moves first (one written by a version
 * between migrations 4 and 5), and a row nothing reads any more is kept in the audit log (`settings-dropped`, with
 * its key and value) before the table is dropped, so nothing goes without a trace.
 */
export const settingsDropped: Migration = {
  version: 5,
  description: 'the settings table is gone: its rows are typed records (or, unreadable, kept in the audit log)',
  ddl: () => [],
  async move(s, d) {
    await moveSettingsRows(s, d);
    const { rows } = await s.query<{ key: string; value: string; updated_at: Stamp }>(undefined, 'SELECT key, value, updated_at FROM settings ORDER BY key');
    for (const row of rows) {
      await s.query(undefined, 'INSERT INTO audit (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)', [
        isoOf(row.updated_at),
        'journal-migration-5',
        'settings-dropped',
        row.key,
        json({ value: row.value }),
      ]);
    }
    await s.query(undefined, 'DROP TABLE settings');
  },
};
