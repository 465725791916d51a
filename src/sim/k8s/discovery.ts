/**
 * Discovery and OpenAPI documents, derived from the resource table: `/version`, aggregated discovery (v2) on
 * `/api` and `/apis` when the client asks for it, the legacy lists (`/api/v1`, `/apis/<g>/<v>`, which
 * client-node's KubernetesObjectApi reads), and `/openapi/v3` (plain `kubectl apply` validates against it).
 */
import { RESOURCE_TYPES, VERBS, type ResourceType } from './resources.js';
import { schemaOf } from './schemas.js';

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.3',
  gitCommit: '32cc146f75aad04beaaa245a7157eb35063a9f99',
  gitTreeState: 'clean',
  buildDate: '2025-03-11T19:52:21Z',
  goVersion: 'go1.23.6',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export const AGGREGATED_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** Whether the Accept header asks for aggregated discovery (kubectl ≥ 1.30 does; client-node does not). */
export function wantsAggregated(accept: string | undefined): boolean {
  return !!accept && /g=apidiscovery\.k8s\.io/.test(accept) && /as=APIGroupDiscoveryList/.test(accept);
}

/** Groups in discovery order, each with versions (preferred first). */
function groups(core: boolean): { name: string; versions: string[] }[] {
  const out: { name: string; versions: string[] }[] = [];
  for (const t of RESOURCE_TYPES) {
    if ((t.group === '') !== core) continue;
    let g = out.find((x) => x.name === t.group);
    if (!g) out.push((g = { name: t.group, versions: [] }));
    for (const v of t.versions) if (!g.versions.includes(v)) g.versions.push(v);
  }
  return out;
}

function typesIn(group: string, version: string): ResourceType[] {
  return RESOURCE_TYPES.filter((t) => t.group === group && t.versions.includes(version));
}

function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

export function aggregatedDiscovery(core: boolean): unknown {
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups(core).map((g) => ({
      metadata: { name: g.name, creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        freshness: 'Current',
        resources: typesIn(g.name, v).map((t) => ({
          resource: t.plural,
          singularResource: t.singular,
          scope: t.namespaced ? 'Namespaced' : 'Cluster',
          responseKind: { group: t.group, version: v, kind: t.kind },
          verbs: VERBS,
          ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
          ...(t.categories.length ? { categories: t.categories } : {}),
          subresources: [
            ...(t.statusSubresource ? [{ subresource: 'status', responseKind: { group: t.group, version: v, kind: t.kind }, verbs: ['get', 'patch', 'update'] }] : []),
            ...(t.scaleSubresource ? [{ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] }] : []),
          ],
        })),
      })),
    })),
  };
}

export function legacyCoreVersions(): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] };
}

function groupBody(g: { name: string; versions: string[] }): object {
  const versions = g.versions.map((v) => ({ groupVersion: groupVersion(g.name, v), version: v }));
  return { name: g.name, versions, preferredVersion: versions[0] };
}

export function legacyGroupList(): unknown {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups(false).map(groupBody) };
}

export function legacyGroup(name: string): unknown {
  const g = groups(false).find((x) => x.name === name);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupBody(g) } : undefined;
}

/** `/api/v1` or `/apis/<g>/<v>`; undefined when the group version is not served. */
export function resourceList(group: string, version: string): unknown {
  const types = typesIn(group, version);
  if (!types.length) return undefined;
  const resources: unknown[] = [];
  for (const t of types) {
    resources.push({
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: VERBS,
      ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
      ...(t.categories.length ? { categories: t.categories } : {}),
      storageVersionHash: Buffer.from(`${t.group}/${t.plural}`).toString('base64').slice(0, 11),
    });
    if (t.statusSubresource) resources.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
    if (t.scaleSubresource) {
      resources.push({ name: `${t.plural}/scale`, singularName: '', namespaced: t.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources };
}

/** `/openapi/v3`: one entry per served group version. */
export function openApiIndex(): unknown {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  paths['api/v1'] = { serverRelativeURL: '/openapi/v3/api/v1?hash=SIM' };
  for (const g of groups(false)) {
    for (const v of g.versions) paths[`apis/${g.name}/${v}`] = { serverRelativeURL: `/openapi/v3/apis/${g.name}/${v}?hash=SIM` };
  }
  return { paths };
}

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
/** ObjectMeta's fields with their types (kubernetes/apimachinery pkg/apis/meta/v1/types.go); nested ones left open. */
const OBJECT_META_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    generateName: { type: 'string' },
    namespace: { type: 'string' },
    uid: { type: 'string' },
    resourceVersion: { type: 'string' },
    generation: { type: 'integer', format: 'int64' },
    creationTimestamp: { type: 'string', format: 'date-time' },
    deletionTimestamp: { type: 'string', format: 'date-time' },
    deletionGracePeriodSeconds: { type: 'integer', format: 'int64' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    finalizers: { type: 'array', items: { type: 'string' } },
    ownerReferences: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
    managedFields: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
  },
};

/**
 * `/openapi/v3/apis/<g>/<v>` (and `api/v1`): the paths kubectl's field-validation check looks for (the GVK of
 * each type with a `fieldValidation` parameter: then kubectl leaves validation to the server and sends
 * `fieldValidation=Strict`) and each kind's schema from schemas.ts, which the server validates writes against.
 * `serves` leaves out the types the cluster does not serve (as discovery does).
 */
export function openApiGroupVersion(group: string, version: string, serves: (t: ResourceType) => boolean = () => true): unknown {
  const types = typesIn(group, version).filter(serves);
  if (!types.length) return undefined;
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const t of types) {
    const gvk = { group: t.group, version, kind: t.kind };
    const schemaName = `${group ? group.split('.').reverse().join('.') : 'io.k8s.api.core'}.${version}.${t.kind}`;
    const op = (verb: string) => ({
      'x-kubernetes-action': verb,
      'x-kubernetes-group-version-kind': gvk,
      parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } }],
      responses: { '200': { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName}` } } } } },
    });
    const item = t.namespaced ? `${prefix}/namespaces/{namespace}/${t.plural}/{name}` : `${prefix}/${t.plural}/{name}`;
    const coll = t.namespaced ? `${prefix}/namespaces/{namespace}/${t.plural}` : `${prefix}/${t.plural}`;
    paths[item] = { get: op('get'), put: op('put'), patch: op('patch'), delete: op('delete') };
    paths[coll] = { get: op('list'), post: op('post') };
    const schema = schemaOf(t);
    schemas[schemaName] = {
      ...schema,
      'x-kubernetes-group-version-kind': [gvk],
      properties: { ...schema.properties, metadata: { $ref: `#/components/schemas/${OBJECT_META}` } },
    };
  }
  schemas[OBJECT_META] = OBJECT_META_SCHEMA;
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: VERSION_INFO.gitVersion }, paths, components: { schemas } };
}
