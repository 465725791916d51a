/**
 * What migrate-runtime.ts checks of a runtime's two Kymas before it patches (DOMAIN.md §6.1): that the SKR's Kyma
 * belongs to the runtime, that neither Kyma is being deleted, skip-reconciliation on the KCP Kyma, and which
 * `spec.modules` entry (if any) already names the istio module, and the guarded patch that adds it.
 */
import type { KubeClient, KubeObject } from '../clients/kube-client.js';
import type { SkipReconciliationCheck } from './result.js';
import { ISTIO_FQDN, KCP_SYSTEM, KYMAS, RUNTIME_ID_LABEL, skipReconciliationSet } from './resources.js';

/** LM's annotation on the SKR Kyma: `kcp-system/<KCP Kyma name>` (lifecycle-manager `internal/remote/skr_context.go`, OwnedByFormat). */
export const OWNED_BY_ANNOTATION = 'operator.kyma-project.io/owned-by';
/** LM's and KEB's label naming the KCP Kyma (the runtime id on today's landscapes). */
export const KYMA_NAME_LABEL = 'operator.kyma-project.io/kyma-name';

const RUNTIME_ID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The KCP Kyma an SKR Kyma says it belongs to: its owned-by annotation, else its kyma-name label. */
function ownerOf(skrKyma: KubeObject): string | undefined {
  const owned = skrKyma.metadata.annotations?.[OWNED_BY_ANNOTATION];
  if (owned) return owned.slice(owned.indexOf('/') + 1);
  return skrKyma.metadata.labels?.[KYMA_NAME_LABEL] || undefined;
}

/**
 * Null when the SKR Kyma may be the runtime's; otherwise why it is another runtime's (a stale $RUNTIME_ID beside
 * another SKR's kubeconfig, or a KCP secret holding the wrong cluster's kubeconfig). An owner other than the runtime
 * id may still be the runtime's own Kyma: KEB keeps an older instance's Kyma name (the shoot name in early versions),
 * so with KCP access the owner's KCP Kyma is asked for its runtime-id label; without it, only an owner shaped like a
 * runtime id counts as another runtime.
 */
export async function ownerMismatch(skrKyma: KubeObject, runtimeId: string | null, kcp: KubeClient | undefined): Promise<string | null> {
  const owner = ownerOf(skrKyma);
  if (!owner || !runtimeId || owner.toLowerCase() === runtimeId.toLowerCase()) return null;
  if (kcp) {
    const kcpKyma = await kcp.get(KYMAS, KCP_SYSTEM, owner);
    if ((kcpKyma?.metadata.labels?.[RUNTIME_ID_LABEL] ?? '').toLowerCase() === runtimeId.toLowerCase()) return null;
  } else if (!RUNTIME_ID_SHAPE.test(owner)) return null;
  return `the SKR's Kyma ${skrKyma.metadata.namespace ?? ''}/${skrKyma.metadata.name} belongs to the KCP Kyma ${KCP_SYSTEM}/${owner}, not to runtime ${runtimeId}: the kubeconfig reaches another runtime's cluster. Not patched: check the SKR kubeconfig (--kubeconfig or $KUBECONFIG) and the runtime id (--runtime-id or $RUNTIME_ID)`;
}

/** How a Kyma shows that it is being deleted (a deletionTimestamp, or LM's state Deleting), or null. */
export function beingDeleted(kyma: KubeObject | undefined): string | null {
  if (!kyma) return null;
  if (kyma.metadata.deletionTimestamp) return `deletionTimestamp ${kyma.metadata.deletionTimestamp}`;
  return (kyma.status as { state?: string } | undefined)?.state === 'Deleting' ? 'state Deleting' : null;
}

/**
 * The runtime's KCP Kymas: by KEB's runtime-id label (an older instance keeps a Kyma named otherwise, e.g. after its
 * shoot); when none carries it, the Kyma named after the lower-cased runtime id (KEB's name today), as a wave's
 * skip-reconciliation list also matches it (rollout/kcp-skip-list.ts). One read, two without the label.
 */
export async function kcpKymasOf(kcp: KubeClient, runtimeId: string): Promise<KubeObject[]> {
  const labelled = (await kcp.list(KYMAS, KCP_SYSTEM, { labelSelector: `${RUNTIME_ID_LABEL}=${runtimeId}` })).items;
  if (labelled.length) return labelled;
  const named = await kcp.get(KYMAS, KCP_SYSTEM, runtimeId.toLowerCase());
  return named ? [named] : [];
}

/**
 * skip-reconciliation of the runtime's KCP Kyma: known from the caller (a wave watches the labelled ones), read from
 * KCP (the Kymas read are returned, for the deletion check), or not checked without KCP access.
 */
export async function checkSkipReconciliation(
  given: boolean | (() => Promise<boolean | undefined>) | undefined,
  kcp: KubeClient | undefined,
  runtimeId: string | null,
  notes: string[],
): Promise<{ check: SkipReconciliationCheck; kcpKymas?: KubeObject[] }> {
  const known = typeof given === 'function' ? await given() : given;
  if (known !== undefined) return { check: known ? 'labelled' : 'not-labelled' };
  if (!kcp || !runtimeId) {
    notes.push(`skip-reconciliation not checked: LM reads it on the KCP Kyma ${KCP_SYSTEM}/<runtime-id>, and there is no KCP access (give --kcp-kubeconfig and --runtime-id)`);
    return { check: 'not-checked' };
  }
  const kymas = await kcpKymasOf(kcp, runtimeId);
  if (!kymas.length) notes.push(`no Kyma for runtime ${runtimeId} in ${KCP_SYSTEM} on KCP (neither named after it nor labelled ${RUNTIME_ID_LABEL}=${runtimeId}): LM has nothing to reconcile for this runtime`);
  return { check: kymas.some((k) => skipReconciliationSet(k.metadata.labels)) ? 'labelled' : 'not-labelled', kcpKymas: kymas };
}

/**
 * The names by which a `spec.modules` entry refers to the istio module, as LM resolves an entry (DOMAIN.md §6.1: the
 * template's module-name label, `namespace/name`, its name, or the descriptor's FQDN): `istio`, the FQDN, and the
 * name and namespace/name of every Istio ModuleTemplate on the SKR.
 */
export function istioReferences(istioTemplates: KubeObject[]): Set<string> {
  const refs = new Set(['istio', ISTIO_FQDN]);
  for (const t of istioTemplates) {
    refs.add(t.metadata.name);
    // LM resolves against KCP's templates; the SKR holds their synced copies under the same names.
    for (const ns of new Set([t.metadata.namespace, KCP_SYSTEM])) if (ns) refs.add(`${ns}/${t.metadata.name}`);
  }
  return refs;
}

/** The Kyma's `spec.modules` entry naming istio (by any reference), or undefined. */
export function istioEntry(kyma: KubeObject, refs: Set<string>): { name: string } | undefined {
  const modules = modulesOf(kyma);
  if (!Array.isArray(modules)) return undefined;
  return modules.find((m): m is { name: string } => typeof m?.name === 'string' && refs.has(m.name));
}

/** The Kyma's `spec.modules` as read (absent and null differ for the patch). */
export function modulesOf(kyma: KubeObject): { name?: string }[] | null | undefined {
  return (kyma.spec as { modules?: { name?: string }[] | null } | undefined)?.modules;
}

/** One JSON patch: `test` that the modules are what we read, then add istio (initialising the list when absent). */
export function istioPatch(kyma: KubeObject): unknown[] {
  const modules = modulesOf(kyma);
  if (modules === undefined || modules === null) {
    return [
      { op: 'test', path: '/spec/modules', value: null },
      { op: 'add', path: '/spec/modules', value: [{ name: 'istio' }] },
    ];
  }
  return [
    { op: 'test', path: '/spec/modules', value: modules },
    { op: 'add', path: '/spec/modules/-', value: { name: 'istio' } },
  ];
}
