import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { migrateRuntime, type MigrateOptions } from '../../../src/migration/migrate-runtime.js';
import { migrationResultSchema, type MigrationResult } from '../../../src/migration/result.js';
import { findResource } from '../../../src/sim/k8s/resources.js';
import { gardenNamespace } from '../../../src/sim/landscape/seed.js';
import { KCP_GENERATIONS, type Env, type K8sObject, type Scenario } from '../../../src/sim/types.js';
import { expectedOf } from '../../helpers/outcomes.js';
import { kubeconfigOf, runtimeOf, runtimesOf, startTestSim, type TestSim } from '../../helpers/sim.js';

const KYMA = findResource('operator.kyma-project.io', 'v1beta2', 'kymas')!;
const ISTIO = findResource('operator.kyma-project.io', 'v1alpha2', 'istios')!;
const MANIFEST = findResource('operator.kyma-project.io', 'v1beta2', 'manifests')!;
const SECRET = findResource('', 'v1', 'secrets')!;

/** Fast retries for tests; the simulator's time scale makes LM take well under a second. */
const FAST = { retry: { attempts: 6, baseDelayMs: 20, maxDelayMs: 300 }, pollIntervalMs: 100 };

function options(sim: TestSim, env: Env, scenario: Scenario, extra: Partial<MigrateOptions> = {}): MigrateOptions {
  const rt = runtimeOf(sim.out, env, scenario);
  return {
    runtimeId: rt.runtimeId,
    kcpKubeconfig: readFileSync(kubeconfigOf(sim.out, env, 'kcp'), 'utf8'),
    gardener: { kubeconfig: readFileSync(kubeconfigOf(sim.out, env, 'gardener'), 'utf8'), namespace: gardenNamespace(env), shootName: rt.shootName },
    deadlineMs: 4000,
    ...FAST,
    ...extra,
  };
}

function skrKyma(sim: TestSim, runtimeId: string): K8sObject | undefined {
  return sim.sim.cluster(runtimeId)!.store.get(KYMA, 'kyma-system', 'default');
}

function kymaWrites(sim: TestSim, runtimeId: string): number {
  return sim.sim.getStats().kymaWrites[runtimeId] ?? 0;
}

// Both generations of Lifecycle Manager (C1 `--kcp`): the 2023 one the rollout ran on, and today's.
describe.each(KCP_GENERATIONS)('src/migration/migrate-runtime (KCP %s)', (kcp) => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01, kcp });
  });
  afterAll(async () => {
    await sim.close();
  });

  // C2 (test/helpers/outcomes.ts): every scenario of one environment, through the wave path (KCP secret, Gardener
  // fallback), with the message each ends with (migrate.sh's where it has one).
  const MULTIPLE = 'More than one Istio CR present on the cluster. Script rename-to-default.sh might be required.';
  const messages: [Scenario, string | RegExp][] = [
    ['fresh', 'Migration successful'],
    ['with-keda', 'Migration successful'],
    ['existing-default', 'Migration successful'],
    ['custom-cr-legacy', MULTIPLE],
    ['custom-cr', MULTIPLE],
    ['already-migrated', 'Istio module already present on Kyma CR, skipping migration'],
    ['no-template', 'Istio module template is not available on cluster'],
    ['no-kyma', 'No Kyma CR found in kyma-system'],
    // C2: LM reads only kyma-system/default; the other Kyma is listed in the notes.
    ['two-kymas', 'Migration successful'],
    ['slow', 'Migration failed'],
    ['istio-error', 'Migration failed'],
    ['manifest-error', 'Migration failed'],
    ['skip-reconciliation', /^Kyma CR kcp-system\/[0-9a-f-]+ on KCP is labelled operator\.kyma-project\.io\/skip-reconciliation=true, skipping migration$/],
    ['skr-no-secret', 'Migration failed'],
    ['skr-down', 'Migration failed'],
    ['flaky', 'Migration successful'],
  ];
  const table: [Scenario, string, string | null, string | RegExp][] = messages.map(([sc, message]) => [sc, expectedOf(sc).outcome!, expectedOf(sc).reason, message]);
  it.each(table)('%s → %s %s', async (scenario, outcome, reason, message) => {
    const res = await migrateRuntime(options(sim, 'dev', scenario));
    expect(migrationResultSchema.parse(JSON.parse(JSON.stringify(res)))).toEqual(res);
    expect({ outcome: res.outcome, reason: res.reason, message: res.message }).toEqual({ outcome, reason, message: typeof message === 'string' ? message : expect.stringMatching(message) });
    const rt = runtimeOf(sim.out, 'dev', scenario);
    // Only runs that reached the patch write the Kyma, and exactly once (C2: which scenarios do).
    expect({ patched: res.patched, writes: kymaWrites(sim, rt.runtimeId) }).toEqual({ patched: expectedOf(scenario).patched, writes: expectedOf(scenario).patched ? 1 : 0 });
    if (outcome === 'migrated') {
      expect(res.manifest?.state).toBe('Ready');
      // KCP secret, templates, Kymas, KCP Kyma (skip-reconciliation), Istio CRs, patch, two watches; today's catalog adds the
      // synced ModuleReleaseMeta.
      expect(res.requests.total).toBeLessThanOrEqual(kcp === 'current' ? 9 : 8);
      const modules = (skrKyma(sim, rt.runtimeId)!.spec as { modules: { name: string }[] }).modules.map((m) => m.name);
      expect(modules.filter((m) => m === 'istio')).toHaveLength(1);
    }
  });

  it('keeps keda when it adds istio', async () => {
    const rt = runtimeOf(sim.out, 'stage', 'with-keda');
    const res = await migrateRuntime(options(sim, 'stage', 'with-keda'));
    expect(res.outcome).toBe('migrated');
    expect((skrKyma(sim, rt.runtimeId)!.spec as { modules: unknown[] }).modules).toEqual([{ name: 'keda' }, { name: 'istio' }]);
  });

  it('does not lose a concurrent edit of spec.modules between the read and the patch', async () => {
    const rt = runtimeOf(sim.out, 'stage', 'fresh');
    const store = sim.sim.cluster(rt.runtimeId)!.store;
    const res = await migrateRuntime(
      options(sim, 'stage', 'fresh', {
        onCheckpoint: (c) => {
          if (c !== 'before-patch') return;
          // A user adds keda right after the migration read the Kyma.
          const k = store.get(KYMA, 'kyma-system', 'default')!;
          store.update(KYMA, { ...k, spec: { ...(k.spec as object), modules: [{ name: 'keda' }] } });
        },
      }),
    );
    expect(res.outcome).toBe('migrated');
    expect((skrKyma(sim, rt.runtimeId)!.spec as { modules: unknown[] }).modules).toEqual([{ name: 'keda' }, { name: 'istio' }]);
  });

  it('holds a runtime with a customer CR by default, and proceeds as the script did when told to', async () => {
    const held = await migrateRuntime(options(sim, 'stage', 'custom-cr'));
    expect(held).toMatchObject({ outcome: 'multiple-istio-crs', patched: false, class: 'customer' });
    expect(held.detail).toContain('held before the patch');
    expect(kymaWrites(sim, runtimeOf(sim.out, 'stage', 'custom-cr').runtimeId)).toBe(0);

    for (const scenario of ['custom-cr', 'custom-cr-legacy'] as const) {
      const res = await migrateRuntime(options(sim, 'prod', scenario, { onConflict: 'proceed' }));
      expect(res).toMatchObject({ outcome: 'multiple-istio-crs', patched: true });
      // ≥ 1.4 marks LM's default Warning/OlderCRExists; ≤ 1.3 Error.
      const def = res.inventoryAfter.find((c) => c.name === 'default');
      expect(def?.state).toBe(scenario === 'custom-cr' ? 'Warning' : 'Error');
    }
  });

  it('changes nothing in a dry run', async () => {
    for (const scenario of ['fresh', 'existing-default', 'with-keda'] as const) {
      const rt = runtimeOf(sim.out, 'prod', scenario);
      const before = JSON.stringify(skrKyma(sim, rt.runtimeId)!.spec);
      const res = await migrateRuntime(options(sim, 'prod', scenario, { dryRun: true }));
      expect(res).toMatchObject({ outcome: 'skipped', reason: 'dry-run', patched: false, dryRun: true });
      expect(res.message).toContain('would add');
      expect(kymaWrites(sim, rt.runtimeId)).toBe(0);
      expect(JSON.stringify(skrKyma(sim, rt.runtimeId)!.spec)).toBe(before);
    }
  });

  it('uses the SKR Kyma status as evidence without KCP access', async () => {
    const rt = runtimeOf(sim.out, 'prod', 'existing-default');
    const res = await migrateRuntime({ runtimeId: rt.runtimeId, skrKubeconfig: readFileSync(rt.kubeconfig!, 'utf8'), deadlineMs: 4000, ...FAST });
    expect(res).toMatchObject({ outcome: 'migrated', access: 'kubeconfig', manifest: null });
    expect(res.transitions.some((t) => t.object === 'kyma/default' && t.state === 'Ready')).toBe(true);
  });

  it('falls back to the Gardener admin kubeconfig when the KCP secret is missing', async () => {
    const rt = runtimeOf(sim.out, 'prod', 'fresh');
    const kcp = sim.sim.cluster('prod-kcp')!.store;
    kcp.delete(SECRET, 'kcp-system', `kubeconfig-${rt.runtimeId}`);
    const res = await migrateRuntime(options(sim, 'prod', 'fresh'));
    expect(res).toMatchObject({ outcome: 'migrated', access: 'gardener' });
  });

  it('counts a Kyma already listing istio as patched when resuming after a possible patch (C5)', async () => {
    const rt = runtimeOf(sim.out, 'prod', 'with-keda');
    const store = sim.sim.cluster(rt.runtimeId)!.store;
    const k = store.get(KYMA, 'kyma-system', 'default')!;
    store.update(KYMA, { ...k, spec: { ...(k.spec as object), modules: [{ name: 'keda' }, { name: 'istio' }] } });
    const res = await migrateRuntime(options(sim, 'prod', 'with-keda', { resumeAfterPatch: true }));
    expect(res).toMatchObject({ outcome: 'migrated', patched: true });
  });

  it('verifies a runtime that lists istio before the run read-only: already-migrated only when Ready, else what is wrong (DOMAIN §9.3 step 4)', async () => {
    for (const scenario of ['istio-error', 'manifest-error'] as const) {
      const first = await migrateRuntime(options(sim, 'stage', scenario));
      expect({ outcome: first.outcome, reason: first.reason, patched: first.patched }).toEqual({ outcome: 'error', reason: expectedOf(scenario).reason, patched: true });
      const again = await migrateRuntime(options(sim, 'stage', scenario));
      expect({ outcome: again.outcome, reason: again.reason, patched: again.patched, class: again.class }).toEqual({ outcome: 'error', reason: first.reason, patched: false, class: 'platform' });
      expect(again.detail).toMatch(/^istio was in spec\.modules before this run \(not patched by it\); /);
      expect(kymaWrites(sim, runtimeOf(sim.out, 'stage', scenario).runtimeId)).toBe(1);
      // A dry run tells the same without waiting.
      expect(await migrateRuntime(options(sim, 'stage', scenario, { dryRun: true }))).toMatchObject({ outcome: 'error', reason: first.reason, patched: false });
    }
    const healthy = await migrateRuntime(options(sim, 'stage', 'existing-default'));
    expect(healthy.outcome).toBe('migrated');
    const again = await migrateRuntime(options(sim, 'stage', 'existing-default'));
    expect({ outcome: again.outcome, patched: again.patched, message: again.message, detail: again.detail }).toEqual({
      outcome: 'already-migrated',
      patched: false,
      message: 'Istio module already present on Kyma CR, skipping migration',
      detail: `Manifest ${runtimeOf(sim.out, 'stage', 'existing-default').runtimeId}-istio-4034478325: Ready`,
    });
  });

  it('stops waiting when aborted', async () => {
    const controller = new AbortController();
    const p = migrateRuntime(options(sim, 'prod', 'slow', { signal: controller.signal, deadlineMs: 60_000 }));
    setTimeout(() => controller.abort(new Error('wave aborted')), 300);
    await expect(p).rejects.toThrow('wave aborted');
  });
});

describe('src/migration/migrate-runtime without LM', () => {
  let sim: TestSim;
  beforeAll(async () => {
    // LM never reacts: an Istio CR that was Ready before the patch must not be taken as success.
    sim = await startTestSim({ profile: 'existing-default', runtimes: 10, timeScale: 0.01, timings: { lmNoticeMs: 1e9 } });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('times out on existing-default instead of reporting migrated', async () => {
    const res = await migrateRuntime(options(sim, 'prod', 'existing-default', { deadlineMs: 1500 }));
    expect(res.outcome).toBe('timeout');
    expect(res.detail).toContain('default=Ready');
  });
});

describe('src/migration/migrate-runtime on flaky SKRs', () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'flaky', runtimes: 30, seed: 7, timeScale: 0.01 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('never reports a false migrated and never patches twice', async () => {
    const results: [string, MigrationResult][] = [];
    const runtimes = runtimesOf(sim.out).filter((r) => r.kubeconfig);
    await Promise.all(
      runtimes.map(async (rt) => {
        const res = await migrateRuntime({
          runtimeId: rt.runtimeId,
          kcpKubeconfig: readFileSync(kubeconfigOf(sim.out, rt.env, 'kcp'), 'utf8'),
          deadlineMs: 8000,
          ...FAST,
        });
        results.push([rt.runtimeId, res]);
      }),
    );
    expect(results).toHaveLength(runtimes.length);
    for (const [runtimeId, res] of results) {
      expect(['migrated', 'error', 'timeout']).toContain(res.outcome);
      expect(kymaWrites(sim, runtimeId)).toBeLessThanOrEqual(1);
      const skr = sim.sim.cluster(runtimeId)!.store;
      const modules = ((skr.get(KYMA, 'kyma-system', 'default')!.spec as { modules?: { name: string }[] }).modules ?? []).map((m) => m.name);
      expect(modules.filter((m) => m === 'istio').length).toBeLessThanOrEqual(1);
      if (res.outcome === 'migrated') {
        // The truth on the clusters agrees: the Istio CR and the Manifest are Ready.
        expect((skr.get(ISTIO, 'kyma-system', 'default')!.status as { state: string }).state).toBe('Ready');
        const env = runtimes.find((r) => r.runtimeId === runtimeId)!.env;
        const m = sim.sim.cluster(`${env}-kcp`)!.store.get(MANIFEST, 'kcp-system', `${runtimeId}-istio-4034478325`)!;
        expect((m.status as { state: string }).state).toBe('Ready');
      }
    }
    // The seeded faults really happened: more requests than the fault-free minimum.
    const total = results.reduce((n, [, r]) => n + r.requests.total, 0);
    expect(total).toBeGreaterThan(7 * results.length);
    expect(results.filter(([, r]) => r.outcome === 'migrated').length).toBeGreaterThan(results.length / 2);
  });
});

describe('src/migration/wait without watches', () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'fresh', runtimes: 10, timeScale: 0.01 });
    // Every watch is refused: the migration must fall back to polling with backoff.
    sim.server.addInterceptor((req) =>
      req.query.get('watch') === 'true' ? { kind: 'respond', result: { kind: 'json', status: 503, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 503, reason: 'ServiceUnavailable', message: 'watch disabled' } } } : undefined,
    );
  });
  afterAll(async () => {
    await sim.close();
  });

  it('decides by polling when watching fails', async () => {
    const res = await migrateRuntime(options(sim, 'prod', 'fresh', { deadlineMs: 8000 }));
    expect(res.outcome).toBe('migrated');
    // More requests than a watched run: the refused watches and the polls.
    expect(res.requests.total).toBeGreaterThan(8);
    expect(res.transitions.some((t) => t.object.startsWith('manifest/') && t.state === 'Ready')).toBe(true);
  });
});
