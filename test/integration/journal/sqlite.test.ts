/**
 * The SQLite journal: the shared contract on a fresh in-memory database per test, then what only a file gives —
 * never its directory created, a missing journal refused where one must exist, WAL mode, and two connections (as two processes would have) sharing waves and leases.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JournalUnavailableError } from '../../../src/journal/errors.js';
import { MIGRATIONS } from '../../../src/journal/migrations/index.js';
import { openJournal } from '../../../src/journal/open-journal.js';
import { SqliteJournal } from '../../../src/journal/sqlite/sqlite-journal.js';
import { journalContract, plannedRuntime } from './journal-contract.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'journal-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('src/journal/sqlite-journal.ts', () => {
  journalContract('SQLite (:memory:)', () => openJournal({ kind: 'sqlite', file: ':memory:' }), { open: () => Promise.resolve(SqliteJournal.open(':memory:')) });

  it('records applied migrations in schema_version and applies none twice', async () => {
    const j = SqliteJournal.open(':memory:');
    expect(await j.schemaVersion()).toBe(0);
    await j.migrate();
    await j.migrate();
    expect(await j.schemaVersion()).toBe(MIGRATIONS.at(-1)!.version);
    await j.close();
  });

  // A black-box review: a path under an unmounted volume got its directories made and a new, empty journal.
  it('never creates a missing directory (exit 2: code config, naming it); in an existing one it creates the file, says where, and uses WAL mode', async () => {
    const missing = path.join(dir, 'unmounted', 'journal.db');
    await expect(openJournal({ kind: 'sqlite', file: missing })).rejects.toMatchObject({ code: 'config', message: expect.stringContaining(`the journal's directory ${path.dirname(missing)} does not exist`) });
    expect(existsSync(path.dirname(missing))).toBe(false);
    mkdirSync(path.join(dir, 'nested', 'deeper'), { recursive: true });
    const file = path.join(dir, 'nested', 'deeper', 'journal.db');
    const created: string[] = [];
    const j = await openJournal({ kind: 'sqlite', file }, { onCreated: (where) => created.push(where) });
    expect(created).toEqual([`at ${file}`]);
    await j.freeze('all', 'sre-1');
    await j.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect((db.prepare('SELECT COUNT(*) AS n FROM schema_version').get() as { n: number }).n).toBe(MIGRATIONS.length);
    db.close();
  });

  it("use 'existing' never creates a file: a missing one or an empty one is JournalMissingError (code config) naming it; an existing journal opens without a notice", async () => {
    const file = path.join(dir, 'typo.db');
    await expect(openJournal({ kind: 'sqlite', file }, { use: 'existing', configFile: '/etc/im/config.yaml' })).rejects.toMatchObject({
      code: 'config',
      message: expect.stringContaining(`no journal at ${file}: the file does not exist (its directory ${dir} exists), and nothing was created. Check journal.sqlite.file in /etc/im/config.yaml`),
    });
    expect(existsSync(file)).toBe(false);
    await expect(openJournal({ kind: 'sqlite', file: path.join(dir, 'gone', 'j.db') }, { use: 'existing' })).rejects.toMatchObject({ message: expect.stringContaining('does not exist either') });
    const empty = path.join(dir, 'empty.db');
    writeFileSync(empty, '');
    await expect(openJournal({ kind: 'sqlite', file: empty }, { use: 'existing' })).rejects.toMatchObject({ code: 'config', message: expect.stringContaining('the file exists but holds no journal') });
    const real = path.join(dir, 'real.db');
    await (await openJournal({ kind: 'sqlite', file: real })).close();
    const created: string[] = [];
    const j = await openJournal({ kind: 'sqlite', file: real }, { use: 'existing', onCreated: (w) => created.push(w) });
    expect(created).toEqual([]);
    await j.close();
  });

  it('shares one file between two connections: wave numbers, runtimes and leases', async () => {
    const file = path.join(dir, 'shared.db');
    const [a, b] = [await openJournal({ kind: 'sqlite', file }), await openJournal({ kind: 'sqlite', file })];
    const now = new Date('2025-03-04T10:00:00.000Z');
    const input = { env: 'stage', target: 't', planHash: 'p', state: 'running' as const, concurrency: 4, requestedBy: 'sre-1', approvedBy: null };

    const ids = await Promise.all([a.createWave(input, [plannedRuntime(1)], now), b.createWave(input, [plannedRuntime(1)], now), a.createWave(input, [], now)]);
    expect(ids.map((w) => w.waveId).sort()).toEqual(['stage-20250304-1', 'stage-20250304-2', 'stage-20250304-3']);

    await a.startRuntime(ids[0].waveId, plannedRuntime(1).runtimeId);
    expect((await b.listWaveRuntimes(ids[0].waveId))[0]).toMatchObject({ state: 'running', attempts: 1 });

    expect((await a.acquireLease(ids[0].waveId, 'proc-a', 60_000)).holder).toBe('proc-a');
    const refused = await b.acquireLease(ids[0].waveId, 'proc-b', 60_000);
    expect(refused.holder).toBe('proc-a');
    await a.releaseLease(ids[0].waveId, 'proc-a');
    expect((await b.acquireLease(ids[0].waveId, 'proc-b', 60_000)).holder).toBe('proc-b');
    expect((await a.acquireLease(ids[0].waveId, 'proc-a', 60_000)).holder).toBe('proc-b');

    await a.close();
    await b.close();
  });

  // A crash-survival review: SQLite's own words ("file is not a database", "database or disk is full") named no
  // file and no wave, and a read-only command wrote a journal's schema into another program's database.
  it('refuses a file that is not a journal, naming it (exit 2: code config), and writes nothing into a foreign database', async () => {
    const garbage = path.join(dir, 'garbage.db');
    writeFileSync(garbage, randomBytes(100_000));
    await expect(openJournal({ kind: 'sqlite', file: garbage })).rejects.toMatchObject({ code: 'config', message: expect.stringContaining(`the journal file ${garbage} is not a SQLite database`) });

    const foreign = path.join(dir, 'customers.db');
    const other = new Database(foreign);
    other.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)');
    other.close();
    await expect(openJournal({ kind: 'sqlite', file: foreign })).rejects.toMatchObject({ code: 'config', message: expect.stringContaining("another program's SQLite database (tables customers)") });
    const after = new Database(foreign, { readonly: true });
    expect(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: 'customers' }]);
    after.close();
  });

  it('a write the file cannot take (disk full) is the journal unavailable: the wave it stops is named with its resume', async () => {
    const file = path.join(dir, 'full.db');
    const j = await openJournal({ kind: 'sqlite', file });
    const wave = await j.createWave({ env: 'stage', target: 't', planHash: 'p', state: 'running', concurrency: 4, requestedBy: 'sre-1', approvedBy: null }, [plannedRuntime(1)]);
    // SQLite's own limit on the file's size: the next page it needs is refused as SQLITE_FULL, as on a full disk.
    const db = (j as unknown as { sqlite: { db: Database.Database } }).sqlite.db;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const failed = await j.finishRuntime(wave.waveId, plannedRuntime(1).runtimeId, { outcome: 'migrated', message: 'x'.repeat(20_000) } as never).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(JournalUnavailableError);
    expect((failed as JournalUnavailableError).forWave(wave.waveId).message).toBe(
      `the journal (SQLite file ${file}) cannot be written (the disk is full): wave ${wave.waveId} stopped — it started nothing more, and its runtimes in flight were left at their last checkpoints (re-checked by state on resume, never patched twice). Once the journal can be written again: istio-migrate resume ${wave.waveId} --yes`,
    );
    await j.close();
  });
});
