/**
 * The starting objects of every simulated cluster, as Lifecycle Manager, KEB, the old Kyma reconciler and
 * Gardener left them in Nov 2023 (DOMAIN.md §4–§7): SKR Kymas, the synced module catalog, Istio CRs and the
 * operator Deployment per scenario (DESIGN.md C2); KCP Kymas, access secrets, ModuleTemplates and Manifests;
 * Gardener shoots.
 *
 * Determinism: uids are derived from the cluster id (the runtime id, itself seeded) and an object key;
 * creationTimestamps are `referenceTime` minus an age. Nothing here reads the clock or a random source.
 *
 * Memory: big immutable parts (ModuleTemplate bodies, the operator Deployment spec, Istio specs) are built once,
 * deep-frozen and shared by every cluster. The store never mutates objects in place (it replaces them), so
 * sharing is safe; freezing turns an accidental in-place write into a TypeError instead of a change that
 * would silently show up on 10,000 clusters at once.
 */
import { createHash } from 'node:crypto';
import { derivedUuid, PLAN_IDS, providerOf, stableHash, type Provider } from './generate.js';
import { maintenanceWindow } from './maintenance-windows.js';
import type { Env, K8sObject, KcpGeneration, RuntimeSpec, Scenario } from '../types.js';

export interface SeedContext {
  /** e.g. `http://127.0.0.1:PORT`. */
  baseUrl: string;
  /** The bearer token of a cluster (`<env>-kcp`, `<env>-gardener` or a runtime id). */
  tokenFor(clusterId: string): string;
  /** ms since the epoch, floored to seconds: "now" for the seeded objects. */
  referenceTime: number;
  /** Lifecycle Manager generation of the KCPs (C1 `--kcp`); default `2023`. */
  kcp?: KcpGeneration;
}

export const KYMA_API_VERSION = 'operator.kyma-project.io/v1beta2';
export const ISTIO_API_VERSION = 'operator.kyma-project.io/v1alpha2';
export const KCP_NAMESPACE = 'kcp-system';
export const SKR_NAMESPACE = 'kyma-system';
export const ISTIO_FQDN = 'kyma-project.io/module/istio';
export const KEDA_FQDN = 'kyma-project.io/module/keda';
/** Module version of the Istio ModuleTemplates applied for the rollout (DOMAIN.md §4). */
export const ISTIO_MODULE_VERSION = '1.1.2';
export const KEDA_MODULE_VERSION = '1.0.0';
export const ISTIO_FINALIZER = 'istios.operator.kyma-project.io/istio-installation';
export const OPERATOR_DEPLOYMENT = 'istio-controller-manager';

const L = {
  kymaName: 'operator.kyma-project.io/kyma-name',
  managedBy: 'operator.kyma-project.io/managed-by',
  watchedBy: 'operator.kyma-project.io/watched-by',
  moduleName: 'operator.kyma-project.io/module-name',
  channel: 'operator.kyma-project.io/channel',
  skip: 'operator.kyma-project.io/skip-reconciliation',
} as const;
const LM = 'lifecycle-manager';
/** Bound once: a global lookup per call is slow under jest's VM modules (see generate.ts). */
const imul = Math.imul;
const COMPONENT_REPO = 'europe-docker.pkg.dev/kyma-project/modules-internal';
const IMAGE_REPO = 'europe-docker.pkg.dev/kyma-project/prod';

// ---------------------------------------------------------------------------------------------------------
// Small helpers

/** RFC 3339 with second resolution, `ageSeconds` before the reference time. */
function ts(ctx: SeedContext, ageSeconds: number): string {
  const ms = Math.floor(ctx.referenceTime / 1000) * 1000 - Math.round(ageSeconds) * 1000;
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

function uidOf(clusterId: string, kind: string, namespace: string | undefined, name: string): string {
  return derivedUuid(clusterId, kind, namespace ?? '', name);
}

/** Fills uid and creationTimestamp into an object's own (unshared) metadata. */
function stamp<T extends K8sObject>(clusterId: string, obj: T, ageSeconds: number, ctx: SeedContext): T {
  obj.metadata.uid = uidOf(clusterId, obj.kind, obj.metadata.namespace, obj.metadata.name!);
  obj.metadata.creationTimestamp = ts(ctx, ageSeconds);
  return obj;
}

/** A cached body with cluster-specific metadata on top; spec and status stay shared. */
function placed(clusterId: string, body: K8sObject, ageSeconds: number, ctx: SeedContext): K8sObject {
  return stamp(clusterId, { ...body, metadata: { ...body.metadata } }, ageSeconds, ctx);
}

function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

const NAMESPACE_SPEC = deepFreeze({ finalizers: ['kubernetes'] });
const NAMESPACE_STATUS = deepFreeze({ phase: 'Active' });

function namespaceObj(clusterId: string, name: string, ageSeconds: number, ctx: SeedContext, labels: Record<string, string> = {}): K8sObject {
  return stamp(
    clusterId,
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
      spec: NAMESPACE_SPEC,
      status: NAMESPACE_STATUS,
    },
    ageSeconds,
    ctx,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Manifest names (LM pkg/module/common/module.go CreateModuleName)

/** Go's hash/fnv New32 (FNV-1, not 1a) over the UTF-8 bytes. */
export function fnv1_32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h = imul(h, 0x01000193);
    h = (h ^ b) >>> 0;
  }
  return h >>> 0;
}

/** LM's Manifest name: `<kyma>-<last FQDN segment>-<fnv1_32(fqdn + module)>`, cut to 62 chars. */
export function manifestName(runtimeId: string, moduleName: string, fqdn: string): string {
  const segment = fqdn.slice(fqdn.lastIndexOf('/') + 1);
  return `${runtimeId}-${segment}-${fnv1_32(fqdn + moduleName)}`.slice(0, 62);
}

export function gardenNamespace(env: Env): string {
  return `garden-kyma-${env}`;
}

// ---------------------------------------------------------------------------------------------------------
// Kubeconfigs

/**
 * A kubeconfig for one simulated cluster, shaped like the ones KEB stores (one cluster, one user, one
 * context). Built as text because 10,000 of them are written at start-up; JSON strings are valid YAML scalars.
 */
export function kubeconfigYaml(clusterId: string, ctx: SeedContext): string {
  const server = JSON.stringify(`${ctx.baseUrl}/clusters/${clusterId}`);
  const token = JSON.stringify(ctx.tokenFor(clusterId));
  return `apiVersion: v1
kind: Config
current-context: ${clusterId}
clusters:
- name: ${clusterId}
  cluster:
    server: ${server}
    insecure-skip-tls-verify: true
contexts:
- name: ${clusterId}
  context:
    cluster: ${clusterId}
    user: ${clusterId}-admin
users:
- name: ${clusterId}-admin
  user:
    token: ${token}
preferences: {}
`;
}

// ---------------------------------------------------------------------------------------------------------
// ModuleTemplates (shared, frozen)

interface Resource {
  name: string;
  image: string;
  version: string;
}

/** An OCM component descriptor as `kyma alpha create module` wrote it in 2023. */
function descriptor(fqdn: string, version: string, repo: string, resources: Resource[]): Record<string, unknown> {
  const digest = `sha256:${sha256Hex(`${fqdn}:${version}:raw-manifest`)}`;
  return {
    component: {
      componentReferences: [],
      labels: [{ name: 'security.kyma-project.io/scan', value: 'enabled', version: 'v1' }],
      name: fqdn,
      provider: '{"name":"kyma-project.io","labels":[{"name":"kyma-project.io/built-by","value":"cli","version":"v1"}]}',
      repositoryContexts: [{ baseUrl: COMPONENT_REPO, componentNameMapping: 'urlPath', type: 'OCIRegistry' }],
      resources: [
        ...resources.map((r) => ({
          access: { imageReference: r.image, type: 'ociRegistry' },
          labels: [{ name: 'scan.security.kyma-project.io/type', value: 'third-party-image', version: 'v1' }],
          name: r.name,
          relation: 'external',
          type: 'ociImage',
          version: r.version,
        })),
        {
          access: {
            globalAccess: {
              digest,
              mediaType: 'application/octet-stream',
              ref: `${COMPONENT_REPO}/component-descriptors/${fqdn}`,
              size: 150_000 + (stableHash(digest) % 80_000),
              type: 'ociBlob',
            },
            localReference: digest,
            mediaType: 'application/octet-stream',
            type: 'localBlob',
          },
          name: 'raw-manifest',
          relation: 'local',
          type: 'yaml',
          version,
        },
      ],
      sources: [
        {
          access: { commit: sha256Hex(`${repo}@${version}`).slice(0, 40), repoUrl: repo, type: 'gitHub' },
          labels: [
            { name: 'git.kyma-project.io/ref', value: 'HEAD', version: 'v1' },
            { name: 'scan.security.kyma-project.io/language', value: 'golang-mod', version: 'v1' },
            { name: 'scan.security.kyma-project.io/exclude', value: '**/tests/**,**/test/**,**/*_test.go', version: 'v1' },
          ],
          name: 'module-sources',
          type: 'Github',
          version,
        },
      ],
      version,
    },
    meta: { schemaVersion: 'v2' },
  };
}

/** The Istio version each module version ships (the images in the descriptor). */
const ISTIO_OF_MODULE: Record<string, string> = { '1.1.2': '1.19.3', '1.2.0': '1.19.3', '1.3.0': '1.20.2', '1.4.1': '1.20.3' };

const templateCache = new Map<string, K8sObject>();

function moduleTemplate(
  module: string,
  channel: string,
  namespace: string,
  version: string,
  data: Record<string, unknown>,
  desc: Record<string, unknown>,
  docUrl: string,
): K8sObject {
  return deepFreeze({
    apiVersion: KYMA_API_VERSION,
    kind: 'ModuleTemplate',
    metadata: {
      name: `${module}-${channel}`,
      namespace,
      generation: 1,
      labels: { [L.managedBy]: LM, [L.moduleName]: module },
      annotations: {
        'operator.kyma-project.io/doc-url': docUrl,
        'operator.kyma-project.io/is-cluster-scoped': 'false',
        'operator.kyma-project.io/module-version': version,
      },
    },
    spec: { channel, data, descriptor: desc },
  });
}

/**
 * The Istio ModuleTemplate of a channel (DOMAIN.md §4): `spec.data` is the `default` Istio CR LM creates.
 * Cached per channel, namespace and version and frozen: every caller gets the same object. Give it
 * cluster-specific metadata (uid, creationTimestamp) by copying `metadata`, never by writing into it.
 */
export function istioModuleTemplate(channel: 'fast' | 'regular', namespace: string, version = ISTIO_MODULE_VERSION): K8sObject {
  const key = `istio/${channel}/${namespace}/${version}`;
  let t = templateCache.get(key);
  if (!t) {
    const istio = ISTIO_OF_MODULE[version] ?? '1.19.3';
    t = moduleTemplate(
      'istio',
      channel,
      namespace,
      version,
      {
        apiVersion: ISTIO_API_VERSION,
        kind: 'Istio',
        metadata: { name: 'default', namespace: SKR_NAMESPACE, labels: { 'app.kubernetes.io/name': 'default' } },
      },
      descriptor(ISTIO_FQDN, version, 'https://github.com/kyma-project/istio.git', [
        { name: 'istio-manager', image: `${IMAGE_REPO}/istio-manager:${version}`, version },
        ...['install-cni', 'proxyv2', 'pilot'].map((n) => ({
          name: n,
          image: `${IMAGE_REPO}/external/istio/${n}:${istio}-distroless`,
          version: `${istio}-distroless`,
        })),
      ]),
      'https://kyma-project.io/#/istio/user/README',
    );
    templateCache.set(key, t);
  }
  return t;
}

/** The Keda ModuleTemplate of a channel (the other module of the era; `with-keda` uses it). Cached like Istio's. */
export function kedaModuleTemplate(channel: 'fast' | 'regular', namespace: string, version = KEDA_MODULE_VERSION): K8sObject {
  const key = `keda/${channel}/${namespace}/${version}`;
  let t = templateCache.get(key);
  if (!t) {
    t = moduleTemplate(
      'keda',
      channel,
      namespace,
      version,
      {
        apiVersion: 'operator.kyma-project.io/v1alpha1',
        kind: 'Keda',
        metadata: { name: 'default', namespace: SKR_NAMESPACE },
        spec: { logging: { operator: { level: 'info' }, metricServer: { level: '0' } } },
      },
      descriptor(KEDA_FQDN, version, 'https://github.com/kyma-project/keda-manager.git', [
        { name: 'keda-manager', image: `${IMAGE_REPO}/keda-manager:${version}`, version },
        { name: 'keda', image: `${IMAGE_REPO}/external/kedacore/keda:2.11.2`, version: '2.11.2' },
        { name: 'keda-metrics-apiserver', image: `${IMAGE_REPO}/external/kedacore/keda-metrics-apiserver:2.11.2`, version: '2.11.2' },
      ]),
      'https://kyma-project.io/#/keda-manager/user/README',
    );
    templateCache.set(key, t);
  }
  return t;
}

/**
 * Today's module catalog (`--kcp current`): module versions per channel. Istio 1.29.0 / 1.30.0 are
 * kyma-project/istio release tags; the keda versions are made up for the simulation.
 */
export const CURRENT_VERSIONS = {
  istio: { regular: '1.29.0', fast: '1.30.0' },
  keda: { regular: '1.7.0', fast: '1.8.0' },
} as const;

/** The manager of a module, whose Deployment's state is the Manifest's on today's LM (ModuleTemplate `spec.manager`). */
const MANAGER = { istio: 'istio-controller-manager', keda: 'keda-manager' } as const;

/**
 * A ModuleTemplate of today's LM: named `<module>-<version>` (lifecycle-manager `api/v1beta2/moduletemplate_types.go`
 * `CreateModuleTemplateName`), with `spec.moduleName`, `spec.version` and `spec.manager`, and no `spec.channel`
 * (deprecated there). The body is the 2023 template's (`spec.data`, the descriptor) otherwise.
 */
function versionedTemplate(module: 'istio' | 'keda', version: string, namespace: string): K8sObject {
  const key = `${module}@${version}/${namespace}`;
  let t = templateCache.get(key);
  if (!t) {
    const old = module === 'istio' ? istioModuleTemplate('regular', namespace, version) : kedaModuleTemplate('regular', namespace, version);
    const { channel: _channel, ...spec } = old.spec as Record<string, unknown>;
    const annotations = { ...old.metadata.annotations };
    delete annotations['operator.kyma-project.io/module-version'];
    t = deepFreeze({
      ...old,
      metadata: { ...old.metadata, name: `${module}-${version}`, annotations },
      spec: {
        ...spec,
        moduleName: module,
        version,
        manager: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: SKR_NAMESPACE, name: MANAGER[module] },
      },
    });
    templateCache.set(key, t);
  }
  return t;
}

/**
 * A ModuleReleaseMeta (lifecycle-manager `api/v1beta2/modulereleasemeta_types.go`): named after the module, in the
 * Kyma's namespace (`pkg/templatelookup/modulereleasemeta.go` `GetModuleReleaseMeta`), `spec.channels` maps each
 * channel to a version.
 */
function moduleReleaseMeta(module: 'istio' | 'keda', namespace: string): K8sObject {
  const key = `mrm/${module}/${namespace}`;
  let t = templateCache.get(key);
  if (!t) {
    const v = CURRENT_VERSIONS[module];
    t = deepFreeze({
      apiVersion: KYMA_API_VERSION,
      kind: 'ModuleReleaseMeta',
      metadata: { name: module, namespace, generation: 1, labels: { [L.managedBy]: LM } },
      spec: {
        moduleName: module,
        ocmComponentName: module === 'istio' ? ISTIO_FQDN : KEDA_FQDN,
        channels: [
          { channel: 'fast', version: v.fast },
          { channel: 'regular', version: v.regular },
        ],
        beta: false,
        internal: false,
      },
    });
    templateCache.set(key, t);
  }
  return t;
}

/**
 * A module's catalog as LM keeps it in a namespace (KCP `kcp-system`, synced to the SKR's `kyma-system`):
 * 2023: one template per channel; current: the ModuleReleaseMeta and one template per assigned version.
 */
export function moduleCatalog(module: 'istio' | 'keda', gen: KcpGeneration, namespace: string): K8sObject[] {
  if (gen === '2023') return (['fast', 'regular'] as const).map((ch) => (module === 'istio' ? istioModuleTemplate(ch, namespace) : kedaModuleTemplate(ch, namespace)));
  const versions = [...new Set(Object.values(CURRENT_VERSIONS[module]))];
  return [moduleReleaseMeta(module, namespace), ...versions.map((v) => versionedTemplate(module, v, namespace))];
}

/** The module version a channel resolves to, and the name of its template, per generation. */
export function moduleTemplateFor(module: 'istio' | 'keda', gen: KcpGeneration, channel: 'fast' | 'regular'): { name: string; version: string } {
  if (gen === '2023') return { name: `${module}-${channel}`, version: module === 'istio' ? ISTIO_MODULE_VERSION : KEDA_MODULE_VERSION };
  const version = CURRENT_VERSIONS[module][channel];
  return { name: `${module}-${version}`, version };
}

// ---------------------------------------------------------------------------------------------------------
// Scenario shapes (DESIGN.md C2)

/** Which Istio CR a scenario starts with. */
export type IstioCrShape =
  /** None at all. */
  | 'none'
  /** `default` created by the old reconciler (no LM ownership yet). */
  | 'reconciler-default'
  /** A customer's CR with another name, created long ago. */
  | 'customer'
  /** `default` managed by LM (the module is in `spec.modules`). */
  | 'lm-default';

export interface SkrShape {
  /** The SKR has the Kyma `default` in kyma-system. */
  kyma: boolean;
  /** A second Kyma next to `default`. */
  secondKyma: boolean;
  /** The KCP Kyma labelled `operator.kyma-project.io/skip-reconciliation: "true"` (the SKR copy never is). */
  skipReconciliation: boolean;
  /** The synced catalog holds `istio-fast` and `istio-regular`. */
  istioTemplates: boolean;
  /** The synced catalog holds `keda-fast` and `keda-regular`. */
  kedaTemplates: boolean;
  /** `spec.modules` of the SKR Kyma; undefined = absent. */
  modules: ReadonlyArray<'istio' | 'keda'> | undefined;
  istioCr: IstioCrShape;
}

const FRESH: SkrShape = { kyma: true, secondKyma: false, skipReconciliation: false, istioTemplates: true, kedaTemplates: false, modules: undefined, istioCr: 'none' };
const EXISTING: SkrShape = { ...FRESH, istioCr: 'reconciler-default' };

/**
 * The starting SKR of each scenario. The access scenarios (`skr-no-secret`, `skr-down`) and the KEB-state ones
 * (`suspended`, `deprovisioning`) look like `existing-default` on the SKR: their difference is KCP, KEB or
 * the server. The operator Deployment runs wherever an Istio CR exists.
 */
export const SCENARIO_SHAPES = {
  fresh: FRESH,
  'with-keda': { ...FRESH, kedaTemplates: true, modules: ['keda'] },
  'existing-default': EXISTING,
  'custom-cr-legacy': { ...FRESH, istioCr: 'customer' },
  'custom-cr': { ...FRESH, istioCr: 'customer' },
  'already-migrated': { ...FRESH, modules: ['istio'], istioCr: 'lm-default' },
  'no-template': { ...FRESH, istioTemplates: false, kedaTemplates: true },
  'no-kyma': { ...FRESH, kyma: false },
  'two-kymas': { ...FRESH, secondKyma: true },
  slow: EXISTING,
  'istio-error': FRESH,
  'manifest-error': EXISTING,
  'skip-reconciliation': { ...FRESH, skipReconciliation: true },
  'skr-no-secret': EXISTING,
  'skr-down': EXISTING,
  suspended: EXISTING,
  deprovisioning: EXISTING,
  flaky: EXISTING,
} as const satisfies Record<Scenario, SkrShape>;

/**
 * Whether KCP holds a `kubeconfig-<runtimeId>` secret (and the simulator writes a kubeconfig file).
 * Suspension deprovisions the cluster, so a suspended runtime has none either.
 */
export function hasKubeconfig(rt: Pick<RuntimeSpec, 'scenario'>): boolean {
  return rt.scenario !== 'skr-no-secret' && rt.scenario !== 'suspended';
}

/** Whether KCP holds the runtime's Kyma: KEB deletes it when it suspends a runtime. */
export function hasKcpKyma(rt: Pick<RuntimeSpec, 'scenario'>): boolean {
  return rt.scenario !== 'suspended';
}

// ---------------------------------------------------------------------------------------------------------
// Ages (seconds before the reference time) of the objects of one runtime. Distinct offsets keep timestamps
// apart; everything an SRE-facing step or LM creates later is newer than all of them.

/** KCP ModuleTemplates were applied shortly before each environment's rollout step. */
const KCP_ISTIO_TEMPLATE_AGE: Record<Env, number> = { dev: 21 * 86_400, stage: 9 * 86_400, prod: 4 * 86_400 };
const KCP_KEDA_TEMPLATE_AGE = 75 * 86_400;

function ages(rt: RuntimeSpec) {
  const a = rt.ageSeconds;
  const h = stableHash(rt.runtimeId);
  const operator = a - 900 - (h % 300);
  const istioTemplates = Math.min(a - 480, KCP_ISTIO_TEMPLATE_AGE[rt.env] - 30 - (h % 60));
  return {
    shoot: a + 600,
    namespace: a,
    kymaSystem: a - 240,
    secret: a - 200,
    kcpKyma: a - 300,
    skrKyma: a - 420,
    istioTemplates,
    kedaTemplates: Math.min(a - 500, KCP_KEDA_TEMPLATE_AGE - 30 - (h % 60)),
    operator,
    reconcilerIstio: operator - 45,
    /** Customer CRs: well after the operator came, at least two hours before the reference time. */
    customerIstio: Math.max(7200, Math.floor(operator * 0.6)),
    kedaModule: Math.max(3 * 3600, Math.floor(a * 0.5)),
    /** `already-migrated`: the module was added after the templates came, at least an hour ago. */
    istioModule: Math.max(3600 + 17, Math.min(a - 1200, istioTemplates - 3600)),
    secondKyma: Math.max(5400, Math.floor(a * 0.3)),
    /** LM's last reconcile of the Kyma: recent. */
    lastSync: 20 + (h % 240),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Kyma status

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
      metadata: { name: manifestName(runtimeId, module, fqdn), namespace: KCP_NAMESPACE, generation: 1 },
    },
    resource: {
      apiVersion: istio ? ISTIO_API_VERSION : 'operator.kyma-project.io/v1alpha1',
      kind: istio ? 'Istio' : 'Keda',
      metadata: { name: 'default', namespace: SKR_NAMESPACE, generation: 1 },
    },
    template: {
      apiVersion: KYMA_API_VERSION,
      kind: 'ModuleTemplate',
      metadata: { name: template.name, namespace: KCP_NAMESPACE, generation: 1 },
    },
  };
}

/**
 * The Kyma status LM writes on KCP and copies to the SKR. The KCP Kyma of `skr-no-secret` is in `Error`: LM
 * cannot reach a runtime whose access secret is gone — and so the SKR copy still shows the last good sync.
 */
function kymaStatus(rt: RuntimeSpec, ctx: SeedContext, where: 'kcp' | 'skr'): Record<string, unknown> {
  const a = ages(rt);
  const broken = where === 'kcp' && rt.scenario === 'skr-no-secret';
  const stale = where === 'skr' && rt.scenario === 'skr-no-secret';
  const when = ts(ctx, stale ? Math.min(a.lastSync + 86_400, a.skrKyma - 60) : a.lastSync);
  const since = ts(ctx, a.kcpKyma - 240);
  const modules = (SCENARIO_SHAPES[rt.scenario].modules ?? []).map((m) => moduleStatus({ runtimeId: rt.runtimeId, module: m, channel: rt.channel, gen: ctx.kcp ?? '2023' }));
  const cond = (type: string, message: string) => ({ type, status: 'True', reason: 'Ready', message, lastTransitionTime: since, observedGeneration: 1 });
  return {
    state: broken ? 'Error' : 'Ready',
    activeChannel: rt.channel,
    lastOperation: { operation: broken ? 'access secret not found' : 'kyma is ready', lastUpdateTime: when },
    conditions: [cond('ModuleCatalog', 'module templates are synchronized'), cond('Modules', 'all modules are in ready state'), cond('SKRWebhook', 'skrwebhook is synchronized')],
    ...(modules.length > 0 ? { modules } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// SKR objects

const OPERATOR_LABELS = deepFreeze({ 'kyma-project.io/module': 'istio', 'app.kubernetes.io/name': 'istio-operator', 'control-plane': 'controller-manager' });
const deploymentSpecCache = new Map<string, Record<string, unknown>>();

/** The spec of `istio-controller-manager` as the istio module's kustomize output has it (shared per version). */
function operatorDeploymentSpec(version: string): Record<string, unknown> {
  let spec = deploymentSpecCache.get(version);
  if (!spec) {
    const probe = (path: string, initialDelaySeconds: number, periodSeconds: number) => ({
      httpGet: { path, port: 8081, scheme: 'HTTP' },
      initialDelaySeconds,
      periodSeconds,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    });
    spec = deepFreeze({
      replicas: 1,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'istio-operator', 'control-plane': 'controller-manager' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { ...OPERATOR_LABELS }, annotations: { 'kubectl.kubernetes.io/default-container': 'manager' } },
        spec: {
          containers: [
            {
              name: 'manager',
              image: `${IMAGE_REPO}/istio-manager:${version}`,
              imagePullPolicy: 'IfNotPresent',
              command: ['/manager'],
              args: ['--leader-elect'],
              livenessProbe: probe('/healthz', 15, 20),
              readinessProbe: probe('/readyz', 5, 10),
              resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '10m', memory: '128Mi' } },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
            },
          ],
          dnsPolicy: 'ClusterFirst',
          priorityClassName: 'istio-priority-class',
          restartPolicy: 'Always',
          schedulerName: 'default-scheduler',
          securityContext: { runAsNonRoot: true },
          serviceAccountName: 'istio-controller-manager',
          terminationGracePeriodSeconds: 10,
        },
      },
    });
    deploymentSpecCache.set(version, spec);
  }
  return spec;
}

/** A ReplicaSet suffix in the alphabet Kubernetes uses for pod-template hashes (no vowels, no 0/1/3). */
function podTemplateHash(seed: string): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let h = stableHash(`${seed}/pod-template-hash`);
  let out = '';
  for (let i = 0; i < 10; i++) {
    out += alphabet[h % alphabet.length];
    h = Math.floor(h / alphabet.length) ^ imul(h, 31);
    h >>>= 0;
  }
  return out;
}

function operatorDeployment(rt: RuntimeSpec, ctx: SeedContext): K8sObject {
  const a = ages(rt);
  const since = ts(ctx, a.operator - 30);
  const rs = `${OPERATOR_DEPLOYMENT}-${podTemplateHash(rt.runtimeId)}`;
  return stamp(
    rt.runtimeId,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: OPERATOR_DEPLOYMENT,
        namespace: SKR_NAMESPACE,
        generation: 1,
        labels: OPERATOR_LABELS,
        annotations: { 'deployment.kubernetes.io/revision': '1' },
      },
      spec: operatorDeploymentSpec(rt.operatorVersion),
      status: {
        observedGeneration: 1,
        replicas: 1,
        updatedReplicas: 1,
        readyReplicas: 1,
        availableReplicas: 1,
        conditions: [
          { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: since, lastTransitionTime: since },
          { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rs}" has successfully progressed.`, lastUpdateTime: since, lastTransitionTime: ts(ctx, a.operator) },
        ],
      },
    },
    a.operator,
    ctx,
  );
}

/** Status of a reconciled Istio CR; the operator sets conditions from 1.3 on. */
function istioReadyStatus(operatorVersion: string, since: string): Record<string, unknown> {
  const [major, minor] = operatorVersion.split('.').map(Number);
  if (major === 1 && minor < 3) return { state: 'Ready' };
  return {
    state: 'Ready',
    conditions: [{ type: 'Ready', status: 'True', reason: 'ReconcileSucceeded', message: 'Reconciliation succeeded', lastTransitionTime: since, observedGeneration: 1 }],
  };
}

/** The spec the old reconciler gave the `default` CR it created. */
const RECONCILER_ISTIO_SPEC = deepFreeze({ config: { numTrustedProxies: 1 } });

/** Names customers gave their own Istio CRs. */
const CUSTOMER_CR_NAMES = ['custom-istio', 'istio', 'my-istio', 'istio-config', 'istio-custom'];

const res = (rc: string, rm: string, lc: string, lm: string) => ({ requests: { cpu: rc, memory: rm }, limits: { cpu: lc, memory: lm } });
/** Customised specs of the v1alpha2 schema (1.1.2): trusted proxies, gateway and pilot scaling and sizing. */
const CUSTOMER_ISTIO_SPECS = deepFreeze([
  { config: { numTrustedProxies: 2 }, components: { ingressGateway: { k8s: { hpaSpec: { minReplicas: 2, maxReplicas: 10 }, resources: res('100m', '128Mi', '2000m', '1024Mi') } } } },
  {
    config: { numTrustedProxies: 3 },
    components: {
      ingressGateway: { k8s: { hpaSpec: { minReplicas: 3, maxReplicas: 6 } } },
      pilot: { k8s: { hpaSpec: { minReplicas: 2, maxReplicas: 5 }, resources: res('250m', '512Mi', '4000m', '2Gi') } },
    },
  },
  {
    config: { numTrustedProxies: 1 },
    components: {
      proxy: { k8s: { resources: res('20m', '64Mi', '500m', '256Mi') } },
      ingressGateway: { k8s: { hpaSpec: { minReplicas: 2, maxReplicas: 4 }, strategy: { rollingUpdate: { maxSurge: '50%', maxUnavailable: 0 } } } },
    },
  },
]);

function istioCr(rt: RuntimeSpec, shape: IstioCrShape, ctx: SeedContext): K8sObject | undefined {
  if (shape === 'none') return undefined;
  const a = ages(rt);
  const h = stableHash(`${rt.runtimeId}/istio`);
  if (shape === 'customer') {
    const name = CUSTOMER_CR_NAMES[h % CUSTOMER_CR_NAMES.length];
    const spec = CUSTOMER_ISTIO_SPECS[(h >>> 8) % CUSTOMER_ISTIO_SPECS.length];
    const applied = JSON.stringify({ apiVersion: ISTIO_API_VERSION, kind: 'Istio', metadata: { annotations: {}, name, namespace: SKR_NAMESPACE }, spec });
    return stamp(
      rt.runtimeId,
      {
        apiVersion: ISTIO_API_VERSION,
        kind: 'Istio',
        metadata: {
          name,
          namespace: SKR_NAMESPACE,
          generation: 1,
          annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `${applied}\n` },
          finalizers: [ISTIO_FINALIZER],
        },
        spec,
        status: istioReadyStatus(rt.operatorVersion, ts(ctx, a.customerIstio - 40)),
      },
      a.customerIstio,
      ctx,
    );
  }
  const labels: Record<string, string> =
    shape === 'lm-default'
      ? { 'app.kubernetes.io/name': 'default', [L.managedBy]: 'declarative-v2' }
      : { 'reconciler.kyma-project.io/managed-by': 'reconciler', 'reconciler.kyma-project.io/origin-version': '2.20.0' };
  return stamp(
    rt.runtimeId,
    {
      apiVersion: ISTIO_API_VERSION,
      kind: 'Istio',
      metadata: { name: 'default', namespace: SKR_NAMESPACE, generation: 1, labels, finalizers: [ISTIO_FINALIZER] },
      spec: shape === 'lm-default' ? {} : RECONCILER_ISTIO_SPEC,
      status: istioReadyStatus(rt.operatorVersion, ts(ctx, a.reconcilerIstio - 40)),
    },
    a.reconcilerIstio,
    ctx,
  );
}

/**
 * The SKR Kyma's labels. Never skip-reconciliation: LM reads that on the KCP Kyma and does not sync it to the SKR
 * (lifecycle-manager `internal/remote/skr_context.go` syncs only the watcher and BTP labels).
 */
const SKR_KYMA_LABELS = (rt: RuntimeSpec): Record<string, string> => ({
  [L.kymaName]: rt.runtimeId,
  [L.managedBy]: LM,
  [L.watchedBy]: LM,
});

/**
 * The objects of a runtime's SKR. Given for every scenario, `suspended` included (what it had before KEB
 * suspended it); whether a cluster answers for it is the server's business.
 */
export function skrObjects(rt: RuntimeSpec, ctx: SeedContext): K8sObject[] {
  const shape: SkrShape = SCENARIO_SHAPES[rt.scenario];
  const a = ages(rt);
  const id = rt.runtimeId;
  const out: K8sObject[] = [
    namespaceObj(id, 'default', a.namespace, ctx),
    namespaceObj(id, 'kube-system', a.namespace, ctx),
    namespaceObj(id, SKR_NAMESPACE, a.kymaSystem, ctx, { 'istio-injection': 'disabled' }),
  ];
  if (shape.istioCr !== 'none') out.push(namespaceObj(id, 'istio-system', a.operator + 5, ctx, { 'namespaces.warden.kyma-project.io/validate': 'enabled' }));

  if (shape.kyma) {
    out.push(
      stamp(
        id,
        {
          apiVersion: KYMA_API_VERSION,
          kind: 'Kyma',
          metadata: { name: 'default', namespace: SKR_NAMESPACE, generation: 1, labels: SKR_KYMA_LABELS(rt) },
          spec: { channel: rt.channel, ...(shape.modules ? { modules: shape.modules.map((name) => ({ name })) } : {}) },
          status: kymaStatus(rt, ctx, 'skr'),
        },
        a.skrKyma,
        ctx,
      ),
    );
  }
  if (shape.secondKyma) {
    // A copy someone made by hand: no LM labels, never reconciled.
    out.push(
      stamp(
        id,
        { apiVersion: KYMA_API_VERSION, kind: 'Kyma', metadata: { name: 'kyma-copy', namespace: SKR_NAMESPACE, generation: 1 }, spec: { channel: rt.channel } },
        a.secondKyma,
        ctx,
      ),
    );
  }
  const gen = ctx.kcp ?? '2023';
  if (shape.istioTemplates) for (const t of moduleCatalog('istio', gen, SKR_NAMESPACE)) out.push(placed(id, t, a.istioTemplates, ctx));
  if (shape.kedaTemplates) for (const t of moduleCatalog('keda', gen, SKR_NAMESPACE)) out.push(placed(id, t, a.kedaTemplates, ctx));
  const cr = istioCr(rt, shape.istioCr, ctx);
  if (cr) {
    out.push(cr);
    out.push(operatorDeployment(rt, ctx));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// KCP objects

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
        namespace: KCP_NAMESPACE,
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
        namespace: KCP_NAMESPACE,
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
  const version = moduleTemplateFor(module, ctx.kcp ?? '2023', rt.channel).version;
  const template = istio ? istioModuleTemplate(rt.channel, KCP_NAMESPACE) : kedaModuleTemplate(rt.channel, KCP_NAMESPACE);
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
        namespace: KCP_NAMESPACE,
        generation: 1,
        labels: { [L.kymaName]: rt.runtimeId, [L.channel]: rt.channel, [L.managedBy]: LM },
        annotations: { 'operator.kyma-project.io/fqdn': fqdn, 'operator.kyma-project.io/is-cluster-scoped': 'false' },
        finalizers: ['declarative.kyma-project.io/finalizer'],
        ownerReferences: [
          { apiVersion: KYMA_API_VERSION, kind: 'Kyma', name: rt.runtimeId, uid: uidOf(kcp, 'Kyma', KCP_NAMESPACE, rt.runtimeId), controller: true, blockOwnerDeletion: true },
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
  const out: K8sObject[] = [namespaceObj(kcp, KCP_NAMESPACE, Math.max(oldest, 400 * 86_400) + 86_400, ctx)];
  const gen = ctx.kcp ?? '2023';
  // The first of a catalog is the oldest (2023: `fast` a minute before `regular`).
  for (const [module, age] of [['istio', KCP_ISTIO_TEMPLATE_AGE[env]], ['keda', KCP_KEDA_TEMPLATE_AGE]] as const) {
    const catalog = moduleCatalog(module, gen, KCP_NAMESPACE);
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

// ---------------------------------------------------------------------------------------------------------
// Gardener objects

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

/** The runtime id annotation of shoots KEB's provisioner created (kyma-environment-broker, until 2025). */
export const PROVISIONER_RUNTIME_ID = 'kcp.provisioner.kyma-project.io/runtime-id';
/**
 * The one infrastructure-manager sets (kyma-project/infrastructure-manager pkg/gardener/shoot/extender/
 * annotations.go `ShootRuntimeIDAnnotation`); it replaces the shoot's annotations with its own, so a shoot it
 * manages carries only this one.
 */
export const KIM_RUNTIME_ID = 'infrastructuremanager.kyma-project.io/runtime-id';

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

