import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { kubeconfigOf, runtimeOf, startTestSim, type TestSim } from '../../helpers/sim.js';
import { findResource } from '../../../src/sim/k8s/resources.js';

// client-node 2.x against the simulator through the kubeconfigs it writes (https, insecure-skip-tls-verify):
// the typed APIs, the generic object API (which reads the legacy discovery lists), Watch and informers.

const GROUP = 'operator.kyma-project.io';
const ISTIOS = { group: GROUP, version: 'v1alpha2', namespace: 'kyma-system', plural: 'istios' };
const KYMAS = { group: GROUP, version: 'v1beta2', namespace: 'kyma-system', plural: 'kymas' };
const ISTIO = findResource(GROUP, 'v1alpha2', 'istios')!;

const istio = (name: string) => ({
  apiVersion: `${GROUP}/v1alpha2`,
  kind: 'Istio',
  metadata: { name, namespace: 'kyma-system' },
  spec: {},
});

/** Resolves when `pred` holds, checking on every event the informer emits (no timed assertions). */
function until<T extends k8s.KubernetesObject>(informer: k8s.Informer<T>, pred: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (pred()) return resolve();
    const check = () => {
      if (!pred()) return;
      for (const v of [k8s.ADD, k8s.UPDATE, k8s.DELETE] as const) informer.off(v, check);
      informer.off(k8s.CONNECT, check);
      resolve();
    };
    for (const v of [k8s.ADD, k8s.UPDATE, k8s.DELETE] as const) informer.on(v, check);
    informer.on(k8s.CONNECT, check);
  });
}

describe('src/sim with @kubernetes/client-node', () => {
  let sim: TestSim;
  let kc: k8s.KubeConfig; // existing-default SKR
  let quietKc: k8s.KubeConfig; // no-template SKR: no operator, no LM reaction
  let quietId: string;

  beforeAll(async () => {
    sim = await startTestSim();
    kc = new k8s.KubeConfig();
    kc.loadFromFile(runtimeOf(sim.out, 'stage', 'existing-default').kubeconfig!);
    const quiet = runtimeOf(sim.out, 'stage', 'no-template');
    quietId = quiet.runtimeId;
    quietKc = new k8s.KubeConfig();
    quietKc.loadFromFile(quiet.kubeconfig!);
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('CustomObjectsApi: get, list with selectors, JSON and merge patch, and ApiException codes', async () => {
    const api = kc.makeApiClient(k8s.CustomObjectsApi);
    const kyma = await api.getNamespacedCustomObject({ ...KYMAS, name: 'default' });
    expect(kyma.metadata.name).toBe('default');
    const list = await api.listNamespacedCustomObject({ ...ISTIOS, fieldSelector: 'metadata.name!=default' });
    expect(list.items).toEqual([]);
    const all = await api.listClusterCustomObject({ group: GROUP, version: 'v1beta2', plural: 'moduletemplates', labelSelector: 'operator.kyma-project.io/module-name=istio' });
    expect(all.items).toHaveLength(2);

    const patched = await api.patchNamespacedCustomObject(
      { ...KYMAS, name: 'default', body: [{ op: 'add', path: '/metadata/labels/team', value: 'sre' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    expect(patched.metadata.labels.team).toBe('sre');
    const merged = await api.patchNamespacedCustomObject(
      { ...KYMAS, name: 'default', body: { metadata: { labels: { team: null } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(merged.metadata.labels.team).toBeUndefined();

    const codeOf = (p: Promise<unknown>) => p.then(() => 0, (e: unknown) => (e instanceof k8s.ApiException ? e.code : -1));
    expect(await codeOf(api.getNamespacedCustomObject({ ...ISTIOS, name: 'missing' }))).toBe(404);
    const failedTest = api.patchNamespacedCustomObject(
      { ...KYMAS, name: 'default', body: [{ op: 'test', path: '/metadata/name', value: 'other' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    expect(await codeOf(failedTest)).toBe(422);
    expect(await codeOf(api.replaceNamespacedCustomObject({ ...KYMAS, name: 'default', body: { ...kyma } }))).toBe(409);
  });

  it('AppsV1Api: reads and scales the operator Deployment', async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const d = await apps.readNamespacedDeployment({ name: 'istio-controller-manager', namespace: 'kyma-system' });
    expect(d.spec?.replicas).toBe(1);
    const scale = await apps.readNamespacedDeploymentScale({ name: 'istio-controller-manager', namespace: 'kyma-system' });
    expect(scale.spec?.replicas).toBe(1);
    const scaled = await apps.patchNamespacedDeploymentScale(
      { name: 'istio-controller-manager', namespace: 'kyma-system', body: { spec: { replicas: 0 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(scaled.spec?.replicas).toBe(0);
    const list = await apps.listNamespacedDeployment({ namespace: 'kyma-system', labelSelector: 'kyma-project.io/module=istio' });
    expect(list.items.map((i) => i.metadata?.name)).toEqual(['istio-controller-manager']);
  });

  it('CoreV1Api: namespaces on an SKR, the kubeconfig secrets on KCP', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const ns = await core.listNamespace();
    expect(ns.items.map((n) => n.metadata?.name)).toContain('kyma-system');
    const kcp = new k8s.KubeConfig();
    kcp.loadFromFile(kubeconfigOf(sim.out, 'stage', 'kcp'));
    const rt = runtimeOf(sim.out, 'stage', 'existing-default');
    const secret = await kcp.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ name: `kubeconfig-${rt.runtimeId}`, namespace: 'kcp-system' });
    const inner = new k8s.KubeConfig();
    inner.loadFromString(Buffer.from(secret.data!.config, 'base64').toString('utf8'));
    // The kubeconfig inside the secret works as it is.
    const kymas = await inner.makeApiClient(k8s.CustomObjectsApi).listNamespacedCustomObject(KYMAS);
    expect(kymas.items.map((k: k8s.KubernetesObject) => k.metadata?.name)).toEqual(['default']);
  });

  it('KubernetesObjectApi: read, create, patch, list and delete through discovery', async () => {
    const api = k8s.KubernetesObjectApi.makeApiClient(quietKc);
    const kyma = await api.read({ apiVersion: `${GROUP}/v1beta2`, kind: 'Kyma', metadata: { name: 'default', namespace: 'kyma-system' } });
    expect(kyma.metadata?.uid).toEqual(expect.any(String));
    const created: k8s.KubernetesObject = await api.create(istio('objapi'));
    expect(created.metadata?.generation).toBe(1);
    const patched: k8s.KubernetesObject = await api.patch(
      { ...istio('objapi'), spec: { config: { numTrustedProxies: 3 } } },
      undefined,
      undefined,
      undefined,
      undefined,
      k8s.PatchStrategy.MergePatch,
    );
    expect(patched.metadata?.generation).toBe(2);
    const v1alpha1 = await api.read({ apiVersion: `${GROUP}/v1alpha1`, kind: 'Istio', metadata: { name: 'objapi', namespace: 'kyma-system' } });
    expect(v1alpha1.apiVersion).toBe(`${GROUP}/v1alpha1`);
    const list = await api.list(`${GROUP}/v1alpha2`, 'Istio', 'kyma-system');
    expect(list.items.map((i) => i.metadata?.name)).toContain('objapi');
    await api.delete(istio('objapi'));
    await expect(api.read(istio('objapi'))).rejects.toMatchObject({ code: 404 });
  });

  it('Watch: streams ADDED, MODIFIED and DELETED from a resourceVersion', async () => {
    const api = quietKc.makeApiClient(k8s.CustomObjectsApi);
    const rv = (await api.listNamespacedCustomObject(ISTIOS)).metadata.resourceVersion as string;
    const seen: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const watch = new k8s.Watch(quietKc);
    const ctrl = await watch.watch(
      `/apis/${GROUP}/v1alpha2/namespaces/kyma-system/istios`,
      { resourceVersion: rv },
      (type, obj: k8s.KubernetesObject) => {
        seen.push(`${type} ${obj.metadata?.name}`);
        if (type === 'DELETED') done();
      },
      () => undefined,
    );
    await api.createNamespacedCustomObject({ ...ISTIOS, body: istio('watched') });
    await api.patchNamespacedCustomObject({ ...ISTIOS, name: 'watched', body: [{ op: 'add', path: '/spec/config', value: { numTrustedProxies: 2 } }] });
    await api.deleteNamespacedCustomObject({ ...ISTIOS, name: 'watched' });
    await finished;
    ctrl.abort();
    expect(seen).toEqual(['ADDED watched', 'MODIFIED watched', 'DELETED watched']);
  });

  it('makeInformer: lists, watches, and re-watches from its resourceVersion when the server ends the stream', async () => {
    const api = quietKc.makeApiClient(k8s.CustomObjectsApi);
    await api.createNamespacedCustomObject({ ...ISTIOS, body: istio('inf-a') });
    const path = `/apis/${GROUP}/v1alpha2/namespaces/kyma-system/istios`;
    let lists = 0;
    const informer = k8s.makeInformer<k8s.KubernetesObject>(quietKc, path, () => {
      lists++;
      return api.listNamespacedCustomObject(ISTIOS);
    });
    const errors: unknown[] = [];
    informer.on(k8s.ERROR, (e) => errors.push(e));
    let connects = 0;
    informer.on(k8s.CONNECT, () => connects++);
    const names = () => informer.list('kyma-system').map((o) => o.metadata!.name).sort();
    await informer.start();
    expect(names()).toContain('inf-a');

    await api.createNamespacedCustomObject({ ...ISTIOS, body: istio('inf-b') });
    await until(informer, () => names().includes('inf-b'));

    // The server ends every watch (as kube-apiserver does when a watch times out); the change made before the
    // informer is back must reach it through the re-watch from its last resourceVersion, not a relist.
    const cluster = sim.sim.cluster(quietId)!;
    const connectsBefore = connects;
    expect(cluster.api.closeWatches()).toBeGreaterThanOrEqual(1);
    cluster.store.create(ISTIO, istio('inf-c'));
    await until(informer, () => names().includes('inf-c') && connects > connectsBefore);
    await api.deleteNamespacedCustomObject({ ...ISTIOS, name: 'inf-a' });
    await until(informer, () => !names().includes('inf-a'));
    await informer.stop();
    expect(names()).toEqual(expect.arrayContaining(['inf-b', 'inf-c']));
    expect(errors).toEqual([]);
    expect(lists).toBe(1); // resumed by resourceVersion, never relisted
  });
});
