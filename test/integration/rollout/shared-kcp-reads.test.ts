import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Services } from '../../../src/app/services.js';
import type { MigrationResult } from '../../../src/migration/result.js';
import { planWave } from '../../../src/rollout/plan-wave.js';
import { runWave } from '../../../src/rollout/wave-runner.js';
import { runtimesOf, startTestSim, writeSimConfig, type TestSim } from '../../helpers/sim.js';

/**
 * The wave's KCP reads shared by all its runtimes (kubeconfig secrets in batches, one watch of the istio Manifests)
 * decide every scenario as a runtime's own reads do: the same outcomes as the wave test, over the simulator.
 */
describe('a wave reads KCP once for all its runtimes', () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
  });
  afterAll(async () => {
    await sim.close();
  });

  async function wave(env: 'dev' | 'stage', sharedManifestWatchFrom: number): Promise<{ results: MigrationResult[]; kcpRequests: number }> {
    const services = await Services.create({ configFile: writeSimConfig(sim, 'shared-kcp', (cfg) => (cfg.environments[env].budgets = { wave: 100 })), journalUse: 'create' });
    try {
      const doc = await planWave(services, { env, specs: ['all'], concurrency: 8 });
      const journal = await services.journal();
      const w = await journal.createWave({ env, target: doc.target, planHash: `shared-${sharedManifestWatchFrom}`, state: 'running', concurrency: 8, requestedBy: 'test', approvedBy: null }, doc.runtimes);
      const before = sim.sim.getStats().byCluster[`${env}-kcp`] ?? 0;
      const ended = await runWave({ journal, access: await services.access(env), budget: 100, holder: services.holder, throttle: services.throttle(env), sharedManifestWatchFrom }, w.waveId);
      expect(ended.state).toBe('finished');
      const results = (await journal.listWaveRuntimes(w.waveId)).map((r) => r.result!);
      return { results, kcpRequests: (sim.sim.getStats().byCluster[`${env}-kcp`] ?? 0) - before };
    } finally {
      await services.close();
    }
  }

  /** By scenario: the two waves run the same scenarios in two environments (a migrated runtime stays migrated). */
  const outcomes = (rs: MigrationResult[]) => {
    const scenario = new Map(runtimesOf(sim.out).map((r) => [r.runtimeId, r.scenario]));
    return Object.fromEntries(rs.map((r) => [scenario.get(r.runtimeId!), `${r.outcome}/${r.reason ?? ''}/${r.manifest?.state ?? '-'}`]));
  };

  it('gives every runtime the outcome and Manifest state of per-runtime reads, with fewer KCP requests', async () => {
    const own = await wave('stage', Number.MAX_SAFE_INTEGER);
    const shared = await wave('dev', 0);
    expect(shared.results.length).toBeGreaterThan(10);
    expect(outcomes(shared.results)).toEqual(outcomes(own.results));
    // A migrated runtime read neither its secret nor its Manifest itself.
    const migrated = shared.results.filter((r) => r.outcome === 'migrated');
    expect(migrated.length).toBeGreaterThan(0);
    for (const r of migrated) {
      expect(r.access).toBe('kcp-secret');
      expect(r.requests.kcp).toBe(0);
      expect(r.manifest?.state).toBe('Ready');
    }
    expect(shared.kcpRequests).toBeLessThan(own.kcpRequests);
  });
});
