/**
 * States read before the patch prove nothing (DESIGN.md §4): an Istio CR in Error or Warning when the Kyma is
 * patched decides nothing until LM has applied the module or the CR changed since. Here the operator was scaled to 0
 * with `default`'s status left in Error (or in Warning for a cause of its own, beside a newer customer CR); LM's
 * apply of the module Deployment runs the operator again, which reconciles `default`: migrated. Before, the first
 * evaluation after the patch decided `error/istio-error` (or `multiple-istio-crs`) from the pre-patch state, within
 * milliseconds.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { migrateRuntime } from '../../../src/migration/migrate-runtime.js';
import { DEPLOYMENT, ISTIO } from '../../../src/sim/k8s/resources.js';
import { KCP_GENERATIONS, type K8sObject } from '../../../src/sim/types.js';
import { kubeconfigOf, startTestSim, type TestSim } from '../../helpers/sim.js';

describe.each(KCP_GENERATIONS)('src/migration/wait: pre-patch Istio CR states (KCP %s)', (kcp) => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'existing-default', runtimes: 12, timeScale: 0.01, kcp });
  });
  afterAll(async () => {
    await sim?.close();
  });

  /** An existing-default runtime of stage, its operator stopped and `default`'s status set as given. */
  function prepare(index: number, status: Record<string, unknown>): string {
    const rt = sim.sim.landscape.runtimes.filter((r) => r.env === 'stage' && r.scenario === 'existing-default')[index];
    const store = sim.sim.cluster(rt.runtimeId)!.store;
    const d = store.get(DEPLOYMENT, 'kyma-system', 'istio-controller-manager')!;
    store.update(DEPLOYMENT, { ...d, spec: { ...(d.spec ?? {}), replicas: 0 } });
    const def = store.get(ISTIO, 'kyma-system', 'default')!;
    store.update(ISTIO, { ...def, status }, { subresource: 'status' });
    return rt.runtimeId;
  }

  const migrate = (runtimeId: string) =>
    migrateRuntime({ runtimeId, kcpKubeconfig: readFileSync(kubeconfigOf(sim.out, 'stage', 'kcp'), 'utf8'), deadlineMs: 20_000, pollIntervalMs: 100, retry: { attempts: 4, baseDelayMs: 20, maxDelayMs: 200 } });

  it('default in Error before the patch: not decided from that state; migrated once LM ran the operator again', async () => {
    const id = prepare(0, { state: 'Error', description: 'transient', conditions: [{ type: 'Ready', status: 'False', reason: 'ReconcileFailed' }] });
    const res = await migrate(id);
    expect({ outcome: res.outcome, reason: res.reason, patched: res.patched }).toEqual({ outcome: 'migrated', reason: null, patched: true });
  });

  it('default in Warning for a cause of its own, beside a newer customer CR: no conflict; migrated, the newer CR named', async () => {
    const id = prepare(1, { state: 'Warning', description: 'an ingress targets user resources', conditions: [{ type: 'Ready', status: 'False', reason: 'IngressTargetingUserResourceFound' }] });
    const store = sim.sim.cluster(id)!.store;
    const def = store.get(ISTIO, 'kyma-system', 'default')!;
    const mine: K8sObject = { apiVersion: def.apiVersion, kind: 'Istio', metadata: { name: 'mine', namespace: 'kyma-system' }, spec: { config: { numTrustedProxies: 3 } } };
    store.create(ISTIO, mine);
    const created = store.get(ISTIO, 'kyma-system', 'mine')!;
    expect(created.metadata.creationTimestamp! > def.metadata.creationTimestamp!).toBe(true);
    store.update(ISTIO, { ...created, status: { state: 'Warning', description: 'only Istio CR default in kyma-system reconciles the module', conditions: [{ type: 'Ready', status: 'False', reason: 'OlderCRExists' }] } }, { subresource: 'status' });
    const res = await migrate(id);
    expect({ outcome: res.outcome, patched: res.patched }).toEqual({ outcome: 'migrated', patched: true });
    expect(res.detail).toContain('Istio CR mine in kyma-system is newer than default');
  });
});
