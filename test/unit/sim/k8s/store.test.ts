import { describe, expect, it } from '@jest/globals';
import type { ApiError } from '../../../../src/sim/k8s/errors.js';
import { findResource } from '../../../../src/sim/k8s/resources.js';
import { ClusterStore, type WatchEventType } from '../../../../src/sim/k8s/store.js';
import type { K8sObject } from '../../../../src/sim/types.js';

const NS = findResource('', 'v1', 'namespaces')!;
const ISTIO = findResource('operator.kyma-project.io', 'v1alpha2', 'istios')!;
const KYMA = findResource('operator.kyma-project.io', 'v1beta2', 'kymas')!;

function store(): ClusterStore {
  const s = new ClusterStore('c1');
  s.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kyma-system' } });
  return s;
}
const istio = (name: string, extra: Partial<K8sObject> = {}): K8sObject => ({
  apiVersion: 'operator.kyma-project.io/v1alpha2',
  kind: 'Istio',
  metadata: { name, namespace: 'kyma-system' },
  spec: {},
  ...extra,
});
function apiCode(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    return (e as ApiError).code;
  }
  return undefined;
}

describe('src/sim/k8s/store', () => {
  it('maintains uid, resourceVersion, generation and creationTimestamp', () => {
    const s = store();
    const c = s.create(ISTIO, istio('default'));
    expect(c.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.metadata.generation).toBe(1);
    expect(c.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const u = s.update(ISTIO, { ...c, spec: { config: { numTrustedProxies: 2 } } });
    expect(Number(u.metadata.resourceVersion)).toBeGreaterThan(Number(c.metadata.resourceVersion));
    expect(u.metadata.generation).toBe(2);
    expect(u.metadata.uid).toBe(c.metadata.uid);
    const st = s.update(ISTIO, { ...u, status: { state: 'Ready' } }, { subresource: 'status' });
    expect(st.metadata.generation).toBe(2); // status changes do not bump generation
    expect(st.status).toEqual({ state: 'Ready' });
  });

  it('ignores status on the main resource and everything but status on /status', () => {
    const s = store();
    const c = s.create(ISTIO, istio('default', { status: { state: 'Ready' } }));
    expect(c.status).toBeUndefined();
    const st = s.update(ISTIO, { ...c, spec: { x: 1 }, status: { state: 'Error' } }, { subresource: 'status' });
    expect(st.spec).toEqual({});
    expect(st.status).toEqual({ state: 'Error' });
    const m = s.update(ISTIO, { ...st, status: { state: 'Ready' } });
    expect(m.status).toEqual({ state: 'Error' });
  });

  it('answers 409 on a stale resourceVersion, 404 when missing, 409 when it exists, 404 without the namespace', () => {
    const s = store();
    const c = s.create(ISTIO, istio('default'));
    s.update(ISTIO, { ...c, spec: { a: 1 } });
    expect(apiCode(() => s.update(ISTIO, { ...c, spec: { a: 2 } }))).toBe(409);
    expect(apiCode(() => s.mustGet(ISTIO, 'kyma-system', 'nope'))).toBe(404);
    expect(apiCode(() => s.create(ISTIO, istio('default')))).toBe(409);
    expect(apiCode(() => s.create(ISTIO, { ...istio('x'), metadata: { name: 'x', namespace: 'missing' } }))).toBe(404);
    expect(apiCode(() => s.create(ISTIO, { ...istio('Bad_Name') }))).toBe(422);
    expect(apiCode(() => s.update(KYMA, { apiVersion: 'operator.kyma-project.io/v1beta2', kind: 'Kyma', metadata: { name: 'default', namespace: 'kyma-system' } }))).toBe(404);
  });

  it('keeps an object with finalizers until they are cleared', () => {
    const s = store();
    const c = s.create(ISTIO, istio('custom', { metadata: { name: 'custom', namespace: 'kyma-system', finalizers: ['istios.operator.kyma-project.io/istio-installation'] } }));
    const d = s.delete(ISTIO, 'kyma-system', 'custom');
    expect(d.metadata.deletionTimestamp).toBeDefined();
    expect(s.get(ISTIO, 'kyma-system', 'custom')).toBeDefined();
    const cleared = s.get(ISTIO, 'kyma-system', 'custom')!;
    s.update(ISTIO, { ...cleared, metadata: { ...cleared.metadata, finalizers: [] } });
    expect(s.get(ISTIO, 'kyma-system', 'custom')).toBeUndefined();
    expect(c.metadata.deletionTimestamp).toBeUndefined();
  });

  it('does not bump the resourceVersion for a no-op update', () => {
    const s = store();
    const c = s.create(ISTIO, istio('default'));
    expect(s.update(ISTIO, { ...c }).metadata.resourceVersion).toBe(c.metadata.resourceVersion);
  });

  it('streams events to watches, replays from a resourceVersion and turns selector transitions into ADDED/DELETED', () => {
    const s = store();
    const a = s.create(ISTIO, istio('a', { metadata: { name: 'a', namespace: 'kyma-system', labels: { x: '1' } } }));
    const seen: [WatchEventType, string][] = [];
    const stop = s.watch(ISTIO, 'kyma-system', (o) => o.metadata.labels?.x === '1', undefined, (t, o) => seen.push([t, o.metadata.name!]));
    s.update(ISTIO, { ...a, metadata: { ...a.metadata, labels: { x: '2' } } });
    const b = s.create(ISTIO, istio('b', { metadata: { name: 'b', namespace: 'kyma-system', labels: { x: '1' } } }));
    s.delete(ISTIO, 'kyma-system', 'b');
    stop();
    expect(seen).toEqual([
      ['ADDED', 'a'],
      ['DELETED', 'a'],
      ['ADDED', 'b'],
      ['DELETED', 'b'],
    ]);
    const replay: [WatchEventType, string][] = [];
    s.watch(ISTIO, 'kyma-system', () => true, b.metadata.resourceVersion, (t, o) => replay.push([t, o.metadata.name!]))();
    expect(replay).toEqual([['DELETED', 'b']]);
  });

  it('answers 410 Gone for a resourceVersion older than the history', () => {
    const s = store();
    let obj = s.create(ISTIO, istio('a'));
    const first = obj.metadata.resourceVersion!;
    for (let i = 0; i < 1100; i++) obj = s.update(ISTIO, { ...obj, spec: { i } });
    expect(apiCode(() => s.watch(ISTIO, undefined, () => true, first, () => undefined))).toBe(410);
  });
});
