/** The remote resources the migration reads and writes (DOMAIN.md §5–§6), in one place. */
import type { CrRef } from '../clients/kube-client.js';

const KYMA_GROUP = 'operator.kyma-project.io';

export const KYMAS: CrRef = { group: KYMA_GROUP, version: 'v1beta2', plural: 'kymas' };
export const MODULE_TEMPLATES: CrRef = { group: KYMA_GROUP, version: 'v1beta2', plural: 'moduletemplates' };
/** Today's LM only (lifecycle-manager `api/v1beta2/modulereleasemeta_types.go`); a 2023 KCP answers 404. */
export const MODULE_RELEASE_METAS: CrRef = { group: KYMA_GROUP, version: 'v1beta2', plural: 'modulereleasemetas' };
export const MANIFESTS: CrRef = { group: KYMA_GROUP, version: 'v1beta2', plural: 'manifests' };
export const ISTIOS: CrRef = { group: KYMA_GROUP, version: 'v1alpha2', plural: 'istios' };
export const SHOOTS: CrRef = { group: 'core.gardener.cloud', version: 'v1beta1', plural: 'shoots' };

export const KYMA_SYSTEM = 'kyma-system';
export const KCP_SYSTEM = 'kcp-system';
export const OPERATOR_DEPLOYMENT = 'istio-controller-manager';
export const SKIP_RECONCILIATION_LABEL = 'operator.kyma-project.io/skip-reconciliation';
/** KEB's label of a KCP Kyma with its runtime id (kyma-environment-broker `internal/process/steps`, ApplyLabelsAndAnnotationsForLM). */
export const RUNTIME_ID_LABEL = 'kyma-project.io/runtime-id';
/** The SKR Kyma LM reads: `kyma-system/default` (lifecycle-manager `api/shared/operator_labels.go` DefaultRemoteKymaName). */
export const SKR_KYMA_NAME = 'default';

/**
 * Whether LM skips a Kyma: the skip-reconciliation label's value, lower-cased, is "true" (lifecycle-manager
 * `api/v1beta2/kyma_types.go` SkipReconciliation, `api/shared/operator_labels.go` IsEnabled).
 */
export function skipReconciliationSet(labels: Record<string, string> | undefined): boolean {
  return (labels?.[SKIP_RECONCILIATION_LABEL] ?? '').toLowerCase() === 'true';
}
export const ISTIO_FQDN = 'kyma-project.io/module/istio';

/** Bound once: a global lookup per call is slow under jest's VM modules. */
const imul = Math.imul;

/** FNV-1 (not 1a), 32 bit, over the UTF-8 bytes, as LM's `CreateModuleName` uses it (Go's hash/fnv New32). */
export function fnv1_32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h = imul(h, 0x01000193);
    h = (h ^ b) >>> 0;
  }
  return h >>> 0;
}

/**
 * LM's Manifest name (lifecycle-manager pkg/module/common/module.go CreateModuleName):
 * `<kyma-name>-<last FQDN segment>-<fnv1_32(fqdn + module)>`, at most 62 chars.
 */
export function manifestName(kymaName: string, moduleName: string, fqdn: string): string {
  return `${kymaName}-${fqdn.slice(fqdn.lastIndexOf('/') + 1)}-${fnv1_32(fqdn + moduleName)}`.slice(0, 62);
}

/** The istio module's Manifest of a runtime: `<runtime-id>-istio-4034478325`. */
export function istioManifestName(runtimeId: string): string {
  return manifestName(runtimeId, 'istio', ISTIO_FQDN);
}

export function collectionPath(ref: CrRef, namespace?: string): string {
  return `/apis/${ref.group}/${ref.version}${namespace ? `/namespaces/${namespace}` : ''}/${ref.plural}`;
}
