/**
 * The plan hash (DESIGN.md C5): sha256 over canonical JSON of env, sorted runtime ids, excludes, concurrency,
 * budgets, deadlines, α (the budget guard's risk, C4) and the preflight's template versions — so an approval covers exactly what was shown. Each of
 * those changes the hash; the order of the runtimes and what is only shown (names, regions) does not.
 */
import { describe, expect, it } from '@jest/globals';
import { planHash, type PlanDocument } from '../../../src/rollout/plan-wave.js';

type HashInput = Parameters<typeof planHash>[0];
const rt = (n: number) => ({ runtimeId: `rt-${n}`, shootName: `c-${n}`, globalAccountId: 'ga', subaccountId: `sa-${n}`, plan: 'aws', region: 'eu-central-1', instanceId: `i-${n}` });
const base = (): HashInput => ({
  env: 'stage',
  runtimes: [rt(1), rt(2), rt(3)],
  excludes: ['rt-9'],
  concurrency: 10,
  budget: 3,
  deadlineSeconds: 600,
  alpha: 0.01,
  preflight: { templates: [{ channel: 'regular', name: 'istio-regular', version: '1.4.1' }] } as unknown as PlanDocument['preflight'],
});

describe('src/rollout/plan-wave planHash (C5)', () => {
  it('is a sha256 hex digest, equal for equal plans', () => {
    expect(planHash(base())).toMatch(/^[0-9a-f]{64}$/);
    expect(planHash(base())).toBe(planHash(base()));
  });

  it('does not depend on the order of the runtimes or excludes, nor on what is only shown about a runtime', () => {
    const b = base();
    expect(planHash({ ...b, runtimes: [...b.runtimes].reverse() })).toBe(planHash(b));
    expect(planHash({ ...b, excludes: ['rt-9'] })).toBe(planHash(b));
    expect(planHash({ ...b, runtimes: b.runtimes.map((r) => ({ ...r, shootName: `renamed-${r.shootName}` })) })).toBe(planHash(b));
  });

  it.each<[string, (p: HashInput) => HashInput]>([
    ['env', (p) => ({ ...p, env: 'prod' })],
    ['a runtime more', (p) => ({ ...p, runtimes: [...p.runtimes, rt(4)] })],
    ['a runtime less', (p) => ({ ...p, runtimes: p.runtimes.slice(1) })],
    ['another runtime id', (p) => ({ ...p, runtimes: [rt(1), rt(2), rt(5)] })],
    ['excludes', (p) => ({ ...p, excludes: [] })],
    ['concurrency', (p) => ({ ...p, concurrency: 11 })],
    ['budget', (p) => ({ ...p, budget: 4 })],
    ['deadline', (p) => ({ ...p, deadlineSeconds: 601 })],
    ['alpha', (p) => ({ ...p, alpha: 0.001 })],
    ['template version', (p) => ({ ...p, preflight: { templates: [{ channel: 'regular', name: 'istio-regular', version: '1.4.2' }] } as unknown as PlanDocument['preflight'] })],
  ])('changes with %s', (_what, change) => {
    expect(planHash(change(base()))).not.toBe(planHash(base()));
  });
});
