/**
 * Issue 16 §1/§3 through the plan command: the plan shows the requested and the expected concurrency (the budget
 * guard at the start), carries α, and α is part of the plan hash (C5 hash inputs).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import type { CommandContext } from '../../../commands/types.js';
import { Services } from '../../../src/app/services.js';
import { startTestSim, type TestSim, writeSimConfig } from '../../helpers/sim.js';

interface PlanJson {
  hash: string;
  concurrency: number;
  alpha: number;
  budget: number;
  expectedConcurrency: { atStart: number; fullAfter: number | null; rounds: number };
}

describe('commands/plan: requested and expected concurrency, α in the hash', () => {
  let sim: TestSim;
  const ctxs: CommandContext[] = [];
  const ctxWith = async (alpha?: number) => {
    const file = writeSimConfig(sim, 'plan-alpha', (cfg) => {
      for (const env of ['dev', 'stage', 'prod']) cfg.environments[env].budgets = { wave: 1, ...(alpha === undefined ? {} : { alpha }) };
    });
    const ctx: CommandContext = { user: 'sre-1', via: 'shell', interactive: false, services: await Services.create({ configFile: file }) };
    ctxs.push(ctx);
    return ctx;
  };
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'fresh', runtimes: 100, timeScale: 0.01 });
  });
  afterAll(async () => {
    for (const c of ctxs) await c.services.close();
    await sim.close();
  });

  it('shows "concurrency 8 requested, expected 1 at start" with a budget of 1 and no history; JSON has α and the ramp', async () => {
    const ctx = await ctxWith();
    const res = await dispatch(ctx, 'plan', ['stage', 'all', '--concurrency', '8']);
    expect(res.exitCode).toBe(0);
    const p = res.json as PlanJson;
    expect(p).toMatchObject({ concurrency: 8, alpha: 0.01, budget: 1 });
    expect(p.expectedConcurrency.atStart).toBe(1);
    expect(res.text).toContain('concurrency 8 requested, expected 1 at start');
    expect(res.text).toContain('budget guard: budget 1, α 1 %, no history');
    const prod = (await dispatch(ctx, 'plan', ['prod', 'all', '--concurrency', '4'])).json as PlanJson;
    expect(prod.alpha).toBe(0.001);
  });

  it('a different α gives a different plan hash for the same runtimes', async () => {
    const a = (await dispatch(await ctxWith(), 'plan', ['stage', 'all'])).json as PlanJson;
    const b = (await dispatch(await ctxWith(0), 'plan', ['stage', 'all'])).json as PlanJson;
    expect(b.alpha).toBe(0);
    expect(b.hash).not.toBe(a.hash);
    const again = (await dispatch(await ctxWith(), 'plan', ['stage', 'all'])).json as PlanJson;
    expect(again.hash).toBe(a.hash);
  });
});
