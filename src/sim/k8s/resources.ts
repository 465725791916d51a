/**
 * The resource types every simulated cluster serves, with what discovery, OpenAPI and the REST layer need to
 * know about them. One table, so discovery and routing can never disagree.
 */
import type { K8sObject } from '../types.js';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'date' | 'integer';
  /** Simple dotted JSON path such as `.status.state`. */
  jsonPath: string;
  /** Computes the cell where a path is not enough (a Deployment's READY is `ready/desired`, as kubectl prints it). */
  value?: (obj: K8sObject) => string | number;
}

export interface ResourceType {
  /** API group; '' for the core group. */
  group: string;
  /** Served versions; the first is the preferred and storage version. */
  versions: readonly string[];
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: readonly string[];
  categories: readonly string[];
  /** Whether `/status` is a separate subresource (writes to the main resource then ignore `.status`). */
  statusSubresource: boolean;
  /** Whether `/scale` is served (Deployments). */
  scaleSubresource: boolean;
  /** Server-side Table columns beyond NAME (kubectl's default output). */
  printerColumns: readonly PrinterColumn[];
  /** Custom resources bump `metadata.generation` on any non-metadata, non-status change. */
  custom: boolean;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
export const VERBS: readonly string[] = ALL_VERBS;

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const STATE: PrinterColumn = { name: 'State', type: 'string', jsonPath: '.status.state' };

/** A replica count of a Deployment's spec or status; `spec.replicas` defaults to 1, as the API server defaults it. */
function replicaCount(part: unknown, key: string, fallback: number): number {
  const v = (part as Record<string, unknown> | undefined)?.[key];
  return typeof v === 'number' ? v : fallback;
}

function rt(r: Partial<ResourceType> & Pick<ResourceType, 'group' | 'versions' | 'plural' | 'singular' | 'kind'>): ResourceType {
  return {
    listKind: `${r.kind}List`,
    namespaced: true,
    shortNames: [],
    categories: [],
    statusSubresource: false,
    scaleSubresource: false,
    printerColumns: [AGE],
    custom: false,
    ...r,
  };
}

export const KYMA_GROUP = 'operator.kyma-project.io';
export const GARDENER_GROUP = 'core.gardener.cloud';

export const RESOURCE_TYPES: readonly ResourceType[] = [
  rt({
    group: '', versions: ['v1'], plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, shortNames: ['ns'], statusSubresource: true,
    printerColumns: [{ name: 'Status', type: 'string', jsonPath: '.status.phase' }, AGE],
  }),
  rt({ group: '', versions: ['v1'], plural: 'secrets', singular: 'secret', kind: 'Secret' }),
  rt({ group: '', versions: ['v1'], plural: 'configmaps', singular: 'configmap', kind: 'ConfigMap', shortNames: ['cm'] }),
  rt({
    group: 'apps', versions: ['v1'], plural: 'deployments', singular: 'deployment', kind: 'Deployment', shortNames: ['deploy'],
    categories: ['all'], statusSubresource: true, scaleSubresource: true,
    printerColumns: [
      // kube-apiserver's Deployment printer: READY is `readyReplicas/spec.replicas`; absent counts are 0.
      { name: 'Ready', type: 'string', jsonPath: '.status.readyReplicas', value: (o) => `${replicaCount(o.status, 'readyReplicas', 0)}/${replicaCount(o.spec, 'replicas', 1)}` },
      { name: 'Up-to-date', type: 'integer', jsonPath: '.status.updatedReplicas', value: (o) => replicaCount(o.status, 'updatedReplicas', 0) },
      { name: 'Available', type: 'integer', jsonPath: '.status.availableReplicas', value: (o) => replicaCount(o.status, 'availableReplicas', 0) },
      AGE,
    ],
  }),
  rt({
    group: KYMA_GROUP, versions: ['v1beta2'], plural: 'kymas', singular: 'kyma', kind: 'Kyma', categories: ['kyma-modules'],
    statusSubresource: true, printerColumns: [STATE, AGE], custom: true,
  }),
  rt({
    group: KYMA_GROUP, versions: ['v1beta2'], plural: 'moduletemplates', singular: 'moduletemplate', kind: 'ModuleTemplate',
    shortNames: ['mt'], printerColumns: [AGE], custom: true,
  }),
  // Today's KCPs and SKRs only (lifecycle-manager api/v1beta2/modulereleasemeta_types.go: path modulereleasemetas,
  // shortName mrm); a cluster of the 2023 generation does not serve it (ClusterApiOptions.serves).
  rt({
    group: KYMA_GROUP, versions: ['v1beta2'], plural: 'modulereleasemetas', singular: 'modulereleasemeta', kind: 'ModuleReleaseMeta',
    shortNames: ['mrm'], printerColumns: [AGE], custom: true,
  }),
  rt({
    group: KYMA_GROUP, versions: ['v1beta2'], plural: 'manifests', singular: 'manifest', kind: 'Manifest',
    statusSubresource: true, printerColumns: [STATE, AGE], custom: true,
  }),
  rt({
    group: KYMA_GROUP, versions: ['v1alpha2', 'v1alpha1'], plural: 'istios', singular: 'istio', kind: 'Istio',
    categories: ['kyma-modules', 'kyma-istio'], statusSubresource: true, printerColumns: [STATE, AGE], custom: true,
  }),
  rt({
    group: GARDENER_GROUP, versions: ['v1beta1'], plural: 'shoots', singular: 'shoot', kind: 'Shoot',
    statusSubresource: true, custom: true,
    printerColumns: [
      { name: 'Region', type: 'string', jsonPath: '.spec.region' },
      { name: 'K8s Version', type: 'string', jsonPath: '.spec.kubernetes.version' },
      AGE,
    ],
  }),
];

/** Identity of a resource type independent of version: `plural.group` (`istios.operator.kyma-project.io`, `secrets`). */
export function resourceKey(t: Pick<ResourceType, 'plural' | 'group'>): string {
  return t.group ? `${t.plural}.${t.group}` : t.plural;
}

export function apiVersionOf(t: ResourceType, version: string = t.versions[0]): string {
  return t.group ? `${t.group}/${version}` : version;
}

/** Looks a type up by group, version and plural, as a REST path names it. */
export function findResource(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.plural === plural && t.versions.includes(version));
}

/** Looks a type up by the apiVersion and kind of an object. */
export function findResourceByKind(apiVersion: string, kind: string): ResourceType | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return RESOURCE_TYPES.find((t) => t.group === group && t.kind === kind && t.versions.includes(version));
}

/** The types the simulated controllers work on (and tests inspect), by name. */
export const KYMA = findResource(KYMA_GROUP, 'v1beta2', 'kymas')!;
export const ISTIO = findResource(KYMA_GROUP, 'v1alpha2', 'istios')!;
export const MANIFEST = findResource(KYMA_GROUP, 'v1beta2', 'manifests')!;
export const TEMPLATE = findResource(KYMA_GROUP, 'v1beta2', 'moduletemplates')!;
export const RELEASE_META = findResource(KYMA_GROUP, 'v1beta2', 'modulereleasemetas')!;
export const DEPLOYMENT = findResource('apps', 'v1', 'deployments')!;
export const SHOOT = findResource(GARDENER_GROUP, 'v1beta1', 'shoots')!;
