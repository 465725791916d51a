import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { runtimeOf, simRequest, startTestSim, type HttpResult, type Json, type RawRequestOptions, type TestSim } from '../../helpers/sim.js';
import { findResource } from '../../../src/sim/k8s/resources.js';

// The simulated Kubernetes API over real HTTP (issue 3 §3, §5): discovery, OpenAPI, list/get/watch semantics,
// writes, patches, subresources and the Status errors a real API server gives.

const G = '/apis/operator.kyma-project.io';
const ISTIOS = `${G}/v1alpha2/namespaces/kyma-system/istios`;
const KYMAS = `${G}/v1beta2/namespaces/kyma-system/kymas`;
const ISTIO = findResource('operator.kyma-project.io', 'v1alpha2', 'istios')!;

const istio = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'operator.kyma-project.io/v1alpha2',
  kind: 'Istio',
  metadata: { name, namespace: 'kyma-system', ...extra },
  spec: {},
});

/** One line of a watch stream; the object is inspected loosely, as HttpResult bodies are. */
interface WatchEvent {
  type: string;
  object: Json;
}

/** Reads a watch stream until `count` events arrived (or it ended), then closes it. */
function watchEvents(sim: TestSim, clusterId: string, urlPath: string, count: number): Promise<WatchEvent[]> {
  return new Promise((resolve, reject) => {
    const events: WatchEvent[] = [];
    const req = http.get({ host: '127.0.0.1', port: sim.port, path: `/clusters/${clusterId}${urlPath}`, headers: { Authorization: `Bearer ${sim.sim.tokenFor(clusterId)}` } }, (res) => {
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, nl)) as WatchEvent);
          buf = buf.slice(nl + 1);
        }
        if (events.length >= count) {
          req.destroy();
          resolve(events);
        }
      });
      res.on('end', () => resolve(events));
    });
    req.on('error', (e) => (events.length >= count ? undefined : reject(e)));
  });
}

describe('src/sim/k8s/api over HTTP', () => {
  let sim: TestSim;
  let skr: string; // existing-default: Kyma, ModuleTemplates, Istio CR `default`, operator Deployment
  let quiet: string; // no-template: no operator and no LM reaction, so only the test writes
  const req = (path: string, opts?: RawRequestOptions): Promise<HttpResult> => simRequest(sim, quiet, path, opts);

  beforeAll(async () => {
    sim = await startTestSim();
    skr = runtimeOf(sim.out, 'dev', 'existing-default').runtimeId;
    quiet = runtimeOf(sim.out, 'dev', 'no-template').runtimeId;
  });
  afterAll(async () => {
    await sim?.close();
  });

  describe('discovery', () => {
    it('serves /version as Kubernetes 1.32', async () => {
      const r = await req('/version');
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ major: '1', minor: '32', gitVersion: expect.stringMatching(/^v1\.32\./) });
    });

    it('serves aggregated discovery on /api and /apis to clients that ask for it', async () => {
      const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
      const apis = await req('/apis', { accept });
      expect(apis.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
      const kyma = apis.json.items.find((g: Json) => g.metadata.name === 'operator.kyma-project.io');
      expect(kyma.versions.map((v: Json) => v.version)).toEqual(['v1beta2', 'v1alpha2', 'v1alpha1']);
      const apps = apis.json.items.find((g: Json) => g.metadata.name === 'apps');
      expect(apps.versions[0].resources[0].subresources).toContainEqual({ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] });
      const core = await req('/api', { accept });
      expect(core.json.items[0].versions[0].resources.map((r: Json) => r.resource)).toEqual(expect.arrayContaining(['namespaces', 'secrets']));
    });

    it('serves the legacy lists that client-node reads: /api, /api/v1, /apis and /apis/<group>/<version>', async () => {
      expect((await req('/api')).json).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
      expect((await req('/api/v1')).json.resources.map((r: Json) => r.name)).toEqual(expect.arrayContaining(['namespaces', 'secrets']));
      const groups = (await req('/apis')).json;
      expect(groups.kind).toBe('APIGroupList');
      expect(groups.groups.map((g: Json) => g.name)).toEqual(expect.arrayContaining(['apps', 'operator.kyma-project.io', 'core.gardener.cloud']));
      const v1alpha1 = (await req(`${G}/v1alpha1`)).json;
      expect(v1alpha1.resources).toContainEqual(expect.objectContaining({ name: 'istios', singularName: 'istio', kind: 'Istio', namespaced: true }));
      const v1beta2 = (await req(`${G}/v1beta2`)).json.resources.map((r: Json) => r.name);
      expect(v1beta2).toEqual(expect.arrayContaining(['kymas', 'kymas/status', 'moduletemplates', 'manifests']));
      expect((await req('/apis/apps/v1')).json.resources).toContainEqual(expect.objectContaining({ name: 'deployments/scale', group: 'autoscaling', kind: 'Scale' }));
      expect((await req('/apis/core.gardener.cloud/v1beta1')).json.resources.map((r: Json) => r.name)).toContain('shoots');
    });

    it('serves /openapi/v3 for the kyma-project groups', async () => {
      const index = (await req('/openapi/v3')).json;
      for (const gv of ['v1beta2', 'v1alpha2', 'v1alpha1']) expect(index.paths[`apis/operator.kyma-project.io/${gv}`]).toBeDefined();
      const doc = await req(index.paths['apis/operator.kyma-project.io/v1beta2'].serverRelativeURL);
      expect(doc.status).toBe(200);
      expect(doc.json.paths[`${G}/v1beta2/namespaces/{namespace}/kymas/{name}`].patch['x-kubernetes-group-version-kind']).toEqual({
        group: 'operator.kyma-project.io',
        version: 'v1beta2',
        kind: 'Kyma',
      });
    });
  });

  describe('get and list', () => {
    it('serves Istio CRs at v1alpha1 and v1alpha2', async () => {
      for (const v of ['v1alpha1', 'v1alpha2']) {
        const r = await simRequest(sim, skr, `${G}/${v}/namespaces/kyma-system/istios/default`);
        expect(r.json).toMatchObject({ apiVersion: `operator.kyma-project.io/${v}`, kind: 'Istio', metadata: { name: 'default' } });
      }
    });

    it('lists across namespaces with label and field selectors (=, ==, !=)', async () => {
      const all = await simRequest(sim, skr, `${G}/v1beta2/moduletemplates`);
      expect(all.json).toMatchObject({ apiVersion: 'operator.kyma-project.io/v1beta2', kind: 'ModuleTemplateList', metadata: { resourceVersion: expect.any(String) } });
      const names = (r: HttpResult) => r.json.items.map((i: Json) => i.metadata.name);
      expect(names(all)).toEqual(['istio-fast', 'istio-regular']);
      const label = encodeURIComponent('operator.kyma-project.io/module-name=istio');
      expect(names(await simRequest(sim, skr, `${G}/v1beta2/moduletemplates?labelSelector=${label}`))).toEqual(['istio-fast', 'istio-regular']);
      const fs = (s: string) => simRequest(sim, skr, `${G}/v1beta2/moduletemplates?fieldSelector=${encodeURIComponent(s)}`);
      expect(names(await fs('metadata.name=istio-fast'))).toEqual(['istio-fast']);
      expect(names(await fs('metadata.name==istio-fast'))).toEqual(['istio-fast']);
      expect(names(await fs('metadata.name!=istio-fast'))).toEqual(['istio-regular']);
      expect(names(await fs('metadata.namespace=kyma-system,metadata.name!=istio-fast'))).toEqual(['istio-regular']);
      expect(names(await fs('metadata.namespace=default'))).toEqual([]);
    });

    it('serves Gardener shoots across namespaces', async () => {
      const shoots = (await simRequest(sim, 'dev-gardener', '/apis/core.gardener.cloud/v1beta1/shoots')).json;
      expect(shoots.kind).toBe('ShootList');
      expect(shoots.items.length).toBeGreaterThan(0);
      expect(shoots.items[0]).toMatchObject({ apiVersion: 'core.gardener.cloud/v1beta1', kind: 'Shoot', metadata: { namespace: 'garden-kyma-dev' } });
    });

    it('pages with limit and continue', async () => {
      const first = (await simRequest(sim, skr, '/api/v1/namespaces?limit=2')).json;
      expect(first.items).toHaveLength(2);
      expect(first.metadata).toMatchObject({ continue: expect.any(String), remainingItemCount: 2 });
      const rest = (await simRequest(sim, skr, `/api/v1/namespaces?limit=2&continue=${first.metadata.continue}`)).json;
      expect([...first.items, ...rest.items].map((n) => n.metadata.name)).toEqual(['default', 'istio-system', 'kube-system', 'kyma-system']);
      expect(rest.metadata.continue).toBeUndefined();
    });

    it('answers 404 with the resource and the name', async () => {
      const r = await req(`${ISTIOS}/default`);
      expect(r.status).toBe(404);
      expect(r.json).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'istios.operator.kyma-project.io "default" not found',
        reason: 'NotFound',
        details: { name: 'default', group: 'operator.kyma-project.io', kind: 'istios' },
        code: 404,
      });
    });
  });

  describe('writes', () => {
    it('maintains uid, resourceVersion, generation and creationTimestamp; a stale resourceVersion gets 409', async () => {
      const created = await req(ISTIOS, { method: 'POST', body: istio('meta') });
      expect(created.status).toBe(201);
      const m = created.json.metadata;
      expect(m).toMatchObject({ uid: expect.stringMatching(/^[0-9a-f-]{36}$/), generation: 1, creationTimestamp: expect.stringMatching(/Z$/), resourceVersion: expect.stringMatching(/^\d+$/) });
      const updated = await req(`${ISTIOS}/meta`, { method: 'PUT', body: { ...created.json, spec: { config: { numTrustedProxies: 2 } } } });
      expect(updated.status).toBe(200);
      expect(updated.json.metadata).toMatchObject({ uid: m.uid, creationTimestamp: m.creationTimestamp, generation: 2 });
      expect(Number(updated.json.metadata.resourceVersion)).toBeGreaterThan(Number(m.resourceVersion));
      // Labels are metadata: no new generation.
      const labelled = await req(`${ISTIOS}/meta`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { labels: { a: 'b' } } } });
      expect(labelled.json.metadata.generation).toBe(2);
      const stale = await req(`${ISTIOS}/meta`, { method: 'PUT', body: created.json });
      expect(stale.status).toBe(409);
      expect(stale.json).toMatchObject({ reason: 'Conflict', details: { name: 'meta', kind: 'istios' } });
      const again = await req(ISTIOS, { method: 'POST', body: istio('meta') });
      expect(again.status).toBe(409);
      expect(again.json.reason).toBe('AlreadyExists');
    });

    it('keeps status apart: writes to the resource ignore .status, /status changes only .status', async () => {
      const created = (await req(ISTIOS, { method: 'POST', body: { ...istio('status'), status: { state: 'Ready' } } })).json;
      expect(created.status).toBeUndefined();
      const viaStatus = await req(`${ISTIOS}/status/status`, { method: 'PUT', body: { ...created, spec: { changed: true }, status: { state: 'Warning' } } });
      expect(viaStatus.status).toBe(200);
      expect(viaStatus.json).toMatchObject({ spec: {}, status: { state: 'Warning' }, metadata: { generation: 1 } });
      const viaMain = await req(`${ISTIOS}/status`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { status: { state: 'Ready' } } });
      expect(viaMain.json.status).toEqual({ state: 'Warning' });
    });

    it('marks an object with finalizers on delete and removes it once they are cleared, with watch events', async () => {
      const created = (await req(ISTIOS, { method: 'POST', body: istio('final', { finalizers: ['example.com/keep'] }) })).json;
      const events = watchEvents(sim, quiet, `${ISTIOS}?watch=true&resourceVersion=${created.metadata.resourceVersion}&fieldSelector=metadata.name%3Dfinal`, 2);
      const deleted = await req(`${ISTIOS}/final`, { method: 'DELETE', body: { propagationPolicy: 'Background' } });
      expect(deleted.status).toBe(200);
      expect(deleted.json.metadata.deletionTimestamp).toEqual(expect.any(String));
      expect((await req(`${ISTIOS}/final`)).status).toBe(200);
      const cleared = await req(`${ISTIOS}/final`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { finalizers: null } } });
      expect(cleared.status).toBe(200);
      expect((await req(`${ISTIOS}/final`)).status).toBe(404);
      expect((await events).map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
    });

    it('deletes a collection by label selector', async () => {
      for (const n of ['coll-a', 'coll-b', 'coll-keep']) await req(ISTIOS, { method: 'POST', body: istio(n, { labels: { batch: n === 'coll-keep' ? 'keep' : 'drop' } }) });
      const r = await req(`${ISTIOS}?labelSelector=batch%3Ddrop`, { method: 'DELETE' });
      expect(r.status).toBe(200);
      expect(r.json.items.map((i: Json) => i.metadata.name)).toEqual(['coll-a', 'coll-b']);
      const left = (await req(`${ISTIOS}?labelSelector=batch`)).json.items.map((i: Json) => i.metadata.name);
      expect(left).toEqual(['coll-keep']);
    });

    it('applies JSON patches with the API server semantics: a failed test answers 422, test of an absent path against null passes', async () => {
      await req(ISTIOS, { method: 'POST', body: istio('jp') });
      const patch = (ops: unknown) => req(`${ISTIOS}/jp`, { method: 'PATCH', contentType: 'application/json-patch+json', body: ops });
      const ok = await patch([{ op: 'test', path: '/spec/config', value: null }, { op: 'add', path: '/spec/config', value: { numTrustedProxies: 1 } }]);
      expect(ok.status).toBe(200);
      expect(ok.json.spec).toEqual({ config: { numTrustedProxies: 1 } });
      const failed = await patch([{ op: 'test', path: '/spec/config', value: null }]);
      expect(failed.status).toBe(422);
      expect(failed.json).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
      const missing = await patch([{ op: 'replace', path: '/spec/nothing/here', value: 1 }]);
      expect(missing.status).toBe(422);
    });

    it('serves the scale subresource of Deployments', async () => {
      const path = '/apis/apps/v1/namespaces/kyma-system/deployments/istio-controller-manager/scale';
      const scale = (await simRequest(sim, skr, path)).json;
      expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 1 } });
      const patched = await simRequest(sim, skr, path, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { spec: { replicas: 2 } } });
      expect(patched.json.spec.replicas).toBe(2);
      const deploy = (await simRequest(sim, skr, '/apis/apps/v1/namespaces/kyma-system/deployments/istio-controller-manager')).json;
      expect(deploy.spec.replicas).toBe(2);
      const stale = await simRequest(sim, skr, path, { method: 'PUT', body: { ...scale, spec: { replicas: 1 } } });
      expect(stale.status).toBe(409);
      const negative = await simRequest(sim, skr, path, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { spec: { replicas: -1 } } });
      expect(negative.status).toBe(422);
    });
  });

  describe('watch', () => {
    it('starts with ADDED for what exists (no resourceVersion) and replays from a resourceVersion', async () => {
      await req(ISTIOS, { method: 'POST', body: istio('w1') });
      const initial = await watchEvents(sim, quiet, `${ISTIOS}?watch=true&fieldSelector=metadata.name%3Dw1`, 1);
      expect(initial.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'w1']]);
      const rv = (await req(ISTIOS)).json.metadata.resourceVersion;
      await req(ISTIOS, { method: 'POST', body: istio('w2') });
      await req(`${ISTIOS}/w2`, { method: 'DELETE' });
      const replay = await watchEvents(sim, quiet, `${ISTIOS}?watch=true&resourceVersion=${rv}`, 2);
      expect(replay.map((e) => [e.type, e.object.metadata.name])).toEqual([
        ['ADDED', 'w2'],
        ['DELETED', 'w2'],
      ]);
      expect(replay[0].object.apiVersion).toBe('operator.kyma-project.io/v1alpha2');
    });

    it('answers a resourceVersion older than its history with a 410 ERROR event', async () => {
      const store = sim.sim.cluster(quiet)!.store;
      const rv = store.resourceVersion;
      let cur = store.create(ISTIO, istio('churn'));
      for (let i = 0; i < 1001; i++) cur = store.update(ISTIO, { ...cur, spec: { n: i } });
      const events = await watchEvents(sim, quiet, `${ISTIOS}?watch=true&resourceVersion=${rv}`, 1);
      expect(events).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) }]);
    });
  });

  describe('bad input (issue 3 §5)', () => {
    const json = 'application/json';
    it.each<[string, string, RawRequestOptions, number, string]>([
      ['malformed JSON on create', ISTIOS, { method: 'POST', body: '{"metadata": {', contentType: json }, 400, 'BadRequest'],
      ['an array as the object', ISTIOS, { method: 'POST', body: [] }, 400, 'BadRequest'],
      ['a wrongly typed name', ISTIOS, { method: 'POST', body: { metadata: { name: 5 } } }, 400, 'BadRequest'],
      ['labels that are not a map of strings', ISTIOS, { method: 'POST', body: { metadata: { name: 'x', labels: { a: 1 } } } }, 400, 'BadRequest'],
      ['finalizers that are not a list', ISTIOS, { method: 'POST', body: { metadata: { name: 'x', finalizers: 'f' } } }, 400, 'BadRequest'],
      ['a kind that does not match the URL', ISTIOS, { method: 'POST', body: { kind: 'Kyma', metadata: { name: 'x' } } }, 400, 'BadRequest'],
      ['an invalid name', ISTIOS, { method: 'POST', body: istio('Not_Valid') }, 422, 'Invalid'],
      ['a missing name', ISTIOS, { method: 'POST', body: { spec: {} } }, 422, 'Invalid'],
      ['a Kyma module without a name', KYMAS, { method: 'POST', body: { metadata: { name: 'k' }, spec: { modules: [{}] } } }, 422, 'Invalid'],
      ['a create in a namespace that does not exist', `${G}/v1alpha2/namespaces/nope/istios`, { method: 'POST', body: { metadata: { name: 'x' } } }, 404, 'NotFound'],
      ['a namespace in the body that differs from the URL', `${G}/v1alpha2/namespaces/default/istios`, { method: 'POST', body: istio('x') }, 400, 'BadRequest'],
      ['a create across namespaces', `${G}/v1alpha2/istios`, { method: 'POST', body: istio('x') }, 405, 'MethodNotAllowed'],
      ['an update of a custom resource without resourceVersion', `${KYMAS}/default`, { method: 'PUT', body: { metadata: { name: 'default' }, spec: {} } }, 422, 'Invalid'],
      ['an update of a missing object', `${KYMAS}/missing`, { method: 'PUT', body: { metadata: { name: 'missing', resourceVersion: '1' } } }, 404, 'NotFound'],
      ['an unknown resource', `${G}/v1beta2/namespaces/kyma-system/widgets`, {}, 404, 'NotFound'],
      ['an unknown group', '/apis/example.com/v1/things', {}, 404, 'NotFound'],
      ['an unserved version', `${G}/v9/namespaces/kyma-system/istios`, {}, 404, 'NotFound'],
      ['a malformed path escape', '/api/v1/namespaces/%E0%A4%A', {}, 400, 'BadRequest'],
      ['a bad label selector', `${ISTIOS}?labelSelector=${encodeURIComponent('a in (')}`, {}, 400, 'BadRequest'],
      ['an unsupported field selector', `${ISTIOS}?fieldSelector=spec.x%3D1`, {}, 400, 'BadRequest'],
      ['a malformed field selector', `${ISTIOS}?fieldSelector=metadata.name`, {}, 400, 'BadRequest'],
      ['a bad limit', `${ISTIOS}?limit=abc`, {}, 400, 'BadRequest'],
      ['a bad continue token', `${ISTIOS}?limit=1&continue=garbage`, {}, 400, 'BadRequest'],
      ['a malformed watch resourceVersion', `${ISTIOS}?watch=true&resourceVersion=abc`, {}, 400, 'BadRequest'],
      ['a JSON patch that is not a list', `${KYMAS}/default`, { method: 'PATCH', contentType: 'application/json-patch+json', body: { op: 'add' } }, 400, 'BadRequest'],
      ['a JSON patch with an unknown op', `${KYMAS}/default`, { method: 'PATCH', contentType: 'application/json-patch+json', body: [{ op: 'frob', path: '/spec' }] }, 422, 'Invalid'],
      ['a malformed merge patch', `${KYMAS}/default`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: '{"spec":' }, 400, 'BadRequest'],
      ['a merge patch that breaks metadata', `${KYMAS}/default`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { finalizers: 'x' } } }, 400, 'BadRequest'],
      ['a patch of an unknown media type', `${KYMAS}/default`, { method: 'PATCH', contentType: 'text/plain', body: '{}' }, 415, 'UnsupportedMediaType'],
      ['a patch of a missing object', `${KYMAS}/missing`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: {} }, 404, 'NotFound'],
      ['malformed delete options', `${KYMAS}/default`, { method: 'DELETE', body: '{bad', contentType: json }, 400, 'BadRequest'],
      ['an unsupported method', KYMAS, { method: 'PUT', body: {} }, 405, 'MethodNotAllowed'],
    ])('%s', async (_what, path, opts, code, reason) => {
      const r = await req(path, opts);
      expect(r.status).toBe(code);
      expect(r.json).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
    });

    it('is still serving, and stored nothing from the bad requests', async () => {
      expect((await req('/version')).status).toBe(200);
      const names = (await req(ISTIOS)).json.items.map((i: Json) => i.metadata.name);
      expect(names).not.toContain('x');
      expect((await req(`${KYMAS}/default`)).json.spec.modules).toBeUndefined();
    });
  });
});
