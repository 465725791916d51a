import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { migrateRuntime } from '../../../src/migration/migrate-runtime.js';
import { renameExitCode, renameToDefault } from '../../../src/migration/rename-to-default.js';
import { findResource } from '../../../src/sim/k8s/resources.js';
import type { Env, K8sObject, Scenario } from '../../../src/sim/types.js';
import { kubeconfigOf, runtimeOf, startTestSim, type TestSim } from '../../helpers/sim.js';

const ISTIO = findResource('operator.kyma-project.io', 'v1alpha2', 'istios')!;
const DEPLOYMENT = findResource('apps', 'v1', 'deployments')!;
/** The steps of a rename that went through, in order. */
const ALL_STEPS_DONE = ['inventory', 'scale-down', 'write-default', 'remove-others', 'restore-replicas', 'wait-ready'].map((s) => `${s}:done`);
const FAST = { retry: { attempts: 6, baseDelayMs: 20, maxDelayMs: 300 }, pollIntervalMs: 50, deadlineMs: 5000 };

function skrOf(sim: TestSim, env: Env, scenario: Scenario) {
  const rt = runtimeOf(sim.out, env, scenario);
  return { rt, kubeconfig: readFileSync(rt.kubeconfig!, 'utf8'), store: sim.sim.cluster(rt.runtimeId)!.store };
}

function istios(sim: TestSim, runtimeId: string): K8sObject[] {
  return sim.sim.cluster(runtimeId)!.store.list(ISTIO, 'kyma-system');
}

function replicas(sim: TestSim, runtimeId: string): number | undefined {
  const d = sim.sim.cluster(runtimeId)!.store.get(DEPLOYMENT, 'kyma-system', 'istio-controller-manager');
  return (d?.spec as { replicas?: number } | undefined)?.replicas;
}

describe('src/migration/rename-to-default', () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it.each<[Scenario, Env]>([
    ['custom-cr', 'dev'],
    ['custom-cr-legacy', 'dev'],
  ])('after a %s migration, ends with one CR default, Ready, with the customer spec, operator back at 1', async (scenario, env) => {
    const { rt, kubeconfig } = skrOf(sim, env, scenario);
    const customer = istios(sim, rt.runtimeId).find((c) => c.metadata.name !== 'default')!;
    // The script's way: patch anyway; LM's newer default is not reconciled.
    const migrated = await migrateRuntime({
      runtimeId: rt.runtimeId,
      kcpKubeconfig: readFileSync(kubeconfigOf(sim.out, env, 'kcp'), 'utf8'),
      onConflict: 'proceed',
      ...FAST,
    });
    expect(migrated.outcome).toBe('multiple-istio-crs');
    expect(istios(sim, rt.runtimeId).map((c) => c.metadata.name).sort()).toEqual(['default', customer.metadata.name].sort());

    const res = await renameToDefault({ skrKubeconfig: kubeconfig, customerAgreed: true, ...FAST });
    expect(res.outcome).toBe('renamed');
    expect(renameExitCode(res.outcome)).toBe(0);
    expect(res.source).toBe(customer.metadata.name);
    expect(res.replicasRestored).toBe(true);
    const after = istios(sim, rt.runtimeId);
    expect(after.map((c) => c.metadata.name)).toEqual(['default']);
    expect((after[0].status as { state: string }).state).toBe('Ready');
    expect(after[0].spec).toEqual(customer.spec);
    // LM's labels stay on default.
    expect(after[0].metadata.labels?.['operator.kyma-project.io/managed-by']).toBe('declarative-v2');
    expect(replicas(sim, rt.runtimeId)).toBe(1);
    expect(res.steps.map((s) => `${s.step}:${s.status}`)).toEqual(ALL_STEPS_DONE);
  });

  it('creates default when LM has not created it yet (held runtime)', async () => {
    const { rt, kubeconfig } = skrOf(sim, 'stage', 'custom-cr');
    const customer = istios(sim, rt.runtimeId)[0];
    const res = await renameToDefault({ skrKubeconfig: kubeconfig, customerAgreed: true, ...FAST });
    expect(res.outcome).toBe('renamed');
    const after = istios(sim, rt.runtimeId);
    expect(after.map((c) => c.metadata.name)).toEqual(['default']);
    expect(after[0].spec).toEqual(customer.spec);
  });

  it('restores the replicas when a step fails mid-rename', async () => {
    const { rt, kubeconfig } = skrOf(sim, 'prod', 'custom-cr');
    const res = await renameToDefault({
      skrKubeconfig: kubeconfig,
      customerAgreed: true,
      ...FAST,
      onStep: (step) => {
        if (step === 'remove-others') throw new Error('forced failure before removing the other CRs');
      },
    });
    expect(res.outcome).toBe('failed');
    expect(renameExitCode(res.outcome)).toBe(1);
    expect(res.replicasRestored).toBe(true);
    expect(res.message).toContain('forced failure');
    expect(replicas(sim, rt.runtimeId)).toBe(1);
    expect(res.steps.find((s) => s.step === 'restore-replicas')?.status).toBe('done');
  });

  it('a customer CR newer than a reconciling default is no conflict: migrated, named in the detail, and the rename refuses to overwrite default', async () => {
    const { rt, kubeconfig, store } = skrOf(sim, 'stage', 'existing-default');
    const def = store.get(ISTIO, 'kyma-system', 'default')!;
    const newer = (name: string, namespace: string) => ({ apiVersion: def.apiVersion, kind: 'Istio', metadata: { name, namespace }, spec: { config: { numTrustedProxies: 5 } } });
    await new Promise((r) => setTimeout(r, 1100)); // creationTimestamps have whole seconds: strictly newer than default
    store.create(ISTIO, newer('extra-istio', 'kyma-system'));
    store.create(ISTIO, newer('team-istio', 'default'));
    const res = await migrateRuntime({ runtimeId: rt.runtimeId, kcpKubeconfig: readFileSync(kubeconfigOf(sim.out, 'stage', 'kcp'), 'utf8'), ...FAST });
    expect({ outcome: res.outcome, patched: res.patched }).toEqual({ outcome: 'migrated', patched: true });
    expect(res.detail).toContain('Istio CR extra-istio in kyma-system is newer than default: the operator reconciles default');
    expect(res.detail).toContain('Istio CR default/team-istio is outside kyma-system: the operator never reconciles it');

    const specBefore = store.get(ISTIO, 'kyma-system', 'default')!.spec;
    const rename = await renameToDefault({ skrKubeconfig: kubeconfig, customerAgreed: true, ...FAST });
    expect(rename.outcome).toBe('refused');
    expect(rename.message).toContain('Istio CR default is the oldest and the one the operator reconciles');
    expect(store.get(ISTIO, 'kyma-system', 'default')!.spec).toEqual(specBefore);
    expect(istios(sim, rt.runtimeId).map((c) => c.metadata.name).sort()).toEqual(['default', 'extra-istio']);
    expect(replicas(sim, rt.runtimeId)).toBe(1);
  });

  it('refuses without the customer agreement and while a CR is Processing, changing nothing', async () => {
    const { rt, kubeconfig, store } = skrOf(sim, 'prod', 'custom-cr-legacy');
    const noAgreement = await renameToDefault({ skrKubeconfig: kubeconfig, customerAgreed: false, ...FAST });
    expect(noAgreement.outcome).toBe('refused');
    expect(noAgreement.message).toContain('--customer-agreed');

    const cr = store.list(ISTIO, 'kyma-system')[0];
    store.update(ISTIO, { ...cr, status: { ...(cr.status as object), state: 'Processing' } }, { subresource: 'status' });
    const busy = await renameToDefault({ skrKubeconfig: kubeconfig, customerAgreed: true, ...FAST });
    expect(busy.outcome).toBe('refused');
    expect(busy.message).toContain('Processing');
    expect(replicas(sim, rt.runtimeId)).toBe(1);
    expect(istios(sim, rt.runtimeId)).toHaveLength(1);
  });

  it('shows the plan in a dry run and changes nothing', async () => {
    const { rt, kubeconfig } = skrOf(sim, 'stage', 'custom-cr-legacy');
    const before = JSON.stringify(istios(sim, rt.runtimeId));
    const res = await renameToDefault({ skrKubeconfig: kubeconfig, customerAgreed: true, dryRun: true, ...FAST });
    expect(res.outcome).toBe('dry-run');
    expect(res.steps.every((s) => s.status === 'planned' || s.step === 'inventory')).toBe(true);
    expect(JSON.stringify(istios(sim, rt.runtimeId))).toBe(before);
    expect(replicas(sim, rt.runtimeId)).toBe(1);
  });

  it('ends failed with nothing changed, as a result rather than a throw, when the SKR cannot be read', async () => {
    const { kubeconfig } = skrOf(sim, 'prod', 'skr-down');
    const res = await renameToDefault({ skrKubeconfig: kubeconfig, customerAgreed: true, ...FAST, retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 } });
    expect(res.outcome).toBe('failed');
    expect(renameExitCode(res.outcome)).toBe(1);
    expect(res.message).toMatch(/^Rename failed: cannot read the Istio CRs in kyma-system \(.+\)\. Nothing was changed\.$/);
    expect(res.steps.map((s) => `${s.step}:${s.status}`)).toEqual(['inventory:failed']);
    expect(res.replicasRestored).toBe(true);
  });

  it('still reports the rename when the SKR stops answering for a while as it waits for Ready', async () => {
    const { rt, kubeconfig } = skrOf(sim, 'stage', 'custom-cr-legacy'); // left as it was by the dry run above
    const runtime = sim.sim.runtimesById.get(rt.runtimeId)! as { scenario: Scenario };
    const scenario = runtime.scenario;
    let outage: NodeJS.Timeout | undefined;
    const res = await renameToDefault({
      skrKubeconfig: kubeconfig,
      customerAgreed: true,
      ...FAST,
      retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
      onStep: (step) => {
        if (step !== 'wait-ready') return;
        runtime.scenario = 'skr-down'; // every request is reset, longer than the client's own retries last
        outage = setTimeout(() => (runtime.scenario = scenario), 600);
      },
    }).finally(() => {
      clearTimeout(outage);
      runtime.scenario = scenario;
    });
    expect(res.outcome).toBe('renamed');
    expect(res.steps.map((s) => `${s.step}:${s.status}`)).toEqual(ALL_STEPS_DONE);
    expect(istios(sim, rt.runtimeId).map((c) => c.metadata.name)).toEqual(['default']);
  });
});
