/**
 * The module catalog Lifecycle Manager keeps on KCP and syncs to each SKR (DOMAIN.md §4): ModuleTemplates per
 * channel (2023) or ModuleReleaseMetas with versioned templates (today's LM). Shared and frozen (seed.ts).
 */
import { ISTIO_FQDN, KYMA_SYSTEM } from '../../migration/resources.js';
import type { K8sObject, KcpGeneration } from '../types.js';
import { stableHash } from './random.js';
import { COMPONENT_REPO, deepFreeze, IMAGE_REPO, ISTIO_API_VERSION, ISTIO_MODULE_VERSION, KEDA_FQDN, KEDA_MODULE_VERSION, KYMA_API_VERSION, L, LM, sha256Hex } from './seed.js';

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
        metadata: { name: 'default', namespace: KYMA_SYSTEM, labels: { 'app.kubernetes.io/name': 'default' } },
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
        metadata: { name: 'default', namespace: KYMA_SYSTEM },
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
        manager: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: KYMA_SYSTEM, name: MANAGER[module] },
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
