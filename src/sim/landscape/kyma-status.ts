/** The Kyma status Lifecycle Manager writes on KCP and copies to the SKR, as seeded. */
import { ISTIO_FQDN, KCP_SYSTEM, KYMA_SYSTEM, manifestName } from '../../migration/resources.js';
import type { KcpGeneration, RuntimeSpec } from '../types.js';
import { ages, SCENARIO_SHAPES } from './scenarios.js';
import { generationOf, ISTIO_API_VERSION, KEDA_FQDN, KYMA_API_VERSION, ts, type SeedContext } from './seed.js';
import { moduleTemplateFor } from './templates.js';

interface ModuleStatusParams {
  runtimeId: string;
  module: 'istio' | 'keda';
  channel: 'fast' | 'regular';
  gen: KcpGeneration;
}

function moduleStatus({ runtimeId, module, channel, gen }: ModuleStatusParams): Record<string, unknown> {
  const istio = module === 'istio';
  const fqdn = istio ? ISTIO_FQDN : KEDA_FQDN;
  const template = moduleTemplateFor(module, gen, channel);
  return {
    name: module,
    fqdn,
    channel,
    version: template.version,
    state: 'Ready',
    manifest: {
      apiVersion: KYMA_API_VERSION,
      kind: 'Manifest',
      metadata: { name: manifestName(runtimeId, module, fqdn), namespace: KCP_SYSTEM, generation: 1 },
    },
    resource: {
      apiVersion: istio ? ISTIO_API_VERSION : 'operator.kyma-project.io/v1alpha1',
      kind: istio ? 'Istio' : 'Keda',
      metadata: { name: 'default', namespace: KYMA_SYSTEM, generation: 1 },
    },
    template: {
      apiVersion: KYMA_API_VERSION,
      kind: 'ModuleTemplate',
      metadata: { name: template.name, namespace: KCP_SYSTEM, generation: 1 },
    },
  };
}

/**
 * The Kyma status LM writes on KCP and copies to the SKR. The KCP Kyma of `skr-no-secret` is in `Error`: LM
 * cannot reach a runtime whose access secret is gone — and so the SKR copy still shows the last good sync.
 */
export function kymaStatus(rt: RuntimeSpec, ctx: SeedContext, where: 'kcp' | 'skr'): Record<string, unknown> {
  const a = ages(rt);
  const broken = where === 'kcp' && rt.scenario === 'skr-no-secret';
  const stale = where === 'skr' && rt.scenario === 'skr-no-secret';
  const when = ts(ctx, stale ? Math.min(a.lastSync + 86_400, a.skrKyma - 60) : a.lastSync);
  const since = ts(ctx, a.kcpKyma - 240);
  const modules = (SCENARIO_SHAPES[rt.scenario].modules ?? []).map((m) => moduleStatus({ runtimeId: rt.runtimeId, module: m, channel: rt.channel, gen: generationOf(ctx) }));
  const cond = (type: string, message: string) => ({ type, status: 'True', reason: 'Ready', message, lastTransitionTime: since, observedGeneration: 1 });
  return {
    state: broken ? 'Error' : 'Ready',
    activeChannel: rt.channel,
    lastOperation: { operation: broken ? 'access secret not found' : 'kyma is ready', lastUpdateTime: when },
    conditions: [cond('ModuleCatalog', 'module templates are synchronized'), cond('Modules', 'all modules are in ready state'), cond('SKRWebhook', 'skrwebhook is synchronized')],
    ...(modules.length > 0 ? { modules } : {}),
  };
}

