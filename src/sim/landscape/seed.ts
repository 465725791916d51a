/**
 * What every seeded object is built from: the seed context, the constants of the era, and the helpers that give an
 * object its cluster-specific metadata.
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
import { SKIP_RECONCILIATION_LABEL } from '../../migration/resources.js';
import { derivedUuid } from './random.js';
import type { Env, K8sObject, KcpGeneration } from '../types.js';

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
export const KEDA_FQDN = 'kyma-project.io/module/keda';
/** Module version of the Istio ModuleTemplates applied for the rollout (DOMAIN.md §4). */
export const ISTIO_MODULE_VERSION = '1.1.2';
export const KEDA_MODULE_VERSION = '1.0.0';
export const ISTIO_FINALIZER = 'istios.operator.kyma-project.io/istio-installation';

/** Labels Lifecycle Manager reads and writes. */
export const L = {
  kymaName: 'operator.kyma-project.io/kyma-name',
  managedBy: 'operator.kyma-project.io/managed-by',
  watchedBy: 'operator.kyma-project.io/watched-by',
  moduleName: 'operator.kyma-project.io/module-name',
  channel: 'operator.kyma-project.io/channel',
  skip: SKIP_RECONCILIATION_LABEL,
} as const;
export const LM = 'lifecycle-manager';
export const COMPONENT_REPO = 'europe-docker.pkg.dev/kyma-project/modules-internal';
export const IMAGE_REPO = 'europe-docker.pkg.dev/kyma-project/prod';

/** The LM generation of a seed context (C1 `--kcp`; default `2023`). */
export function generationOf(ctx: SeedContext): KcpGeneration {
  return ctx.kcp ?? '2023';
}

/** RFC 3339 with second resolution, `ageSeconds` before the reference time. */
export function ts(ctx: SeedContext, ageSeconds: number): string {
  const ms = Math.floor(ctx.referenceTime / 1000) * 1000 - Math.round(ageSeconds) * 1000;
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

export function uidOf(clusterId: string, kind: string, namespace: string | undefined, name: string): string {
  return derivedUuid(clusterId, kind, namespace ?? '', name);
}

/** Fills uid and creationTimestamp into an object's own (unshared) metadata. */
export function stamp<T extends K8sObject>(clusterId: string, obj: T, ageSeconds: number, ctx: SeedContext): T {
  obj.metadata.uid = uidOf(clusterId, obj.kind, obj.metadata.namespace, obj.metadata.name!);
  obj.metadata.creationTimestamp = ts(ctx, ageSeconds);
  return obj;
}

/** A cached body with cluster-specific metadata on top; spec and status stay shared. */
export function placed(clusterId: string, body: K8sObject, ageSeconds: number, ctx: SeedContext): K8sObject {
  return stamp(clusterId, { ...body, metadata: { ...body.metadata } }, ageSeconds, ctx);
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

const NAMESPACE_SPEC = deepFreeze({ finalizers: ['kubernetes'] });
const NAMESPACE_STATUS = deepFreeze({ phase: 'Active' });

export function namespaceObj(clusterId: string, name: string, ageSeconds: number, ctx: SeedContext, labels: Record<string, string> = {}): K8sObject {
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

export function gardenNamespace(env: Env): string {
  return `garden-kyma-${env}`;
}
