/** The plan's text says how many predictions it did not list (it listed 15 and stopped without a word). */
import { describe, expect, it } from '@jest/globals';
import { renderPlan } from '../../../commands/plan.js';
import type { PlanDocument } from '../../../src/rollout/plan-wave.js';
import type { Prediction } from '../../../src/rollout/preview.js';

const rt = (i: number) => ({ runtimeId: `rt-${String(i).padStart(2, '0')}`, shootName: `s${i}`, globalAccountId: 'ga', subaccountId: 'sa', plan: 'aws', region: 'eu-1' });

function doc(n: number): PlanDocument & { preview: Prediction[] } {
  return {
    hash: 'f'.repeat(64),
    env: 'prod',
    target: 'all',
    runtimes: Array.from({ length: n }, (_, i) => rt(i)),
    skipped: [],
    preflight: { ok: true, templates: [], problems: [], reconciliation: { confirmed: true, by: 'x' }, istioManifests: 0 },
    concurrency: 4,
    expectedConcurrency: { atStart: 4, fullAfter: 0, rounds: 1 },
    eta: 60,
    budget: 5,
    alpha: 0.001,
    history: { s: 0, f: 0, waves: 0 },
    deadlineSeconds: 510,
    excludes: [],
    sample: null,
    counts: { byRegion: {}, byPlan: {}, byGlobalAccount: {} },
    preview: Array.from({ length: n }, (_, i) => ({ runtimeId: rt(i).runtimeId, outcome: 'error', reason: 'api-error', detail: null })),
  } as unknown as PlanDocument & { preview: Prediction[] };
}

describe('commands/plan renderPlan', () => {
  it('lists 15 predicted failures and counts the rest', () => {
    const text = renderPlan(doc(20));
    expect(text).toContain('rt-14: error/api-error');
    expect(text).not.toContain('rt-15:');
    expect(text).toContain('… (5 more not predicted migrated');
    expect(renderPlan(doc(15))).not.toContain('more not predicted migrated');
  });
});
