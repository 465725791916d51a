/**
 * skip-reconciliation for a whole wave with one stream: the KCP Kymas that carry the label, listed once and then
 * watched (collection-watch.ts), so a freeze set during the wave — by an SRE in an incident — is seen within the
 * moment it takes the event to arrive, before the runtime's patch. LM honours the label on the KCP Kyma
 * `kcp-system/<runtime-id>`, case-insensitively (lifecycle-manager `internal/controller/kyma/controller.go`,
 * `api/v1beta2/kyma_types.go` SkipReconciliation). A Kyma whose label is removed leaves the selector: the watch
 * reports it DELETED, and it counts as not labelled again.
 *
 * While the stream is unusable (its list failed, or three watches in a row), `labelled` answers undefined and each
 * runtime reads its own KCP Kyma instead.
 */
import type { KubeClient, KubeObject } from '../clients/kube-client.js';
import { KCP_SYSTEM, KYMAS, RUNTIME_ID_LABEL, SKIP_RECONCILIATION_LABEL, skipReconciliationSet } from '../migration/resources.js';
import { CollectionWatch } from './collection-watch.js';

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
  /** The runtime ids of each labelled KCP Kyma, by the Kyma's name. */
  private readonly byKyma = new Map<string, string[]>();
  private seen = new Set<string>();
  private usable = false;
  private started?: Promise<void>;
  private readonly stream?: CollectionWatch;

  /** `kcp`: the wave's KCP client; undefined: no KCP access (every answer undefined). */
  private constructor(kcp: KubeClient | undefined, retryMs?: number) {
    this.stream =
      kcp &&
      new CollectionWatch(
        kcp,
        KYMAS,
        KCP_SYSTEM,
        {
          listed: (k) => {
            this.seen.add(k.metadata.name);
            this.apply(k);
          },
          relisted: () => {
            for (const name of [...this.byKyma.keys()]) if (!this.seen.has(name)) this.byKyma.delete(name);
            this.seen = new Set();
          },
          event: (type, k) => (type === 'DELETED' ? this.byKyma.delete(k.metadata.name) : this.apply(k)),
          usable: (u) => (this.usable = u),
        },
        // An existence selector: the value is compared lower-cased (skipReconciliationSet), as LM does.
        { labelSelector: SKIP_RECONCILIATION_LABEL, retryMs },
      );
  }

  static of(kcp: KubeClient | undefined, retryMs?: number): KcpSkipList {
    return new KcpSkipList(kcp, retryMs);
  }

  /** Whether the runtime's KCP Kyma is labelled now; undefined while the stream is unusable. Starts it on first use. */
  async labelled(runtimeId: string): Promise<boolean | undefined> {
    if (!this.stream) return undefined;
    await (this.started ??= this.stream.start().then(() => undefined));
    if (!this.usable) return undefined;
    const id = runtimeId.toLowerCase();
    for (const ids of this.byKyma.values()) if (ids.includes(id)) return true;
    return false;
  }

  async stop(): Promise<void> {
    if (this.started) await this.stream?.stop();
  }

  private apply(k: KubeObject): void {
    if (!skipReconciliationSet(k.metadata.labels)) {
      this.byKyma.delete(k.metadata.name);
      return;
    }
    const rid = k.metadata.labels?.[RUNTIME_ID_LABEL];
    this.byKyma.set(k.metadata.name, [k.metadata.name.toLowerCase(), ...(rid ? [rid.toLowerCase()] : [])]);
  }
}
