/**
 * The starting objects of an environment's Gardener project: its namespace and one Shoot per runtime, as KEB's
 * provisioner or infrastructure-manager created it (DOMAIN.md §7).
 */
import { RUNTIME_ID_ANNOTATION, RUNTIME_ID_ANNOTATION_FALLBACK } from '../../clients/gardener.js';
import type { Env, K8sObject, RuntimeSpec } from '../types.js';
import { providerOf, type Provider } from './plans.js';
import { ages } from './scenarios.js';
import { maintenanceWindow } from './maintenance-windows.js';
import { derivedUuid, stableHash } from './random.js';
import { deepFreeze, gardenNamespace, namespaceObj, stamp, ts, type SeedContext } from './seed.js';

const SHOOT_NETWORKING = deepFreeze({ type: 'calico', nodes: '10.250.0.0/16', pods: '100.64.0.0/12', services: '100.104.0.0/13' });
const SHOOT_AUTO_UPDATE = deepFreeze({ kubernetesVersion: true, machineImageVersion: true });
const CLOUD_PROFILE: Record<Provider, string> = { aws: 'aws', azure: 'az', gcp: 'gcp', openstack: 'converged-cloud-kyma' };
const K8S_VERSIONS = ['1.26.9', '1.26.11', '1.27.6', '1.27.8'];

function machineType(rt: RuntimeSpec, provider: Provider): string {
  switch (provider) {
    case 'aws':
      return rt.plan === 'trial' || rt.plan === 'free' ? 'm5.xlarge' : 'm6i.large';
    case 'azure':
      return rt.plan === 'azure_lite' ? 'Standard_D4_v3' : rt.plan === 'trial' || rt.plan === 'free' ? 'Standard_D4s_v5' : 'Standard_D2s_v5';
    case 'gcp':
      return 'n2-standard-4';
    case 'openstack':
      return 'g_c4_m16';
  }
}

function zones(region: string, provider: Provider, count: number): string[] {
  const suffixes = provider === 'azure' ? ['1', '2', '3'] : provider === 'gcp' ? ['-a', '-b', '-c'] : ['a', 'b', 'c'];
  return suffixes.slice(0, count).map((s) => (provider === 'azure' ? s : `${region}${s}`));
}

/**
 * Shoots KEB's provisioner created (until 2025) carry its runtime id annotation (`kcp.provisioner.…`);
 * infrastructure-manager (kyma-project/infrastructure-manager pkg/gardener/shoot/extender/annotations.go
 * `ShootRuntimeIDAnnotation`) replaces the shoot's annotations with its own, so a shoot it manages carries only
 * its `infrastructuremanager.…` one. The names are the bot's (src/clients/gardener.ts).
 */
export const PROVISIONER_RUNTIME_ID = RUNTIME_ID_ANNOTATION;
export const KIM_RUNTIME_ID = RUNTIME_ID_ANNOTATION_FALLBACK;

/** Whether infrastructure-manager created (or took over) the runtime's shoot: about 40 %, fixed by runtime id. */
export function shootByKim(rt: Pick<RuntimeSpec, 'runtimeId'>): boolean {
  return stableHash(`${rt.runtimeId}/kim`) % 5 < 2;
}

function shootAnnotations(rt: RuntimeSpec): Record<string, string> {
  if (shootByKim(rt)) return { [KIM_RUNTIME_ID]: rt.runtimeId, 'infrastructuremanager.kyma-project.io/runtime-generation': '1' };
  return { [PROVISIONER_RUNTIME_ID]: rt.runtimeId, 'gardener.cloud/created-by': 'kyma-environment-broker' };
}

function shoot(rt: RuntimeSpec, ctx: SeedContext): K8sObject {
  const provider = providerOf(rt);
  const h = stableHash(`${rt.runtimeId}/shoot`);
  const small = rt.plan === 'trial' || rt.plan === 'free';
  const suspended = rt.state === 'suspended';
  const gardenNs = gardenNamespace(rt.env);
  return stamp(
    `${rt.env}-gardener`,
    {
      apiVersion: 'core.gardener.cloud/v1beta1',
      kind: 'Shoot',
      metadata: {
        name: rt.shootName,
        namespace: gardenNs,
        generation: 1,
        labels: { account: rt.globalAccountId, subaccount: rt.subaccountId, 'shoot.gardener.cloud/status': 'healthy' },
        annotations: shootAnnotations(rt),
        finalizers: ['gardener'],
      },
      spec: {
        cloudProfileName: CLOUD_PROFILE[provider],
        region: rt.region,
        secretBindingName: `sb-${(h >>> 4) % 40}`,
        purpose: small ? 'evaluation' : rt.env === 'dev' ? 'development' : 'production',
        kubernetes: { version: K8S_VERSIONS[h % K8S_VERSIONS.length], enableStaticTokenKubeconfig: false },
        networking: SHOOT_NETWORKING,
        maintenance: {
          autoUpdate: SHOOT_AUTO_UPDATE,
          timeWindow: maintenanceWindow(rt.runtimeId),
        },
        provider: {
          type: provider,
          workers: [
            {
              name: 'cpu-worker-0',
              machine: { type: machineType(rt, provider), image: { name: 'gardenlinux', version: '934.11.0' } },
              minimum: small ? 1 : 3,
              maximum: small ? 1 : 20,
              maxSurge: small ? 1 : 3,
              maxUnavailable: 0,
              zones: zones(rt.region, provider, small ? 1 : 3),
            },
          ],
        },
        ...(suspended ? { hibernation: { enabled: true } } : {}),
      },
      status: {
        observedGeneration: 1,
        hibernated: suspended,
        technicalID: `shoot--kyma-${rt.env}--${rt.shootName}`,
        uid: derivedUuid(rt.runtimeId, 'shoot-status'),
        lastOperation: {
          type: 'Reconcile',
          state: 'Succeeded',
          progress: 100,
          description: 'Shoot cluster has been successfully reconciled.',
          lastUpdateTime: ts(ctx, 3600 + (h % 86_400)),
        },
      },
    },
    ages(rt).shoot,
    ctx,
  );
}

/** The Gardener project of an environment: its namespace and one Shoot per runtime (suspended ones hibernated). */
export function gardenerObjects(env: Env, runtimes: RuntimeSpec[], ctx: SeedContext): K8sObject[] {
  const ns = gardenNamespace(env);
  const out: K8sObject[] = [namespaceObj(`${env}-gardener`, ns, 500 * 86_400, ctx, { 'gardener.cloud/role': 'project', 'project.gardener.cloud/name': `kyma-${env}` })];
  for (const rt of runtimes) if (rt.env === env) out.push(shoot(rt, ctx));
  return out;
}

