/**
 * What the wave runner's own tests feed it when the migration is injected: planned runtimes, and the result an
 * injected migration returns (migrated, or failed on the platform side).
 */
import type { PlannedRuntime } from '../../src/journal/journal.js';
import type { MigrationResult } from '../../src/migration/result.js';

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
