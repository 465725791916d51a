/**
 * Preflight of an environment before anything is touched (DOMAIN.md §9.2): the Istio ModuleTemplate LM would use
 * for each channel `fast` and `regular` resolves on the KCP — through the ModuleReleaseMeta `istio` on today's LM,
 * through exactly one template per channel on the 2023 one (migration/module-templates.ts); the operator's
 * acknowledgement that the old reconciler no longer reconciles Istio (config — no API can tell); the baseline count
 * of istio Manifests (the doc's `totalCount` vs `wc -l`).
 */
import type { KubeClient } from '../clients/kube-client.js';
import { resolveIstioTemplates, type CatalogKind } from '../migration/module-templates.js';
import { KCP_SYSTEM, MANIFESTS, MODULE_RELEASE_METAS, MODULE_TEMPLATES } from '../migration/resources.js';

export interface Preflight {
  ok: boolean;
  templates: { channel: string; name: string; version: string }[];
  /** How the KCP's LM finds a module's template: a ModuleReleaseMeta (today) or a template per channel (2023). */
  catalog?: CatalogKind;
  problems: string[];
  reconciliation: { confirmed: boolean; by: string | null; reference: string | null };
  istioManifests: number;
}

const CHANNELS = ['fast', 'regular'] as const;

export async function preflight(kcp: KubeClient, ack: { confirmed: boolean; by: string; reference?: string } | undefined): Promise<Preflight> {
  const problems: string[] = [];
  const [templates, releaseMetas] = await Promise.all([kcp.listOrEmpty(MODULE_TEMPLATES, KCP_SYSTEM), kcp.listIfServed(MODULE_RELEASE_METAS, KCP_SYSTEM)]);
  const catalog = resolveIstioTemplates(templates.items, releaseMetas?.items, CHANNELS, KCP_SYSTEM);
  problems.push(...catalog.problems);
  if (!ack?.confirmed) problems.push('the old reconciler\'s Istio reconciliation is not confirmed disabled for this environment (config reconciliationDisabled)');
  const manifests = (await kcp.listOrEmpty(MANIFESTS, KCP_SYSTEM)).items.filter((m) => m.metadata.name.endsWith('-istio-4034478325') || m.metadata.annotations?.['operator.kyma-project.io/fqdn'] === 'kyma-project.io/module/istio');
  return {
    ok: problems.length === 0,
    templates: catalog.templates,
    catalog: catalog.kind,
    problems,
    reconciliation: { confirmed: !!ack?.confirmed, by: ack?.by ?? null, reference: ack?.reference ?? null },
    istioManifests: manifests.length,
  };
}
