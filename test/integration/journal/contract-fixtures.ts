/** What the journal contract's parts share: fixed instants, planned runtimes, results and wave inputs. */
import type { Journal, PlannedRuntime } from '../../../src/journal/journal.js';
import { migrationResultSchema, type MigrationResult } from '../../../src/migration/result.js';

export const NOW = new Date('2025-03-04T10:20:30.000Z');
export const DAY = '20250304';

export function plannedRuntime(n: number, over: Partial<PlannedRuntime> = {}): PlannedRuntime {
  return {
    runtimeId: `5f0c1a2b-0000-4000-8000-${String(n).padStart(12, '0')}`,
    shootName: `c-${n.toString(16).padStart(7, '0')}`,
    globalAccountId: 'ga-0001',
    subaccountId: `sa-${n % 7}`,
    plan: n % 2 ? 'aws' : 'azure',
    region: n % 3 ? 'eu-central-1' : 'westeurope',
    ...over,
  };
}

/** A result as migrateRuntime produces one for a `custom-cr` runtime (held before the patch). */
export function migrationResult(runtimeId: string, over: Partial<MigrationResult> = {}): MigrationResult {
  return migrationResultSchema.parse({
    runtimeId,
    outcome: 'multiple-istio-crs',
    reason: null,
    class: 'customer',
    patched: false,
    dryRun: false,
    message: 'More than one Istio CR present on the cluster. Script rename-to-default.sh might be required.',
    detail: 'Istio CR kyma-system/custom (created 2024-11-02T08:00:00Z) is older than the default LM would create',
    kymaName: runtimeId,
    inventoryBefore: [
      { name: 'custom', namespace: 'kyma-system', createdAt: '2024-11-02T08:00:00Z', state: 'Ready', description: null, reason: null },
      {
        name: 'default',
        namespace: 'kyma-system',
        createdAt: '2025-01-15T12:00:00Z',
        state: 'Warning',
        description: 'Istio CR is not in kyma-system namespace or is not the oldest one',
        reason: 'OlderCRExists',
      },
    ],
    inventoryAfter: [],
    transitions: [
      { at: '2025-03-04T10:20:31.120Z', object: 'istio/kyma-system/custom', state: 'Ready' },
      { at: '2025-03-04T10:20:31.130Z', object: 'istio/kyma-system/default', state: 'Warning', detail: 'OlderCRExists' },
    ],
    manifest: null,
    requests: { kcp: 1, skr: 6, gardener: 0, total: 7 },
    access: 'kcp-secret',
    startedAt: '2025-03-04T10:20:31.000Z',
    finishedAt: '2025-03-04T10:20:31.450Z',
    durationMs: 450.25,
    ...over,
  });
}

export const waveInput = (env: string, over: Partial<{ target: string; planHash: string; concurrency: number }> = {}) => ({
  env,
  target: over.target ?? 'kyma-test',
  planHash: over.planHash ?? 'a'.repeat(64),
  state: 'running' as const,
  concurrency: over.concurrency ?? 4,
  requestedBy: 'sre-1',
  approvedBy: null,
});

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh, migrated journal of the store under test, closed after the test. */
export type MakeJournal = () => Promise<Journal>;
