/**
 * The starting objects of an environment's KCP, as Lifecycle Manager and KEB left them in Nov 2023: the module
 * catalog, and per runtime its Kyma, its access secret and the Manifests of the modules it has.
 */
import { ISTIO_FQDN, KCP_SYSTEM, manifestName } from '../../migration/resources.js';
import type { Env, K8sObject, RuntimeSpec } from '../types.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { kymaStatus } from './kyma-status.js';
import { PLAN_IDS } from './plans.js';
import { ages, hasKcpKyma, hasKubeconfig, KCP_ISTIO_TEMPLATE_AGE, KCP_KEDA_TEMPLATE_AGE, SCENARIO_SHAPES } from './scenarios.js';
import { COMPONENT_REPO, deepFreeze, generationOf, KEDA_FQDN, KYMA_API_VERSION, L, LM, namespaceObj, placed, sha256Hex, stamp, ts, uidOf, type SeedContext } from './seed.js';
import { istioModuleTemplate, kedaModuleTemplate, moduleCatalog, moduleTemplateFor } from './templates.js';

const SKR_DOMAIN: Record<Env, string> = {
  dev: 'kyma-dev.shoot.canary.k8s-hana.ondemand.com',
  stage: 'kyma-stage.shoot.live.k8s-hana.ondemand.com',
  prod: 'kyma.ondemand.com',
};

/** BTP platform region (subaccount region) of a provider region, as KEB labels it. */
const PLATFORM_REGION: Record<string, string> = {
  'eu-central-1': 'cf-eu10',
  'eu-west-2': 'cf-eu10',
  'us-east-1': 'cf-us10',
  'us-west-2': 'cf-us10',
  'ap-southeast-1': 'cf-ap11',
  'ap-northeast-1': 'cf-jp10',
  'ap-southeast-2': 'cf-ap10',
  'ap-south-1': 'cf-ap12',
  'ca-central-1': 'cf-ca10',
  'sa-east-1': 'cf-br10',
  westeurope: 'cf-eu20',
  northeurope: 'cf-eu20',
  switzerlandnorth: 'cf-ch20',
  uksouth: 'cf-eu20',
  eastus: 'cf-us20',
  westus2: 'cf-us21',
  centralus: 'cf-us20',
  japaneast: 'cf-jp20',
  southeastasia: 'cf-ap21',
  australiaeast: 'cf-ap20',
  'europe-west3': 'cf-eu30',
  'us-central1': 'cf-us30',
  'asia-south1': 'cf-in30',
  'eu-de-1': 'cf-eu11',
  'eu-de-2': 'cf-eu11',
  'ap-jp-1': 'cf-jp10',
  'ap-ae-1': 'cf-ae01',
};

function kcpKyma(rt: RuntimeSpec, ctx: SeedContext): K8sObject {
  const skip = SCENARIO_SHAPES[rt.scenario].skipReconciliation;
  return stamp(
    `${rt.env}-kcp`,
    {
      apiVersion: KYMA_API_VERSION,
      kind: 'Kyma',
      metadata: {
        name: rt.runtimeId,
        namespace: KCP_SYSTEM,
        generation: 1,
        labels: {
          'kyma-project.io/instance-id': rt.instanceId,
          'kyma-project.io/runtime-id': rt.runtimeId,
          'kyma-project.io/broker-plan-id': PLAN_IDS[rt.plan],
          'kyma-project.io/broker-plan-name': rt.plan,
          'kyma-project.io/global-account-id': rt.globalAccountId,
          'kyma-project.io/subaccount-id': rt.subaccountId,
          'kyma-project.io/shoot-name': rt.shootName,
          'kyma-project.io/platform-region': PLATFORM_REGION[rt.region] ?? 'cf-eu10',
          [L.kymaName]: rt.runtimeId,
          [L.managedBy]: LM,
          // SRE sets skip-reconciliation on the KCP Kyma; LM reads it there (lifecycle-manager
          // internal/controller/kyma/controller.go: `kyma.SkipReconciliation()` on the Kyma it reconciles in kcp-system).
          ...(skip ? { [L.skip]: 'true' } : {}),
        },
        annotations: { 'skr-domain': `${rt.shootName}.${SKR_DOMAIN[rt.env]}` },
        finalizers: ['operator.kyma-project.io/Kyma'],
      },
      spec: { channel: rt.channel },
      status: kymaStatus(rt, ctx, 'kcp'),
    },
    ages(rt).kcpKyma,
    ctx,
  );
}

function kubeconfigSecret(rt: RuntimeSpec, ctx: SeedContext): K8sObject {
  return stamp(
    `${rt.env}-kcp`,
    {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: `kubeconfig-${rt.runtimeId}`,
        namespace: KCP_SYSTEM,
        labels: {
          'kyma-project.io/instance-id': rt.instanceId,
          'kyma-project.io/runtime-id': rt.runtimeId,
          'kyma-project.io/global-account-id': rt.globalAccountId,
          [L.kymaName]: rt.runtimeId,
          [L.managedBy]: LM,
        },
      },
      data: { config: Buffer.from(kubeconfigYaml(rt.runtimeId, ctx)).toString('base64') },
    },
    ages(rt).secret,
    ctx,
  );
}

const installSourceCache = new Map<string, Record<string, unknown>>();

/** `spec.install` of a module's Manifest: the raw-manifest layer of the component (shared per module version). */
function installSpec(fqdn: string, version: string): Record<string, unknown> {
  const key = `${fqdn}@${version}`;
  let s = installSourceCache.get(key);
  if (!s) {
    s = deepFreeze({
      name: 'raw-manifest',
      source: { name: fqdn, repo: `${COMPONENT_REPO}/component-descriptors`, ref: `sha256:${sha256Hex(`${fqdn}:${version}:raw-manifest`)}`, type: 'oci-ref' },
    });
    installSourceCache.set(key, s);
  }
  return s;
}

function moduleManifest(rt: RuntimeSpec, module: 'istio' | 'keda', ctx: SeedContext): K8sObject {
  const istio = module === 'istio';
  const fqdn = istio ? ISTIO_FQDN : KEDA_FQDN;
  const version = moduleTemplateFor(module, generationOf(ctx), rt.channel).version;
  const template = istio ? istioModuleTemplate(rt.channel, KCP_SYSTEM) : kedaModuleTemplate(rt.channel, KCP_SYSTEM);
  const a = ages(rt);
  const age = istio ? a.istioModule : a.kedaModule;
  const kcp = `${rt.env}-kcp`;
  const message = 'installation is ready and resources can be used';
  return stamp(
    kcp,
    {
      apiVersion: KYMA_API_VERSION,
      kind: 'Manifest',
      metadata: {
        name: manifestName(rt.runtimeId, module, fqdn),
        namespace: KCP_SYSTEM,
        generation: 1,
        labels: { [L.kymaName]: rt.runtimeId, [L.channel]: rt.channel, [L.managedBy]: LM },
        annotations: { 'operator.kyma-project.io/fqdn': fqdn, 'operator.kyma-project.io/is-cluster-scoped': 'false' },
        finalizers: ['declarative.kyma-project.io/finalizer'],
        ownerReferences: [
          { apiVersion: KYMA_API_VERSION, kind: 'Kyma', name: rt.runtimeId, uid: uidOf(kcp, 'Kyma', KCP_SYSTEM, rt.runtimeId), controller: true, blockOwnerDeletion: true },
        ],
      },
      spec: { remote: true, install: installSpec(fqdn, version), resource: (template.spec as { data: unknown }).data },
      status: {
        state: 'Ready',
        lastOperation: { operation: message, lastUpdateTime: ts(ctx, a.lastSync + 7) },
        conditions: [{ type: 'Installation', status: 'True', reason: 'Ready', message, lastTransitionTime: ts(ctx, age - 95) }],
      },
    },
    age,
    ctx,
  );
}

/**
 * KCP of an environment (`<env>-kcp`): the module catalog, and per runtime the Kyma (not for `suspended`:
 * KEB deletes it on suspension), the access secret (not for `skr-no-secret` and `suspended`) and the
 * Manifests of the modules it already has. Runtimes of other environments are ignored.
 */
export function kcpObjects(env: Env, runtimes: RuntimeSpec[], ctx: SeedContext): K8sObject[] {
  const kcp = `${env}-kcp`;
  const oldest = runtimes.reduce((m, rt) => (rt.env === env ? Math.max(m, rt.ageSeconds) : m), 0);
  const out: K8sObject[] = [namespaceObj(kcp, KCP_SYSTEM, Math.max(oldest, 400 * 86_400) + 86_400, ctx)];
  const gen = generationOf(ctx);
  // The first of a catalog is the oldest (2023: `fast` a minute before `regular`).
  for (const [module, age] of [['istio', KCP_ISTIO_TEMPLATE_AGE[env]], ['keda', KCP_KEDA_TEMPLATE_AGE]] as const) {
    const catalog = moduleCatalog(module, gen, KCP_SYSTEM);
    catalog.forEach((t, i) => out.push(placed(kcp, t, age + 60 * (catalog.length - 1 - i), ctx)));
  }
  for (const rt of runtimes) {
    if (rt.env !== env) continue;
    if (hasKcpKyma(rt)) out.push(kcpKyma(rt, ctx));
    if (hasKubeconfig(rt)) out.push(kubeconfigSecret(rt, ctx));
    const modules = hasKcpKyma(rt) ? (SCENARIO_SHAPES[rt.scenario].modules ?? []) : [];
    for (const m of modules) out.push(moduleManifest(rt, m, ctx));
  }
  return out;
}

