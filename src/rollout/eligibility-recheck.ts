/**
 * Eligibility again, for a wave that runs again: `resume`, `retry-failed` and the bot's resumer run a wave's stored
 * runtimes, possibly days after its plan. Before the runner starts any, the ones that have not started are looked
 * up in KEB and Gardener once more (one paged read of each, as a plan does); a runtime KEB now calls deprovisioning,
 * suspended or anything else not eligible, or no longer lists at all, is finished as `skipped` with that reason and
 * never started. Runtimes already in flight (a checkpoint before or after the patch) are left to the runner: they may
 * be patched, and their outcome comes from waiting.
 */
import type { EnvName } from '../config/config.js';
import { classOf, SKIP_REASONS, type SkipReason } from '../migration/outcomes.js';
import type { MigrationResult } from '../migration/result.js';
import { resolveTargets } from '../targets/resolve.js';
import { parseTargets } from '../targets/selector.js';
import type { Journal, WaveRuntime } from '../journal/journal.js';
import { landscapeReaders } from './landscape-readers.js';
import type { EnvPorts } from './ports.js';

/** Of the runtimes asked about, those no longer eligible, with the reason and what KEB or Gardener says now. */
export type EligibilityRecheck = (runtimeIds: readonly string[]) => Promise<Map<string, { reason: SkipReason; detail: string }>>;

const KEB_SKIP_REASONS: ReadonlySet<string> = new Set(SKIP_REASONS.filter((r) => r !== 'skip-reconciliation' && r !== 'excluded' && r !== 'dry-run'));

/**
 * The recheck of one environment. Only reasons a result may carry (C4: the KEB states) skip a runtime; a runtime KEB
 * and Gardener no longer list is `deprovisioned` (KEB drops a deprovisioned runtime without a shoot). Other problems
 * of the join (a hibernated shoot while KEB says succeeded, a shoot without runtime id) do not skip: the runtime runs,
 * and what it meets is its outcome, as at plan time when they were not there.
 */
export function eligibilityRecheck(ports: EnvPorts, env: EnvName): EligibilityRecheck {
  return async (runtimeIds) => {
    const out = new Map<string, { reason: SkipReason; detail: string }>();
    if (!runtimeIds.length) return out;
    const spec = parseTargets({ specs: ['all'], namedSets: ports.envConfig(env).targets });
    const resolution = await resolveTargets({ env, spec, ...(await landscapeReaders(ports, env)) });
    const eligible = new Set(resolution.runtimes.map((r) => r.runtimeId));
    const skipped = new Map(resolution.skipped.map((s) => [s.runtimeId, s]));
    for (const id of runtimeIds) {
      if (eligible.has(id)) continue;
      const s = skipped.get(id);
      if (!s) out.set(id, { reason: 'deprovisioned', detail: `KEB and Gardener no longer list runtime ${id}: it was deprovisioned after the plan` });
      else if (KEB_SKIP_REASONS.has(s.reason)) out.set(id, { reason: s.reason as SkipReason, detail: `${s.detail} now (it was eligible when the wave was planned)` });
    }
    return out;
  };
}

/** The result of a runtime the recheck found no longer eligible: skipped, nothing read or changed on its clusters. */
export function recheckSkipped(runtimeId: string, reason: SkipReason, detail: string): MigrationResult {
  const now = new Date().toISOString();
  return {
    runtimeId,
    outcome: 'skipped',
    reason,
    class: classOf('skipped'),
    patched: false,
    dryRun: false,
    message: `Runtime is not eligible any more (${reason}), skipping migration`,
    detail: `not started: ${detail}`,
    kymaName: null,
    inventoryBefore: [],
    inventoryAfter: [],
    transitions: [],
    manifest: null,
    requests: { kcp: 0, skr: 0, gardener: 0, total: 0 },
    access: null,
    startedAt: now,
    finishedAt: now,
    durationMs: 0,
  };
}

/**
 * Asks `recheck` about the runtimes of `runtimes` that have not started and finishes the ineligible ones as skipped
 * (the runner's lease `holder` writes them); resolves their results, for the runner to drop from its queue and tell.
 */
export async function finishIneligible(journal: Journal, waveId: string, holder: string, runtimes: readonly WaveRuntime[], recheck: EligibilityRecheck): Promise<MigrationResult[]> {
  const results: MigrationResult[] = [];
  for (const [runtimeId, why] of await recheck(runtimes.filter((r) => r.state === 'pending').map((r) => r.runtimeId))) {
    const result = recheckSkipped(runtimeId, why.reason, why.detail);
    await journal.finishRuntime(waveId, runtimeId, result, holder);
    results.push(result);
  }
  return results;
}
