/**
 * Preflight of an environment before anything is touched (DOMAIN.md §9.2): exactly one Istio ModuleTemplate
 * per channel `fast` and `regular` in kcp-system with `spec.data.kind: Istio`; the operator's acknowledgement
 * that the old reconciler no longer reconciles Istio (config — no API can tell); the baseline count of istio
 * Manifests (the doc's `totalCount` vs `wc -l`).
 */
import type { KubeClient } from '../landscape/kube-client.js';
import { KCP_SYSTEM, MANIFESTS, MODULE_TEMPLATES } from '../migration/resources.js';

export interface Preflight {
  ok: boolean;
  templates: { channel: string; name: string; version: string }[];
  problems: string[];
  reconciliation: { confirmed: boolean; by: string | null; reference: string | null };
  istioManifests: number;
}

const CHANNELS = ['fast', 'regular'] as const;

export async function preflight(kcp: KubeClient, ack: { confirmed: boolean; by: string; reference?: string } | undefined): Promise<Preflight> {
  const problems: string[] = [];
  const templates = (await kcp.listOrEmpty(MODULE_TEMPLATES, KCP_SYSTEM)).items.filter((t) => (t.spec as { data?: { kind?: string } } | undefined)?.data?.kind === 'Istio');
  const found: Preflight['templates'] = [];
  for (const channel of CHANNELS) {
    const inChannel = templates.filter((t) => (t.spec as { channel?: string } | undefined)?.channel === channel);
    if (inChannel.length === 0) problems.push(`no Istio ModuleTemplate for channel ${channel} in ${KCP_SYSTEM} (LM would answer "no templates were found")`);
    else if (inChannel.length > 1) problems.push(`${inChannel.length} Istio ModuleTemplates for channel ${channel} (${inChannel.map((t) => t.metadata.name).join(', ')}): LM cannot pick one`);
    else {
      const t = inChannel[0];
      found.push({ channel, name: t.metadata.name, version: t.metadata.annotations?.['operator.kyma-project.io/module-version'] ?? 'unknown' });
    }
  }
  if (!ack?.confirmed) problems.push('the old reconciler\'s Istio reconciliation is not confirmed disabled for this environment (config reconciliationDisabled)');
  const manifests = (await kcp.listOrEmpty(MANIFESTS, KCP_SYSTEM)).items.filter((m) => m.metadata.name.endsWith('-istio-4034478325') || m.metadata.annotations?.['operator.kyma-project.io/fqdn'] === 'kyma-project.io/module/istio');
  return {
    ok: problems.length === 0,
    templates: found,
    problems,
    reconciliation: { confirmed: !!ack?.confirmed, by: ack?.by ?? null, reference: ack?.reference ?? null },
    istioManifests: manifests.length,
  };
}
