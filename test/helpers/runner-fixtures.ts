/**
 * What the wave runner's own tests feed it when the migration is injected: planned runtimes, and the result an
 * injected migration returns (migrated, or failed on the platform side).
 */
import { afterEach, beforeEach } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Journal, PlannedRuntime } from '../../src/journal/journal.js';
import { openJournal } from '../../src/journal/open-journal.js';
import type { MigrationResult } from '../../src/migration/result.js';

/** A real SQLite journal in a directory of its own for each test of the calling describe block, handed to `use`. */
export function sqliteJournalPerTest(prefix: string, use: (journal: Journal) => void): void {
  let dir = '';
  let journal: Journal | undefined;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    journal = await openJournal({ kind: 'sqlite', file: path.join(dir, 'journal.db') });
    use(journal);
  });
  afterEach(async () => {
    await journal?.close();
    rmSync(dir, { recursive: true, force: true });
  });
}

/** `n` planned runtimes `rt-000`, `rt-001`, … */
export const plannedRuntimes = (n: number): PlannedRuntime[] =>
  Array.from({ length: n }, (_, i) => ({ runtimeId: `rt-${String(i).padStart(3, '0')}`, shootName: `s${i}`, globalAccountId: 'ga', subaccountId: 'sa', plan: 'aws', region: 'eu' }));

/** The result of an injected migration: `migrated`, or with `failed` an `error` (manifest-error) counted as a platform failure. */
export function injectedResult(runtimeId: string, failed = false): MigrationResult {
  const now = new Date().toISOString();
  return {
    runtimeId,
    outcome: failed ? 'error' : 'migrated',
    reason: failed ? 'manifest-error' : null,
    class: failed ? 'platform' : 'none',
    patched: true,
    dryRun: false,
    message: failed ? 'failed' : 'migrated',
    detail: null,
    kymaName: 'default',
    inventoryBefore: [],
    inventoryAfter: [],
    transitions: [],
    manifest: null,
    requests: { kcp: 0, skr: 0, gardener: 0, total: 0 },
    access: 'kcp-secret',
    startedAt: now,
    finishedAt: now,
    durationMs: 1,
  };
}
