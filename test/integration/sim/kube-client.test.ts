import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { KubeClient, RemoteError, RequestCounter, type WatchEvent } from '../../../src/clients/kube-client.js';
import { runtimeOf, startTestSim, type TestSim } from '../../helpers/sim.js';

// The bot's own client (src/clients/kube-client.ts) against the simulator over HTTPS: its custom-object calls and
// watches go through undici's `request` on a shared dispatcher, not through client-node's fetch, so the answers,
// the errors and the end of a watch are checked here through that path.

const ISTIOS = { group: 'operator.kyma-project.io', version: 'v1alpha2', plural: 'istios' };
const KYMAS = { group: 'operator.kyma-project.io', version: 'v1beta2', plural: 'kymas' };
const istioPath = '/apis/operator.kyma-project.io/v1alpha2/namespaces/kyma-system/istios';

const istio = (name: string) => ({ apiVersion: 'operator.kyma-project.io/v1alpha2', kind: 'Istio', metadata: { name, namespace: 'kyma-system' }, spec: {} });

describe('KubeClient against the simulator', () => {
  let sim: TestSim;
  let kubeconfig: string; // no-template SKR: nothing on it reacts to writes
  const client = (counter = new RequestCounter()) => new KubeClient(kubeconfig, { system: 'skr', counter, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });

  beforeAll(async () => {
    sim = await startTestSim();
    kubeconfig = readFileSync(runtimeOf(sim.out, 'stage', 'no-template').kubeconfig!, 'utf8');
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('gets, lists, creates, patches (JSON and merge) and deletes; a missing object is undefined', async () => {
    const counter = new RequestCounter();
    const c = client(counter);
    expect((await c.get(KYMAS, 'kyma-system', 'default'))?.metadata.name).toBe('default');
    expect(await c.get(ISTIOS, 'kyma-system', 'nope')).toBeUndefined();
    await c.create(ISTIOS, 'kyma-system', istio('kc-one'));
    const patched = await c.jsonPatch(ISTIOS, 'kyma-system', 'kc-one', [{ op: 'add', path: '/spec/config', value: { numTrustedProxies: 2 } }]);
    expect(patched.spec).toEqual({ config: { numTrustedProxies: 2 } });
    const merged = await c.mergePatch(ISTIOS, 'kyma-system', 'kc-one', { metadata: { labels: { a: 'b' } } });
    expect(merged.metadata.labels).toEqual({ a: 'b' });
    const listed = await c.list(ISTIOS, 'kyma-system', { labelSelector: 'a=b' });
    expect(listed.items.map((i) => i.metadata.name)).toEqual(['kc-one']);
    expect(listed.metadata.resourceVersion).toMatch(/^\d+$/);
    expect((await c.delete(ISTIOS, 'kyma-system', 'kc-one'))?.metadata.name).toBe('kc-one');
    expect(await c.delete(ISTIOS, 'kyma-system', 'kc-one')).toBeUndefined();
    expect(counter.counts.skr).toBe(8);
  });

  it('turns refusals into RemoteErrors with the status and the Kubernetes reason', async () => {
    const c = client();
    await c.create(ISTIOS, 'kyma-system', istio('kc-twice'));
    const conflict = await c.create(ISTIOS, 'kyma-system', istio('kc-twice')).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(RemoteError);
    expect(conflict).toMatchObject({ status: 409, reason: 'AlreadyExists', kind: 'permanent', system: 'skr' });
    const invalid = await c.jsonPatch(ISTIOS, 'kyma-system', 'kc-twice', [{ op: 'replace', path: '/spec/nothing/there', value: 1 }]).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ kind: 'permanent' });
    expect((invalid as RemoteError).status).toBeGreaterThanOrEqual(400);
    expect(await c.listIfServed({ group: 'example.com', version: 'v1', plural: 'nothings' }, 'kyma-system')).toBeUndefined();
    await c.delete(ISTIOS, 'kyma-system', 'kc-twice');
  });

  it('a watch streams events from a resourceVersion, and stop() ends it with null and no more events', async () => {
    const c = client();
    const rv = (await c.list(ISTIOS, 'kyma-system')).metadata.resourceVersion!;
    const seen: string[] = [];
    let deleted!: () => void;
    const gotDelete = new Promise<void>((r) => (deleted = r));
    const handle = await c.watch(istioPath, { resourceVersion: rv, allowWatchBookmarks: true }, (e: WatchEvent) => {
      if (e.type === 'ERROR' || e.type === 'BOOKMARK') return;
      seen.push(`${e.type} ${e.object.metadata.name}`);
      if (e.type === 'DELETED') deleted();
    });
    await c.create(ISTIOS, 'kyma-system', istio('kc-watched'));
    await c.mergePatch(ISTIOS, 'kyma-system', 'kc-watched', { spec: { config: { numTrustedProxies: 1 } } });
    await c.delete(ISTIOS, 'kyma-system', 'kc-watched');
    await gotDelete;
    const stackTraceLimit = Error.stackTraceLimit;
    handle.stop();
    // stop() builds undici's "aborted" errors without stack traces, and gives the process its setting back.
    expect(Error.stackTraceLimit).toBe(stackTraceLimit);
    expect(await handle.done).toBeNull();
    // After stop, nothing more arrives.
    await c.create(ISTIOS, 'kyma-system', istio('kc-after'));
    await c.delete(ISTIOS, 'kyma-system', 'kc-after');
    expect(seen).toEqual(['ADDED kc-watched', 'MODIFIED kc-watched', 'DELETED kc-watched']);
  });

  it('a watch the server ends (timeoutSeconds) settles with null; a refused one throws a RemoteError', async () => {
    const c = client();
    const handle = await c.watch(istioPath, { timeoutSeconds: 1 }, () => undefined);
    expect(await handle.done).toBeNull();
    const refused = await c.watch(istioPath, { resourceVersion: 'not-a-number' }, () => undefined).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RemoteError);
    expect(refused).toMatchObject({ status: 400, kind: 'permanent' });
  });

  it('a wrong token is a 401 RemoteError, for calls and watches alike', async () => {
    const bad = kubeconfig.replace(/token: .*/, 'token: wrong');
    expect(bad).not.toBe(kubeconfig);
    const c = new KubeClient(bad, { system: 'skr', counter: new RequestCounter(), retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    await expect(c.get(KYMAS, 'kyma-system', 'default')).rejects.toMatchObject({ status: 401 });
    await expect(c.watch(istioPath, {}, () => undefined)).rejects.toMatchObject({ status: 401 });
  });
});
