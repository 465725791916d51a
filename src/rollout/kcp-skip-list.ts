/**
 * skip-reconciliation for a whole wave with one request: the KCP Kymas that carry the label, listed once and
 * re-listed when older than `maxAgeMs` (a freeze set during a long wave is seen within that time). LM honours the
 * label on the KCP Kyma `kcp-system/<runtime-id>`, case-insensitively (lifecycle-manager
 * `internal/controller/kyma/controller.go`, `api/v1beta2/kyma_types.go` SkipReconciliation).
 *
 * When the list cannot be read, `labelled` answers undefined and each runtime reads its own KCP Kyma instead.
 */
import { RemoteError } from '../clients/errors.js';
import type { KubeClient } from '../clients/kube-client.js';
import { KCP_SYSTEM, KYMAS, RUNTIME_ID_LABEL, SKIP_RECONCILIATION_LABEL, skipReconciliationSet } from '../migration/resources.js';

/**
 * The runtime ids whose KCP Kyma LM skips: its `kyma-project.io/runtime-id` label, and its name (KEB names it after the
 * lower-cased runtime id today; older instances keep another name, see migrate-runtime.ts).
 */
export async function listSkipReconciliation(kcp: KubeClient): Promise<Set<string>> {
  // An existence selector: the value is compared lower-cased below, as LM does.
  const list = await kcp.list(KYMAS, KCP_SYSTEM, { labelSelector: SKIP_RECONCILIATION_LABEL });
  const ids = new Set<string>();
  for (const k of list.items) {
    if (!skipReconciliationSet(k.metadata.labels)) continue;
    ids.add(k.metadata.name.toLowerCase());
    const rid = k.metadata.labels?.[RUNTIME_ID_LABEL];
    if (rid) ids.add(rid.toLowerCase());
  }
  return ids;
}

export class KcpSkipList {
  /** The last answer (undefined ids: the list failed; each runtime then reads its own Kyma until maxAgeMs passed). */
  private current?: { ids: Set<string> | undefined; at: number };
  private reading?: Promise<Set<string> | undefined>;

  /** `read` lists the labelled runtime ids (`listSkipReconciliation` of a KCP client); undefined: no KCP access. */
  constructor(
    private readonly read: (() => Promise<Set<string>>) | undefined,
    private readonly maxAgeMs = 300_000,
  ) {}

  static of(kcp: KubeClient | undefined, maxAgeMs?: number): KcpSkipList {
    return new KcpSkipList(kcp ? () => listSkipReconciliation(kcp) : undefined, maxAgeMs);
  }

  /** Whether the runtime's KCP Kyma is labelled; undefined when the list is unavailable. */
  async labelled(runtimeId: string): Promise<boolean | undefined> {
    const ids = await this.ids();
    return ids ? ids.has(runtimeId.toLowerCase()) : undefined;
  }

  private async ids(): Promise<Set<string> | undefined> {
    if (!this.read) return undefined;
    if (this.current && Date.now() - this.current.at < this.maxAgeMs) return this.current.ids;
    this.reading ??= this.read().then(
      (ids) => {
        this.current = { ids, at: Date.now() };
        return ids;
      },
      (e: unknown) => {
        if (!(e instanceof RemoteError)) throw e;
        this.current = { ids: undefined, at: Date.now() };
        return undefined;
      },
    );
    try {
      return await this.reading;
    } finally {
      this.reading = undefined;
    }
  }
}
