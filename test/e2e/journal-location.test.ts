/**
 * Where the journal is, through the built binary (a black-box review: a typo in the journal's path or PostgreSQL
 * schema silently started a new, empty journal — `status` said "no waves yet" with exit 0, and `run` then kept a
 * second history beside the real one, bypassing one wave per environment, the runbook's order and resume):
 * - commands that only read the journal never create a file, a directory or a schema: exit 2 (a configuration
 *   error) naming the journal, whether its directory exists, the config key to check, and that the first plan or
 *   run creates it;
 * - commands that record something (plan, run) may create a journal, but never a missing directory (an unmounted
 *   volume), and they say on stderr that they created a new, empty one;
 * - a relative `journal.sqlite.file` (and the default `data/journal.db`) is read from the configuration file's
 *   directory, not from the current one.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runBin } from '../helpers/built-bin.js';
import { describeWith, requirePostgres, TEST_PG_URL } from '../helpers/needs.js';
import { startTestSim, writeSimConfig, type SimConfigDoc, type TestSim } from '../helpers/sim.js';

const dirs: string[] = [];
const tmp = (prefix: string) => {
  const d = mkdtempSync(path.join(os.tmpdir(), `journal-location-${prefix}-`));
  dirs.push(d);
  return d;
};

let sim: TestSim;
beforeAll(async () => {
  sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
});
afterAll(async () => {
  await sim?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A config file in a fresh directory of its own whose journal section is `journal` (none: no section). */
function configWith(journal: unknown): { file: string; dir: string } {
  const file = writeSimConfig(sim, 'journal-location', (cfg: SimConfigDoc) => {
    if (journal === undefined) delete cfg.journal;
    else cfg.journal = journal;
  });
  dirs.push(path.dirname(file));
  return { file, dir: path.dirname(file) };
}

const cli = (args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) => runBin(args, { cwd: opts.cwd ?? tmp('cwd'), env: { ISTIO_MIGRATE_USER: 'sre-journal', ...opts.env } });

/** Every command that only reads (or acts on what) the journal holds: none of them may start a journal. */
const READERS: string[][] = [
  ['status'],
  ['status', '--json'],
  ['status', 'dev-20260101-1'],
  ['show', 'dev-20260101-1'],
  ['export', 'dev-20260101-1'],
  ['verify', 'dev'],
  ['runbook', 'dev'],
  ['tasks'],
  ['task', 'T-1'],
  ['pause', 'dev-20260101-1'],
  ['resume', 'dev-20260101-1', '--yes'],
  ['drain', 'dev-20260101-1'],
  ['abort', 'dev-20260101-1'],
  ['retry-failed', 'dev-20260101-1', '--yes'],
  ['set-concurrency', 'dev-20260101-1', '2'],
  ['approve', 'abcdef0123456789'],
  ['cancel', 'abcdef0123456789'],
  ['unfreeze'],
];

describe('src/app/services.ts, src/journal/open-journal.ts: a journal that does not exist (SQLite)', () => {
  it.each(READERS)('%s … on a mistyped journal.sqlite.file: exit 2 naming the file and the key; nothing created', async (...args) => {
    const { file, dir } = configWith({ sqlite: { file: 'journl.db' } });
    const r = await cli([...args, '--config', file]);
    expect(r.code).toBe(2);
    const journal = path.join(dir, 'journl.db');
    // --json: the one JSON line on stdout says it; otherwise stderr.
    const said = args.includes('--json') ? (JSON.parse(r.stdout) as { error: string }).error : r.stderr;
    expect(said).toContain(journal);
    expect(said).toContain('does not exist');
    expect(said).toContain('journal.sqlite.file');
    expect(said).toMatch(/first plan or run/);
    expect(r.stdout + r.stderr).not.toMatch(/no waves yet/);
    expect(existsSync(journal)).toBe(false);
    expect(readdirSync(dir)).toEqual(['config.yaml']);
  });

  it('status --json with a journal under a directory that does not exist (an unmounted volume): exit 2, one JSON line, no directory made', async () => {
    const base = tmp('unmounted');
    const journal = path.join(base, 'mnt', 'journal', 'journal.db');
    const { file } = configWith({ sqlite: { file: journal } });
    const r = await cli(['status', '--json', '--config', file]);
    expect(r.code).toBe(2);
    const error = (JSON.parse(r.stdout) as { error: string }).error;
    expect(error).toContain(journal);
    expect(error).toContain(`its directory ${path.dirname(journal)} does not exist either`);
    expect(readdirSync(base)).toEqual([]);
  });

  it('plan (a writer) never creates a missing directory: exit 2 naming it', async () => {
    const base = tmp('unmounted-writer');
    const journal = path.join(base, 'mnt', 'journal.db');
    const { file } = configWith({ sqlite: { file: journal } });
    const r = await cli(['plan', 'dev', 'all', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`the journal's directory ${path.dirname(journal)} does not exist`);
    expect(r.stderr).toContain('journal.sqlite.file');
    expect(readdirSync(base)).toEqual([]);
  });

  it('plan creates a new journal in an existing directory and says so on stderr, once; then readers find it', async () => {
    const { file, dir } = configWith({ sqlite: { file: 'journal.db' } });
    const journal = path.join(dir, 'journal.db');
    const first = await cli(['plan', 'dev', 'all', '--json', '--config', file]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`created a new, empty journal at ${journal}`);
    expect(existsSync(journal)).toBe(true);
    const again = await cli(['plan', 'dev', 'all', '--json', '--config', file]);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/created a new, empty journal/);
    const status = await cli(['status', '--json', '--config', file]);
    expect(status.code).toBe(0);
    expect(status.stderr).not.toMatch(/created a new, empty journal/);
  });

  it('a relative journal.sqlite.file is read from the configuration file\'s directory, from whatever directory the command runs', async () => {
    const { file, dir } = configWith({ sqlite: { file: 'state/journal.db' } });
    mkdirSync(path.join(dir, 'state'));
    const cwdA = tmp('cwd-a');
    const planned = await cli(['plan', 'dev', 'all', '--json', '--config', file], { cwd: cwdA });
    expect(planned.code).toBe(0);
    expect(existsSync(path.join(dir, 'state', 'journal.db'))).toBe(true);
    expect(readdirSync(cwdA)).toEqual([]);
    const cwdB = tmp('cwd-b');
    const status = await cli(['status', '--json', '--config', path.relative(cwdB, file)], { cwd: cwdB });
    expect(status.code).toBe(0);
    expect(readdirSync(cwdB)).toEqual([]);
  });

  it('without a journal section the journal is data/journal.db beside the configuration file (plan makes that data/ directory), never in the current one', async () => {
    const { file, dir } = configWith(undefined);
    const cwd = tmp('cwd-default');
    const status = await cli(['status', '--config', file], { cwd });
    expect(status.code).toBe(2);
    expect(status.stderr).toContain(path.join(dir, 'data', 'journal.db'));
    expect(existsSync(path.join(dir, 'data'))).toBe(false);
    const planned = await cli(['plan', 'dev', 'all', '--json', '--config', file], { cwd });
    expect(planned.code).toBe(0);
    expect(planned.stderr).toContain(`created a new, empty journal at ${path.join(dir, 'data', 'journal.db')}`);
    expect(readdirSync(cwd)).toEqual([]);
    const other = await cli(['status', '--json', '--config', file], { cwd: tmp('cwd-default-2') });
    expect(other.code).toBe(0);
  });
});

describeWith(await requirePostgres(), 'src/journal/postgres: a journal schema that does not exist', () => {
  const schema = `jl_${process.pid}_${Date.now().toString(36)}`;
  const env = { JOURNAL_PG_URL: TEST_PG_URL };
  async function schemaExists(name: string): Promise<boolean> {
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    try {
      return (await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [name])).rowCount === 1;
    } finally {
      await c.end();
    }
  }
  afterAll(async () => {
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    try {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.query(`DROP SCHEMA IF EXISTS ${schema}_typo CASCADE`);
    } finally {
      await c.end();
    }
  });

  it('readers refuse a schema that does not exist (exit 2, naming it and journal.postgres.schema) and create none; plan creates it and says so', async () => {
    const { file } = configWith({ postgres: { urlEnv: 'JOURNAL_PG_URL', schema } });
    const planned = await cli(['plan', 'dev', 'all', '--json', '--config', file], { env });
    expect(planned.code).toBe(0);
    expect(planned.stderr).toContain(`created a new, empty journal in PostgreSQL schema ${schema}`);
    expect(await schemaExists(schema)).toBe(true);

    const typo = configWith({ postgres: { urlEnv: 'JOURNAL_PG_URL', schema: `${schema}_typo` } });
    for (const args of [['status'], ['runbook', 'dev'], ['tasks']]) {
      const r = await cli([...args, '--config', typo.file], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`PostgreSQL schema ${schema}_typo does not exist`);
      expect(r.stderr).toContain('journal.postgres.schema');
      expect(r.stderr).toMatch(/first plan or run/);
      expect(await schemaExists(`${schema}_typo`)).toBe(false);
    }
    const status = await cli(['status', '--json', '--config', file], { env });
    expect(status.code).toBe(0);
    expect(status.stderr).not.toMatch(/created a new, empty journal/);
  }, 60_000);
});
