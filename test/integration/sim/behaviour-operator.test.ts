/**
 * The simulated Istio operator (issue 4 §2): only the oldest Istio CR in kyma-system reconciles; the others
 * go `Error` (operator ≤ 1.3) or `Warning` with reason `OlderCRExists` (≥ 1.4); nothing happens while the
 * operator is scaled to 0 (shown by its counted passes, not by waiting). Driven over HTTP like a client; eventual states are polled.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { findResource, KYMA_GROUP } from '../../../src/sim/k8s/resources.js';
import type { K8sObject, Scenario } from '../../../src/sim/types.js';
import { loadCrdValidators } from '../../helpers/crd-schemas.js';
import { describeWith, requireFixtures } from '../../helpers/needs.js';
import { controllerPasses, enableIstioLikeMigrateSh, simJson, startTestSim, type TestSim } from '../../helpers/sim.js';
import { until, untilAsync } from '../../helpers/until.js';

const ISTIO = findResource(KYMA_GROUP, 'v1alpha2', 'istios')!;
const ISTIOS_PATH = '/apis/operator.kyma-project.io/v1alpha2/namespaces/kyma-system/istios';
const DEPLOYMENT_PATH = '/apis/apps/v1/namespaces/kyma-system/deployments/istio-controller-manager';

let running: TestSim;

const request = (clusterId: string, method: string, urlPath: string, body?: unknown, contentType?: string) => simJson(running, clusterId, method, urlPath, body, contentType);
const operatorPasses = (runtimeId: string) => controllerPasses(running, runtimeId, 'operator');
const enableIstio = (runtimeId: string) => enableIstioLikeMigrateSh(running, runtimeId);

const runtimeOf = (scenario: Scenario) => running.sim.landscape.runtimes.find((r) => r.scenario === scenario && r.env === 'prod')!;
const istios = (runtimeId: string) => running.sim.cluster(runtimeId)!.store.list(ISTIO);
const istio = (runtimeId: string, name: string) => running.sim.cluster(runtimeId)!.store.get(ISTIO, 'kyma-system', name);
const status = (o: K8sObject | undefined) => (o?.status ?? {}) as { state?: string; description?: string; conditions?: { type: string; status: string; reason: string; message: string }[] };

const validators = loadCrdValidators();
function expectValidIstios(runtimeId: string): void {
  const v = validators!.get('operator.kyma-project.io/v1alpha2/Istio')!;
  expect(istios(runtimeId).flatMap((o) => v(o).map((p) => `${o.metadata.name}: ${p}`))).toEqual([]);
}

beforeAll(async () => {
  running = await startTestSim({ seed: 11, profile: 'scenarios', runtimes: 180, timeScale: 0.01 });
});

afterAll(async () => {
  await running?.close();
});

// Each test checks the CRs against the real CRDs of ../shared/fixtures/crds: without them the block fails under
// CI=true and skips visibly elsewhere (test/helpers/needs.ts).
describeWith(requireFixtures('crds'), 'src/sim/controllers/istio-operator.ts', () => {
  it('operator ≤ 1.3 (custom-cr-legacy): the older customer CR stays Ready, LM’s newer default goes Error', async () => {
    const rt = runtimeOf('custom-cr-legacy');
    expect(rt.operatorVersion).toMatch(/^1\.[0-3]\./);
    const [custom] = istios(rt.runtimeId);
    expect(status(custom).state).toBe('Ready');
    await enableIstio(rt.runtimeId);
    const def = await until('default Error', () => status(istio(rt.runtimeId, 'default')).state === 'Error' && istio(rt.runtimeId, 'default'));
    expect(status(def).description).toBe(`Stopped Istio CR reconciliation: only Istio CR ${custom.metadata.name} in kyma-system reconciles the module`);
    expect(status(def).conditions ?? []).toEqual([]);
    expect(status(istio(rt.runtimeId, custom.metadata.name!)).state).toBe('Ready');
    expect(def.metadata.creationTimestamp! > custom.metadata.creationTimestamp!).toBe(true);
    expectValidIstios(rt.runtimeId);
  });

  it('operator ≥ 1.4 (custom-cr): the newer default goes Warning with Ready condition OlderCRExists', async () => {
    const rt = runtimeOf('custom-cr');
    expect(rt.operatorVersion).not.toMatch(/^1\.[0-3]\./);
    const [custom] = istios(rt.runtimeId);
    await enableIstio(rt.runtimeId);
    const def = await until('default Warning', () => status(istio(rt.runtimeId, 'default')).state === 'Warning' && istio(rt.runtimeId, 'default'));
    expect(status(def).description).toBe(`Stopped Istio CR reconciliation: only Istio CR ${custom.metadata.name} in kyma-system reconciles the module`);
    expect(status(def).conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'False', reason: 'OlderCRExists', message: 'This Istio custom resource is not the oldest one and does not represent the module state' }),
    ]);
    expectValidIstios(rt.runtimeId);
  });

  it('does nothing while scaled to 0, and reconciles again once scaled back', async () => {
    const rt = runtimeOf('existing-default');
    const scale = (replicas: number) => request(rt.runtimeId, 'PATCH', DEPLOYMENT_PATH, { spec: { replicas } }, 'application/merge-patch+json');
    expect((await scale(0)).status).toBe(200);
    const created = await request(rt.runtimeId, 'POST', ISTIOS_PATH, { apiVersion: 'operator.kyma-project.io/v1alpha2', kind: 'Istio', metadata: { name: 'late', namespace: 'kyma-system' }, spec: {} });
    expect(created.status).toBe(201);
    // An operator pass counted after the create (GET /sim/stats `reconciles`: every pass counts, also while scaled
    // to 0) has seen `late` and left it alone. A label on `late` schedules one more pass, so one is sure to come.
    const seen = await operatorPasses(rt.runtimeId);
    expect((await request(rt.runtimeId, 'PATCH', `${ISTIOS_PATH}/late`, { metadata: { labels: { poke: '1' } } }, 'application/merge-patch+json')).status).toBe(200);
    await untilAsync('an operator pass after the create', async () => (await operatorPasses(rt.runtimeId)) > seen);
    expect(istio(rt.runtimeId, 'late')!.status).toBeUndefined();
    expect((await scale(1)).status).toBe(200);
    await until('late Warning', () => status(istio(rt.runtimeId, 'late')).state === 'Warning');
    expect(status(istio(rt.runtimeId, 'default')).state).toBe('Ready');
    expectValidIstios(rt.runtimeId);
  });
});
