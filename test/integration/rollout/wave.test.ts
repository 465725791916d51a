import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import { dispatch } from '../../../commands/index.js';
import type { CommandContext } from '../../../commands/types.js';
import { Services } from '../../../src/app/services.js';
import type { WaveStatus } from '../../../src/rollout/wave-status.js';
import { expectedOf } from '../../helpers/outcomes.js';
import { runtimesOf, startTestSim, writeSimConfig, type TestSim } from '../../helpers/sim.js';

/** A config for the simulator's landscape with a SQLite journal in a temp dir and chosen budgets. */
function writeConfig(sim: TestSim, budget: number | string): string {
  return writeSimConfig(sim, 'wave', (cfg) => {
    for (const env of ['dev', 'stage', 'prod']) cfg.environments[env].budgets = { wave: budget };
    cfg.environments.prod.approval = { approvers: ['oncall-1'] };
  });
}

async function ctxFor(configFile: string, user = 'sre-1'): Promise<CommandContext> {
  const services = await Services.create({ configFile });
  await services.journal('create'); // as a first plan would: commands that only read refuse a missing journal
  return { user, via: 'shell', interactive: false, services };
}

describe('commands run/plan/status through src/rollout/wave-runner', () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('runs every eligible Dev runtime and ends with the C2 outcome counts', async () => {
    const ctx = await ctxFor(writeConfig(sim, 100));
    try {
      const planned = await dispatch(ctx, 'plan', ['dev', 'all']);
      expect(planned.exitCode).toBe(0);
      const doc = planned.json as { runtimes: unknown[]; skipped: { reason: string }[] };
      // suspended and deprovisioning are listed, not dropped.
      expect(doc.skipped.map((s) => s.reason).sort()).toEqual(['deprovisioning', 'suspended']);
      const res = await dispatch(ctx, 'run', ['dev', 'all', '--yes']);
      const status = res.json as WaveStatus;
      expect(status.state).toBe('finished');
      expect(res.exitCode).toBe(3); // the wave ended with failures (the failing scenarios)
      expect(status.counts).toEqual({
        migrated: 5, // fresh, with-keda, existing-default, two-kymas, flaky
        'already-migrated': 1,
        'multiple-istio-crs': 2,
        'kyma-cr-missing': 1,
        'kyma-cr-ambiguous': 0, // no longer produced: LM reads only kyma-system/default
        'module-template-missing': 1,
        timeout: 1,
        error: 4, // istio-error, manifest-error, skr-no-secret, skr-down
        skipped: 1, // skip-reconciliation
        pending: 0,
        running: 0,
      });
      const tasks = await dispatch(ctx, 'tasks', []);
      expect((tasks.json as { tasks: unknown[] }).tasks).toHaveLength(2);
      const kymaWrites = sim.sim.getStats().kymaWrites;
      expect(Object.values(kymaWrites).every((n) => n <= 1)).toBe(true);
    } finally {
      await ctx.services.close();
    }
  });

  it('stops new starts exactly at the error budget', async () => {
    const ctx = await ctxFor(writeConfig(sim, 2));
    try {
      // Only failing runtimes of Stage: every start fails, so exactly `budget` runtimes may start.
      const failing = runtimesOf(sim.out).filter((r) => r.env === 'stage' && ['no-template', 'no-kyma', 'istio-error', 'skr-down', 'manifest-error'].includes(r.scenario));
      const specs = failing.map((r) => `runtime-id=${r.runtimeId}`);
      const res = await dispatch(ctx, 'run', ['stage', ...specs, '--yes', '--force']); // --force: no runbook step
      const status = res.json as WaveStatus;
      expect(status.state).toBe('budget-stopped');
      expect(status.counts.pending).toBe(failing.length - 2);
      expect(res.exitCode).toBe(3);
    } finally {
      await ctx.services.close();
    }
  });

  it('refuses to run without --yes when nobody can be asked, and Prod without an approval', async () => {
    const ctx = await ctxFor(writeConfig(sim, 100));
    try {
      const noYes = await dispatch(ctx, 'run', ['dev', 'all']);
      expect(noYes.exitCode).toBe(1);
      expect(noYes.text).toContain('--yes');
      // A sample of Kyma-Test: the first step of the Prod runbook (the whole of it would be out of order).
      const prod = await dispatch(ctx, 'run', ['prod', 'kyma-test', '--sample', '2', '--yes']);
      expect(prod.exitCode).toBe(1);
      expect(prod.text).toContain('approval');
      const planned = (await dispatch(ctx, 'plan', ['prod', 'kyma-test', '--sample', '2'])).json as { hash: string };
      const self = await dispatch(ctx, 'approve', [planned.hash, '--as', 'sre-1']);
      expect(self.exitCode).toBe(1);
      const notOnCall = await dispatch(ctx, 'approve', [planned.hash, '--as', 'someone']);
      expect(notOnCall.exitCode).toBe(1);
      const approved = await dispatch(ctx, 'approve', [planned.hash, '--as', 'oncall-1']);
      expect(approved.exitCode).toBe(0);
      const run = await dispatch(ctx, 'run', ['--plan', planned.hash, '--yes']);
      expect((run.json as WaveStatus).approvedBy).toBe('oncall-1');
      expect((run.json as WaveStatus).state).toBe('finished');
    } finally {
      await ctx.services.close();
    }
  });

  it.each([
    [['plan'], 2, 'name an environment'],
    [['plan', 'qa', 'all'], 2, 'unknown environment'],
    [['plan', 'dev', 'acount=x'], 2, 'acount'],
    [['plan', 'dev', 'all', '--sample', 'x'], 2, '--sample'],
    [['status', 'not-a-wave'], 2, 'not a wave id'],
    [['frobnicate'], 2, 'unknown command'],
    [['plan', 'dev', 'all', '--bogus'], 2, 'bogus'],
  ])('answers bad input %j with exit %i and a hint', async (argv, code, hint) => {
    const ctx = await ctxFor(writeConfig(sim, 100));
    try {
      const res = await dispatch(ctx, argv[0], argv.slice(1));
      expect(res.exitCode).toBe(code);
      expect(res.text).toContain(hint);
    } finally {
      await ctx.services.close();
    }
  });
});

/** C2 (test/helpers/outcomes.ts): what each eligible runtime of a scenario must end as. */
const OUTCOME_OF = (scenario: string): string => expectedOf(scenario).outcome!;

describe('a wave over profile mixed', () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'mixed', runtimes: 400, seed: 21, timeScale: 0.01 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('ends with the C2 outcome counts of its runtimes’ scenarios, each runtime as its scenario says, no Kyma written twice', async () => {
    const configFile = writeConfig(sim, 1000);
    const cfg = YAML.parse(readFileSync(configFile, 'utf8')) as { environments: Record<string, Record<string, unknown>> };
    cfg.environments.stage.limits = { ...(cfg.environments.stage.limits as object | undefined), concurrency: 40 };
    writeFileSync(configFile, YAML.stringify(cfg));
    const ctx = await ctxFor(configFile);
    try {
      const eligible = runtimesOf(sim.out).filter((r) => r.env === 'stage' && ['succeeded', 'error', 'updating', 'upgrading'].includes(r.state)); // taskrun's eligibility (DESIGN.md §5)
      const res = await dispatch(ctx, 'run', ['stage', 'all', '--yes', '--force']); // --force: the Stage runbook starts with a sample
      const status = res.json as WaveStatus;
      expect(status.state).toBe('finished');
      const expected: Record<string, number> = { ...Object.fromEntries(Object.keys(status.counts).map((k) => [k, 0])) };
      for (const r of eligible) expected[OUTCOME_OF(r.scenario)]++;
      // The landscape really is mixed: most outcomes occur.
      expect(Object.values(expected).filter((n) => n > 0).length).toBeGreaterThanOrEqual(6);
      expect(status.counts).toEqual(expected);
      const rows = await (await ctx.services.journal()).listWaveRuntimes(status.waveId);
      const scenarioOf = new Map(eligible.map((r) => [r.runtimeId, r.scenario]));
      expect(rows.filter((r) => r.result?.outcome !== OUTCOME_OF(scenarioOf.get(r.runtimeId)!)).map((r) => [scenarioOf.get(r.runtimeId), r.result?.outcome])).toEqual([]);
      expect(Object.values(sim.sim.getStats().kymaWrites).every((n) => n <= 1)).toBe(true);
      // skip-reconciliation comes from one KCP list for the wave: every runtime that got that far knows it, and none
      // read its own KCP Kyma; its access secret and its Manifest come from the wave's batched list and shared watch,
      // so a migrated runtime sends KCP nothing itself.
      for (const r of rows) {
        const scenario = scenarioOf.get(r.runtimeId)!;
        if (scenario === 'skip-reconciliation') expect(r.result?.skipReconciliation).toBe('labelled');
        if (['fresh', 'with-keda', 'existing-default'].includes(scenario)) {
          expect({ scenario, skip: r.result?.skipReconciliation, kcp: r.result?.requests.kcp }).toEqual({ scenario, skip: 'not-labelled', kcp: 0 });
        }
      }
    } finally {
      await ctx.services.close();
    }
  }, 120_000);
});
