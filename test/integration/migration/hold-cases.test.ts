/**
 * Runtimes the migration must not patch, or must not wait for, beyond the C2 scenarios (DOMAIN.md §6.3, §9.3):
 * - an Istio CR in kyma-system being deleted (Istio uninstalls; LM would create `default` again and reinstall it):
 *   held, `error/istio-error`, not patched — and `plan --preview` predicts it;
 * - a Kyma that lists istio before the run while its KCP Kyma is labelled skip-reconciliation: LM will not act, so
 *   it is `skipped/skip-reconciliation` at once rather than a platform `timeout` at the deadline;
 * - the preview's words for a runtime LM takes over name `default` only when there is one.
 * Through the commands (`plan --preview`, `run`) against the simulator, the cluster read back from its stores.
 */
import { describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import type { Prediction } from '../../../src/rollout/preview.js';
import type { WaveStatus } from '../../../src/rollout/wave-status.js';
import { DEPLOYMENT, findResource, ISTIO, KYMA } from '../../../src/sim/k8s/resources.js';
import { simServices } from '../../helpers/sim-services.js';
import { outsideRunbook, runtimeOf } from '../../helpers/sim.js';

describe('src/migration/migrate-runtime: held and not waited for', () => {
  const f = simServices({ profile: 'scenarios', timeScale: 0.01 }, 'hold-cases', (cfg) => {
    outsideRunbook(cfg);
    cfg.environments.stage.budgets = { wave: 100 };
  });
  const writes = (id: string) => f.sim.sim.getStats().kymaWrites[id] ?? 0;
  const preview = async (id: string) => {
    const planned = await dispatch(f.ctx, 'plan', ['stage', `runtime-id=${id}`, '--preview']);
    expect(planned.exitCode).toBe(0);
    return (planned.json as { preview: Prediction[] }).preview[0];
  };
  const run = async (id: string) => {
    const res = await dispatch(f.ctx, 'run', ['stage', `runtime-id=${id}`, '--yes']);
    const journal = await f.ctx.services.journal();
    return (await journal.listWaveRuntimes((res.json as WaveStatus).waveId))[0].result!;
  };

  it('default being deleted: predicted and held (error/istio-error), never patched', async () => {
    const id = runtimeOf(f.sim.out, 'stage', 'existing-default').runtimeId;
    const store = f.sim.sim.cluster(id)!.store;
    const operator = store.get(DEPLOYMENT, 'kyma-system', 'istio-controller-manager')!;
    store.update(DEPLOYMENT, { ...operator, spec: { ...(operator.spec ?? {}), replicas: 0 } });
    const def = store.get(ISTIO, 'kyma-system', 'default')!;
    // `kubectl delete istio default --wait=false` with the operator stopped: its finalizer holds the CR, Deleting.
    store.update(ISTIO, { ...def, metadata: { ...def.metadata, finalizers: ['istios.operator.kyma-project.io/istio-installation'] } });
    store.delete(ISTIO, 'kyma-system', 'default');
    expect(store.get(ISTIO, 'kyma-system', 'default')!.metadata.deletionTimestamp).toBeDefined();
    const p = await preview(id);
    expect({ outcome: p.outcome, reason: p.reason }).toEqual({ outcome: 'error', reason: 'istio-error' });
    const r = await run(id);
    expect({ outcome: r.outcome, reason: r.reason, patched: r.patched }).toEqual({ outcome: 'error', reason: 'istio-error', patched: false });
    expect(r.detail).toContain('is being deleted, so Istio is being uninstalled');
    expect(writes(id)).toBe(0);
    expect(((store.get(KYMA, 'kyma-system', 'default')!.spec as { modules?: { name: string }[] }).modules ?? []).map((m) => m.name)).not.toContain('istio');
  });

  it('istio listed before the run, KCP Kyma labelled skip-reconciliation: skipped at once, not a timeout', async () => {
    const id = runtimeOf(f.sim.out, 'stage', 'skip-reconciliation').runtimeId;
    const store = f.sim.sim.cluster(id)!.store;
    const kyma = store.get(KYMA, 'kyma-system', 'default')!;
    store.update(KYMA, { ...kyma, spec: { ...(kyma.spec as object), modules: [{ name: 'istio' }] } });
    const r = await run(id);
    expect({ outcome: r.outcome, reason: r.reason, class: r.class, patched: r.patched, skip: r.skipReconciliation }).toEqual({ outcome: 'skipped', reason: 'skip-reconciliation', class: 'not-eligible', patched: false, skip: 'labelled' });
    expect(r.detail).toMatch(/^istio was in spec\.modules before this run \(not patched by it\); the KCP Kyma kcp-system\/\S+ is labelled operator\.kyma-project\.io\/skip-reconciliation=true: LM does not reconcile it now, so it was not waited for/);
    // Far from the deadline: nothing was waited for.
    expect(r.durationMs).toBeLessThan((await f.ctx.services.access('stage')).deadlineMs);
  });

  it('a held runtime\'s task counts the Istio CRs in kyma-system only, and names one elsewhere with its namespace', async () => {
    const id = runtimeOf(f.sim.out, 'stage', 'with-keda').runtimeId;
    const store = f.sim.sim.cluster(id)!.store;
    store.create(findResource('', 'v1', 'namespaces')!, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b' } });
    store.create(ISTIO, { apiVersion: 'operator.kyma-project.io/v1alpha2', kind: 'Istio', metadata: { name: 'aaa-old', namespace: 'team-b' }, spec: {} });
    await new Promise((r) => setTimeout(r, 1100)); // creation timestamps have 1 s resolution: never let them tie
    store.create(ISTIO, { apiVersion: 'operator.kyma-project.io/v1alpha2', kind: 'Istio', metadata: { name: 'customer', namespace: 'kyma-system' }, spec: {} });
    const r = await run(id);
    expect({ outcome: r.outcome, patched: r.patched }).toEqual({ outcome: 'multiple-istio-crs', patched: false });
    const task = (await (await f.ctx.services.journal()).listTasks()).find((t) => t.runtimeId === id)!;
    expect(task.istioCrs.map((c) => `${c.namespace}/${c.name}`).sort()).toEqual(['kyma-system/customer', 'team-b/aaa-old']);
    const shown = await dispatch(f.ctx, 'task', [task.taskId]);
    expect(shown.text).toContain('a customer Istio CR `customer` exists');
    expect(shown.text).toContain('(outside kyma-system, never reconciled: `team-b/aaa-old`)');
    expect(shown.text).not.toContain('only the oldest, `aaa-old`');
  });

  it("the preview names default only when there is one, and a CR outside kyma-system as not reconciled", async () => {
    const id = runtimeOf(f.sim.out, 'stage', 'fresh').runtimeId;
    const store = f.sim.sim.cluster(id)!.store;
    store.create(findResource('', 'v1', 'namespaces')!, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
    store.create(ISTIO, { apiVersion: 'operator.kyma-project.io/v1alpha2', kind: 'Istio', metadata: { name: 'leftover', namespace: 'team-a' }, spec: {} });
    const p = await preview(id);
    expect(p).toMatchObject({ outcome: 'migrated', detail: 'LM creates the default Istio CR; team-a/leftover stays as it is, not reconciled' });
  });
});

describe('src/migration/migrate-runtime: a Kyma being deleted, istio listed by another reference', () => {
  const f = simServices({ profile: 'scenarios', timeScale: 0.01 }, 'hold-kymas', (cfg) => outsideRunbook(cfg));
  const writes = (id: string) => f.sim.sim.getStats().kymaWrites[id] ?? 0;
  const run = async (id: string) => {
    const res = await dispatch(f.ctx, 'run', ['dev', `runtime-id=${id}`, '--yes']);
    const journal = await f.ctx.services.journal();
    return (await journal.listWaveRuntimes((res.json as WaveStatus).waveId))[0].result!;
  };
  const modules = (id: string) => ((f.sim.sim.cluster(id)!.store.get(KYMA, 'kyma-system', 'default')!.spec as { modules?: { name: string }[] }).modules ?? []).map((m) => m.name);

  it("the SKR's Kyma being deleted: held (kyma-cr-missing), never patched", async () => {
    const id = runtimeOf(f.sim.out, 'dev', 'fresh').runtimeId;
    const store = f.sim.sim.cluster(id)!.store;
    const kyma = store.get(KYMA, 'kyma-system', 'default')!;
    // `kubectl delete kyma default --wait=false` while a finalizer holds it.
    store.update(KYMA, { ...kyma, metadata: { ...kyma.metadata, finalizers: ['operator.kyma-project.io/Kyma'] } });
    store.delete(KYMA, 'kyma-system', 'default');
    const before = writes(id);
    const r = await run(id);
    expect({ outcome: r.outcome, patched: r.patched }).toEqual({ outcome: 'kyma-cr-missing', patched: false });
    expect(r.detail).toContain('is being deleted (deletionTimestamp');
    expect(writes(id)).toBe(before);
    expect(modules(id)).not.toContain('istio');
  });

  it('the KCP Kyma being deleted: LM marks both Kymas Deleting, and the runtime is held, never patched', async () => {
    const id = runtimeOf(f.sim.out, 'dev', 'existing-default').runtimeId;
    const kcp = f.sim.sim.cluster('dev-kcp')!.store;
    const kcpKyma = kcp.get(KYMA, 'kcp-system', id)!;
    if (!kcpKyma.metadata.finalizers?.length) kcp.update(KYMA, { ...kcpKyma, metadata: { ...kcpKyma.metadata, finalizers: ['operator.kyma-project.io/Kyma'] } });
    kcp.delete(KYMA, 'kcp-system', id);
    expect(kcp.get(KYMA, 'kcp-system', id)!.metadata.deletionTimestamp).toBeDefined();
    const skr = f.sim.sim.cluster(id)!.store;
    const state = () => (skr.get(KYMA, 'kyma-system', 'default')!.status as { state?: string } | undefined)?.state;
    for (let i = 0; i < 200 && state() !== 'Deleting'; i++) await new Promise((res) => setTimeout(res, 25));
    expect(state()).toBe('Deleting');
    const r = await run(id);
    expect({ outcome: r.outcome, patched: r.patched }).toEqual({ outcome: 'kyma-cr-missing', patched: false });
    expect(r.detail).toContain('is being deleted (state Deleting)');
    expect(modules(id)).not.toContain('istio');
  });

  it('istio listed by its FQDN: no second entry; LM takes that entry on, and the runtime is already-migrated', async () => {
    const id = runtimeOf(f.sim.out, 'dev', 'with-keda').runtimeId;
    const store = f.sim.sim.cluster(id)!.store;
    const kyma = store.get(KYMA, 'kyma-system', 'default')!;
    store.update(KYMA, { ...kyma, spec: { ...(kyma.spec as object), modules: [{ name: 'keda' }, { name: 'kyma-project.io/module/istio' }] } });
    const before = writes(id);
    const r = await run(id);
    expect({ outcome: r.outcome, patched: r.patched }).toEqual({ outcome: 'already-migrated', patched: false });
    expect(r.notes).toContain('istio is listed in spec.modules as kyma-project.io/module/istio, which LM resolves to the istio module');
    expect(writes(id)).toBe(before);
    expect(modules(id)).toEqual(['keda', 'kyma-project.io/module/istio']);
  });
});
