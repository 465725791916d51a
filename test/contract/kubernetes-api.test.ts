/**
 * Contract: the simulated Kubernetes API behaves as the real API server on the points the scripts, kubectl and
 * the official Python client depend on (issue 15 items 9–11). Each fact names its upstream source.
 *
 * The API server facts hold on both KCP generations (C1 `--kcp 2023|current`): each runs against one simulator per
 * generation. They differ in one point, said where it is tested: only `current` serves ModuleReleaseMeta (its CRD
 * comes with today's Lifecycle Manager), so only there do the OpenAPI documents carry it. The schema comparison
 * with the real CRDs reads no simulator and runs once.
 */
import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { schemaOf, type Schema } from '../../src/sim/k8s/schemas.js';
import { RESOURCE_TYPES } from '../../src/sim/k8s/resources.js';
import { describeWith, FIXTURES_DIR, itWith, requireFixtures, requireKubectl, requirePythonKubernetes } from '../helpers/needs.js';
import { kubectl, runtimeOf, simRequest, startTestSim, type KubectlResult, type TestSim } from '../helpers/sim.js';
import { KCP_GENERATIONS, type KcpGeneration, type Scenario } from '../../src/sim/types.js';

const GROUP = 'operator.kyma-project.io';
const ISTIOS = `/apis/${GROUP}/v1alpha2/namespaces/kyma-system/istios`;
const KYMAS = `/apis/${GROUP}/v1beta2/namespaces/kyma-system/kymas`;
const FINALIZER = 'istios.operator.kyma-project.io/istio-installation';

// ---------------------------------------------------------------------------------------------------------
// Schemas: what the simulator carries agrees with the real CRDs (../shared/fixtures/crds, Nov 2023).

interface CrdVersion {
  name: string;
  served: boolean;
  schema: { openAPIV3Schema: RealSchema };
}
interface RealSchema {
  type?: string;
  properties?: Record<string, RealSchema>;
  items?: RealSchema;
  required?: string[];
  enum?: unknown[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/** Every disagreement between a declared node of ours and the real schema at the same path. */
function compare(ours: Schema, real: RealSchema | undefined, at: string): string[] {
  if (!real) return [`${at}: declared here, absent from the real CRD`];
  const out: string[] = [];
  if (ours.type && real.type && ours.type !== real.type) out.push(`${at}: type ${ours.type}, real ${real.type}`);
  if (ours.enum && JSON.stringify(ours.enum) !== JSON.stringify(real.enum)) out.push(`${at}: enum ${JSON.stringify(ours.enum)}, real ${JSON.stringify(real.enum)}`);
  for (const r of ours.required ?? []) if (!real.required?.includes(r)) out.push(`${at}: requires ${r}, the real CRD does not`);
  // Where we declare the properties and keep no unknown fields, every real required field must be required here too.
  if (ours.properties && !ours['x-kubernetes-preserve-unknown-fields']) {
    for (const r of real.required ?? []) if (!ours.required?.includes(r)) out.push(`${at}: the real CRD requires ${r}, this schema does not`);
  }
  for (const [key, sub] of Object.entries(ours.properties ?? {})) {
    if (at === '' && key === 'metadata') continue;
    out.push(...compare(sub, real.properties?.[key], at ? `${at}.${key}` : key));
  }
  if (ours.items) out.push(...compare(ours.items, real.items, `${at}[]`));
  return out;
}

describeWith(requireFixtures('crds'), 'src/sim/k8s/schemas.ts against ../shared/fixtures/crds (the real CRDs)', () => {
  const crds = readdirSync(path.join(FIXTURES_DIR, 'crds'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => YAML.parse(readFileSync(path.join(FIXTURES_DIR, 'crds', f), 'utf8')) as { spec: { group: string; names: { kind: string }; versions: CrdVersion[] } });
  const served = RESOURCE_TYPES.flatMap((t) => t.versions.map((v) => ({ t, v })));
  const cases = crds.flatMap((c) => c.spec.versions.filter((v) => served.some((s) => s.t.group === c.spec.group && s.t.kind === c.spec.names.kind && s.v === v.name)).map((v) => [`${c.spec.names.kind} ${v.name}`, c, v] as const));

  it.each(cases)('%s: every declared type, enum and required field is the real one', (_name, crd, version) => {
    const type = RESOURCE_TYPES.find((t) => t.group === crd.spec.group && t.kind === crd.spec.names.kind)!;
    expect(compare(schemaOf(type), version.schema.openAPIV3Schema, '')).toEqual([]);
  });

  it('covers every CRD of the fixtures the simulator serves', () => {
    expect(cases.map(([n]) => n).sort()).toEqual(['Istio v1alpha1', 'Istio v1alpha2', 'Kyma v1beta2', 'Manifest v1beta2', 'ModuleTemplate v1beta2']);
  });
});

describe.each(KCP_GENERATIONS)('the simulated Kubernetes API (KCP %s)', (kcp: KcpGeneration) => {
  let sim: TestSim;
  let cacheRoot: string;

  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', seed: 5, timeScale: 0.01, kcp });
    cacheRoot = mkdtempSync(path.join(os.tmpdir(), `contract-k8s-${kcp}-`));
  });
  afterAll(async () => {
    await sim?.close();
    if (cacheRoot) rmSync(cacheRoot, { recursive: true, force: true });
  });

  const rt = (scenario: Scenario) => runtimeOf(sim.out, 'dev', scenario);
  const k = (scenario: Scenario, args: string[], input?: string): Promise<KubectlResult> =>
    kubectl(args, { kubeconfig: rt(scenario).kubeconfig!, cacheDir: path.join(cacheRoot, scenario), input });

  /** Runs a shell pipeline with the scenario's kubeconfig and kubectl cache (as the scripts run). */
  function sh(scenario: Scenario, script: string): Promise<KubectlResult> {
    return new Promise((resolve) => {
      execFile('bash', ['-c', `set -eo pipefail\n${script}`], { timeout: 60_000, env: { ...process.env, KUBECONFIG: rt(scenario).kubeconfig!, KUBECACHEDIR: path.join(cacheRoot, scenario) } }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code ?? -1) : 0, stdout, stderr }),
      );
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Validation of writes (apiextensions-apiserver pkg/apiserver/schema/pruning/algorithm.go, defaulting/prunenulls.go,
  // kube-openapi pkg/validation: "in body must be of type"; the Status is a 422 Invalid with the field path).

  describe('writes validated against the structural schema', () => {
    it('a Kyma module without a name: 422 Invalid, cause at spec.modules[1].name', async () => {
      const id = rt('existing-default').runtimeId;
      const r = await simRequest(sim, id, `${KYMAS}/default`, {
        method: 'PATCH',
        contentType: 'application/json-patch+json',
        body: [{ op: 'add', path: '/spec/modules', value: [{ name: 'keda' }, { channel: 'fast' }] }],
      });
      expect(r.status).toBe(422);
      expect(r.json).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422, details: { causes: [{ field: 'spec.modules[1].name', reason: 'FieldValueRequired', message: 'Required value' }] } });
      expect(r.json.message).toBe('Kyma.operator.kyma-project.io "default" is invalid: spec.modules[1].name: Required value');
    });

    it('a wrong type and an unsupported enum value: one cause each, with the field path', async () => {
      const id = rt('existing-default').runtimeId;
      const r = await simRequest(sim, id, `${KYMAS}/default`, {
        method: 'PATCH',
        contentType: 'application/merge-patch+json',
        body: { spec: { channel: 5, modules: [{ name: 'istio', customResourcePolicy: 'Sometimes' }] } },
      });
      expect(r.status).toBe(422);
      expect(r.json.details.causes).toEqual([
        { field: 'spec.channel', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "integer": spec.channel in body must be of type string: "integer"' },
        { field: 'spec.modules[0].customResourcePolicy', reason: 'FieldValueNotSupported', message: 'Unsupported value: "Sometimes": supported values: "CreateAndDelete", "Ignore"' },
      ]);
    });

    it('unknown fields are pruned (with a Warning header), refused with fieldValidation=Strict; nulls are pruned', async () => {
      const id = rt('existing-default').runtimeId;
      const body = { apiVersion: `${GROUP}/v1alpha2`, kind: 'Istio', metadata: { name: 'pruned' }, spec: { config: { numTrustedProxies: 2 }, colour: 'blue', components: null } };
      const strict = await simRequest(sim, id, `${ISTIOS}?fieldValidation=Strict`, { method: 'POST', body });
      expect(strict.status).toBe(400);
      expect(strict.json.message).toBe('Istio in version "v1alpha2" cannot be handled as a Istio: strict decoding error: unknown field "spec.colour"');
      const lax = await simRequest(sim, id, ISTIOS, { method: 'POST', body });
      expect(lax.status).toBe(201);
      expect(lax.headers.warning).toBe('299 - "unknown field \\"spec.colour\\""');
      expect(lax.json.spec).toEqual({ config: { numTrustedProxies: 2 } });
    });
  });

  // ---------------------------------------------------------------------------------------------------------
  // kubectl's validation: /openapi/v3 per group version (incl. api/v1) and /openapi/v2 for a `kind: List`
  // (cli-runtime pkg/resource/query_param_verifier_v3.go: v1/List never has server-side field validation, so
  // kubectl pkg/validation/schema.go validates it client-side with the v2 models; client-go asks v2 as protobuf).

  describe('what kubectl needs to validate', () => {
    it('/openapi/v3 lists api/v1 and every group version; each document has the kinds with a fieldValidation parameter', async () => {
      const idx = await simRequest(sim, rt('fresh').runtimeId, '/openapi/v3');
      expect(Object.keys(idx.json.paths)).toEqual(expect.arrayContaining(['api/v1', 'apis/apps/v1', `apis/${GROUP}/v1beta2`, `apis/${GROUP}/v1alpha2`, `apis/${GROUP}/v1alpha1`]));
      const core = await simRequest(sim, rt('fresh').runtimeId, '/openapi/v3/api/v1');
      const patch = core.json.paths['/api/v1/namespaces/{namespace}/secrets/{name}'].patch;
      expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: '', version: 'v1', kind: 'Secret' });
      expect(patch.parameters).toContainEqual(expect.objectContaining({ name: 'fieldValidation', in: 'query' }));
    });

    it(`/openapi/v3 ${GROUP}/v1beta2 has ModuleReleaseMeta on current only (its CRD comes with today's LM; KCP ${kcp})`, async () => {
      const doc = await simRequest(sim, rt('fresh').runtimeId, `/openapi/v3/apis/${GROUP}/v1beta2`);
      expect(doc.status).toBe(200);
      const kinds = new Set(Object.values(doc.json.paths as Record<string, Record<string, { 'x-kubernetes-group-version-kind'?: { kind: string } }>>).flatMap((ops) => Object.values(ops).map((op) => op?.['x-kubernetes-group-version-kind']?.kind)));
      expect(kinds).toContain('Kyma');
      expect(kinds).toContain('ModuleTemplate');
      expect(kinds.has('ModuleReleaseMeta')).toBe(kcp === 'current');
    });

    it('/openapi/v2 answers protobuf with the kube-openapi content type', async () => {
      const r = await simRequest(sim, rt('fresh').runtimeId, '/openapi/v2', { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' });
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
      // A CRD's model is named by its reversed group, as the API server names it.
      expect(r.text).toContain('io.kyma-project.operator.v1alpha2.Istio');
      // Differs by generation: ModuleReleaseMeta's model is there only where its CRD is (current).
      expect(r.text.includes('io.kyma-project.operator.v1beta2.ModuleReleaseMeta')).toBe(kcp === 'current');
    });

    itWith(requireKubectl(), 'rename-to-default.sh\'s `get -o json | jq | kubectl apply -f -` of a kind: List validates and applies', async () => {
      // As the script: the operator first scaled to 0 (else it puts its finalizer back).
      const r = await sh('custom-cr-legacy', `kubectl scale -n kyma-system deployment/istio-controller-manager --replicas 0 >/dev/null
  kubectl get istio -n kyma-system --field-selector 'metadata.name!=default' -o=json | jq '.items[].metadata.finalizers = null' | kubectl apply -f -`);
      expect({ code: r.code, stderr: r.stderr.replace(/^Warning: .*\n/gm, '') }).toEqual({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(/^istio\.operator\.kyma-project\.io\/\S+ configured\n$/);
      const items = JSON.parse((await k('custom-cr-legacy', ['get', 'istio', '-n', 'kyma-system', '-o', 'json'])).stdout).items as Array<{ metadata: { name: string; finalizers?: string[] } }>;
      expect(items.find((i) => i.metadata.name !== 'default')!.metadata.finalizers).toBeUndefined();
    });

    itWith(requireKubectl(), 'kubectl apply of an invalid Istio prints the API server\'s 422 with the field path', async () => {
      const bad = JSON.stringify({ apiVersion: `${GROUP}/v1alpha2`, kind: 'Istio', metadata: { name: 'bad', namespace: 'kyma-system' }, spec: { config: { numTrustedProxies: 'three' } } });
      const r = await k('fresh', ['apply', '-f', '-'], bad);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('spec.config.numTrustedProxies: Invalid value: "string": spec.config.numTrustedProxies in body must be of type integer: "string"');
    });
  });

  // ---------------------------------------------------------------------------------------------------------
  // Finalizers and deletion (apiserver: an object with finalizers gets a deletionTimestamp and stays; kubectl
  // delete waits until it is gone; the NamespaceLifecycle admission plugin and the namespace controller).

  describe('finalizers and deletion', () => {
    itWith(requireKubectl(), 'kubectl delete blocks while the operator (scaled to 0) does not remove its finalizer; it returns once the finalizer is cleared', async () => {
      const s: Scenario = 'custom-cr';
      expect((await k(s, ['scale', '-n', 'kyma-system', 'deployment/istio-controller-manager', '--replicas', '0'])).code).toBe(0);
      const custom = (JSON.parse((await k(s, ['get', 'istio', '-n', 'kyma-system', '-o', 'json'])).stdout).items as Array<{ metadata: { name: string; finalizers?: string[] } }>).find(
        (i) => i.metadata.name !== 'default',
      )!;
      expect(custom.metadata.finalizers).toEqual([FINALIZER]);
      const child = spawn('kubectl', ['--cache-dir', path.join(cacheRoot, s), 'delete', 'istio', custom.metadata.name, '-n', 'kyma-system'], { env: { ...process.env, KUBECONFIG: rt(s).kubeconfig! } });
      const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
      let stillRunning = true;
      void exited.then(() => (stillRunning = false));
      // The object is being deleted, and stays: wait for the deletionTimestamp.
      let obj: { metadata: { deletionTimestamp?: string } } | undefined;
      for (let i = 0; i < 200 && !obj?.metadata.deletionTimestamp; i++) {
        obj = (await simRequest(sim, rt(s).runtimeId, `${ISTIOS}/${custom.metadata.name}`)).json;
        if (!obj?.metadata.deletionTimestamp) await new Promise((r) => setTimeout(r, 50));
      }
      expect(obj!.metadata.deletionTimestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(stillRunning).toBe(true);
      // Clearing the finalizer (what the operator would do) lets the object go and kubectl return.
      const patch = await k(s, ['patch', 'istio', custom.metadata.name, '-n', 'kyma-system', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
      expect(patch.code).toBe(0);
      expect(await exited).toBe(0);
      expect((await simRequest(sim, rt(s).runtimeId, `${ISTIOS}/${custom.metadata.name}`)).status).toBe(404);
    });

    it('a deleted namespace is Terminating while an object with a finalizer stays in it, refuses new content, and goes once empty', async () => {
      const id = rt('custom-cr-legacy').runtimeId;
      expect((await simRequest(sim, id, '/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } } })).status).toBe(201);
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: ['example.com/hold'] }, data: { a: 'b' } };
      expect((await simRequest(sim, id, '/api/v1/namespaces/doomed/configmaps', { method: 'POST', body: cm })).status).toBe(201);
      const del = await simRequest(sim, id, '/api/v1/namespaces/doomed', { method: 'DELETE' });
      expect(del.status).toBe(200);
      const ns = (await simRequest(sim, id, '/api/v1/namespaces/doomed')).json;
      expect(ns).toMatchObject({ spec: { finalizers: ['kubernetes'] }, status: { phase: 'Terminating' } });
      expect(ns.metadata.deletionTimestamp).toBeDefined();
      expect((await simRequest(sim, id, '/api/v1/namespaces/doomed/configmaps/held')).json.metadata.deletionTimestamp).toBeDefined();
      const refused = await simRequest(sim, id, '/api/v1/namespaces/doomed/configmaps', { method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' } } });
      expect(refused.status).toBe(403);
      expect(refused.json.message).toBe('configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated');
      const clear = await simRequest(sim, id, '/api/v1/namespaces/doomed/configmaps/held', { method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { finalizers: null } } });
      expect(clear.status).toBe(200);
      expect((await simRequest(sim, id, '/api/v1/namespaces/doomed')).status).toBe(404);
    });
  });

  // ---------------------------------------------------------------------------------------------------------
  // Query parameters (apimachinery pkg/runtime/conversion.go Convert_Slice_string_To_bool: absent, "0" or
  // "false" in any case is false, every other value true; Convert_Slice_string_To_Pointer_int64: strconv.ParseInt).

  describe('query parameters as the API server decodes them', () => {
    /** Whether GET …/istios?<query> answers a watch stream (true) or a list (false). */
    async function isWatch(query: string): Promise<boolean> {
      const r = await simRequest(sim, rt('existing-default').runtimeId, `${ISTIOS}?${query}&timeoutSeconds=1`);
      expect(r.status).toBe(200);
      return !(r.json && r.json.kind === 'IstioList');
    }

    it.each([
      ['watch=True', true],
      ['watch=true', true],
      ['watch=1', true],
      ['watch=t', true],
      ['watch=TRUE', true],
      ['watch=yes', true],
      ['watch=false', false],
      ['watch=False', false],
      ['watch=FALSE', false],
      ['watch=0', false],
      ['other=1', false],
    ])('%s → %s', async (query, watch) => {
      expect(await isWatch(query)).toBe(watch);
    });

    it('a limit that is not an integer is a 400', async () => {
      const r = await simRequest(sim, rt('existing-default').runtimeId, `${ISTIOS}?limit=ten`);
      expect(r.status).toBe(400);
      expect(r.json.message).toBe('strconv.ParseInt: parsing "ten": invalid syntax');
    });
  });

  // ---------------------------------------------------------------------------------------------------------
  // A second, independent client: Debian's python3-kubernetes (it asks `?watch=True`).
  // Needs /usr/bin/python3 with that module (test/helpers/needs.ts): .ci/run installs it, and under CI=true a missing
  // module fails the test; elsewhere it skips and its message says how to install it.

  describe('the official Python client (python3-kubernetes) against the simulator', () => {
    itWith(requirePythonKubernetes(), 'get, merge patch, watch until the Istio CR is Ready, the deployment\'s scale subresource', async () => {
      const kc = runtimeOf(sim.out, 'stage', 'fresh').kubeconfig!;
      const r = await new Promise<KubectlResult>((resolve) =>
        execFile('/usr/bin/python3', [path.resolve('test/fixtures/python-client.py'), kc], { timeout: 120_000 }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? -1) : 0, stdout, stderr })),
      );
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      const steps = Object.fromEntries(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { step: string }).map((s) => [s.step, s])) as Record<string, Record<string, unknown>>;
      expect(steps.get).toEqual({ step: 'get', name: 'default', modules: [] });
      expect(steps['merge-patch']).toEqual({ step: 'merge-patch', modules: ['istio'] });
      const events = steps.watch.events as Array<[string, string, string | null]>;
      expect(events.length).toBeGreaterThan(1);
      expect(events[events.length - 1]).toEqual(['MODIFIED', 'default', 'Ready']);
      expect(steps.scale).toEqual({ step: 'scale', kind: 'Scale', replicas: 1 });
      expect(steps['scale-patch']).toEqual({ step: 'scale-patch', replicas: 2 });
    });
  });
});
