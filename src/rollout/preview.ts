/**
 * `plan --preview`: reads every target SKR (rate-limited, read-only: the migration's own checks plus a
 * server-side dry-run patch) and predicts each runtime's outcome — what an on-call engineer wants to see before
 * approving Prod. Predictable: template missing, Kyma missing/ambiguous, already migrated, a customer CR that
 * holds the runtime (or, with `proceed`, will end in multiple-istio-crs), skip-reconciliation (on the KCP Kyma), no access. A
 * runtime that passes every check is predicted `migrated`; what LM then does cannot be known in advance.
 */
import PQueue from 'p-queue';
import { conflictingCrs } from '../migration/istio-conflict.js';
import { migrateRuntime } from '../migration/migrate-runtime.js';
import type { Outcome, Reason } from '../migration/outcomes.js';
import type { IstioCrInfo } from '../migration/result.js';
import { KYMA_SYSTEM } from '../migration/resources.js';
import { kcpClient } from './kubeconfig-batch.js';
import type { EnvAccess } from './wave-runner.js';
import { KcpSkipList } from './kcp-skip-list.js';
import type { Throttle } from '../clients/kube-client.js';
import type { PlanRuntime } from './plan-wave.js';

export interface Prediction {
  runtimeId: string;
  outcome: Outcome;
  reason: Reason | null;
  detail: string | null;
}

export async function previewRuntimes(runtimes: PlanRuntime[], access: EnvAccess, opts: { concurrency: number; throttle?: Throttle; signal?: AbortSignal }): Promise<Prediction[]> {
  const queue = new PQueue({ concurrency: Math.max(1, opts.concurrency) });
  const out: Prediction[] = [];
  // skip-reconciliation of every runtime with one KCP list and watch for the whole preview.
  const skipList = KcpSkipList.of(kcpClient(access.kcpKubeconfig, opts.throttle));
  try {
    await Promise.all(
      runtimes.map((rt) =>
        queue.add(async () => {
          const r = await migrateRuntime({
            runtimeId: rt.runtimeId,
            kcpKubeconfig: access.kcpKubeconfig,
            kcpSkipReconciliation: () => skipList.labelled(rt.runtimeId),
            gardener: access.gardener ? { ...access.gardener, shootName: rt.shootName } : undefined,
            onConflict: access.onConflict,
            dryRun: true,
            throttle: opts.throttle,
            signal: opts.signal,
          });
          if (r.outcome === 'skipped' && r.reason === 'dry-run') {
            // Every check passed. With `proceed`, a customer CR means LM's default will not reconcile.
            const foreign = conflictingCrs(r.inventoryBefore);
            out.push(
              foreign.length
                ? { runtimeId: rt.runtimeId, outcome: 'multiple-istio-crs', reason: null, detail: `would be patched; Istio CR ${foreign.map((c) => c.name).join(', ')} is not named default` }
                : { runtimeId: rt.runtimeId, outcome: 'migrated', reason: null, detail: takeoverText(r.inventoryBefore) },
            );
          } else out.push({ runtimeId: rt.runtimeId, outcome: r.outcome, reason: r.reason, detail: r.detail });
        }),
      ),
    );
  } finally {
    await skipList.stop();
  }
  return out.sort((a, b) => a.runtimeId.localeCompare(b.runtimeId));
}

/** What LM will do with the Istio CRs of a runtime predicted to migrate: take `default` over, or create it. */
function takeoverText(crs: readonly IstioCrInfo[]): string {
  const def = crs.find((c) => c.namespace === KYMA_SYSTEM && c.name === 'default');
  const others = crs.filter((c) => c !== def);
  const rest = others.length ? `; ${others.map((c) => `${c.namespace}/${c.name}`).join(', ')} ${others.length === 1 ? 'stays' : 'stay'} as ${others.length === 1 ? 'it is' : 'they are'}, not reconciled` : '';
  return `${def ? `Istio CR default (${def.state ?? 'no state'}) exists; LM takes it over` : 'LM creates the default Istio CR'}${rest}`;
}

/** Counts per predicted outcome, for the plan message. */
export function summarisePredictions(p: Prediction[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const x of p) {
    const key = x.reason ? `${x.outcome}/${x.reason}` : x.outcome;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
