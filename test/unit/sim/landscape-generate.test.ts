import { describe, expect, it } from '@jest/globals';
import { generateLandscape, type Landscape } from '../../../src/sim/landscape/generate.js';
import { providerOf } from '../../../src/sim/landscape/plans.js';
import { parseProfile, ProfileError, SCENARIOS_MIN_RUNTIMES, splitRuntimes } from '../../../src/sim/landscape/profile.js';
import { ENVS, SCENARIOS, type Env, type RuntimeSpec } from '../../../src/sim/types.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function ofEnv(l: Landscape, env: Env): RuntimeSpec[] {
  return l.runtimes.filter((r) => r.env === env);
}

function countBy<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return m;
}

describe('src/sim/landscape/generate', () => {
  describe('parseProfile', () => {
    it.each([
      ['scenarios', { kind: 'scenarios' }],
      ['fresh', { kind: 'weighted', weights: [['fresh', 1]] }],
      [' custom-cr ', { kind: 'weighted', weights: [['custom-cr', 1]] }],
      // Weights are kept in SCENARIOS order: the same weights in another order give the same landscape.
      ['with-keda=20,fresh=70,custom-cr=10', { kind: 'weighted', weights: [['fresh', 70], ['with-keda', 20], ['custom-cr', 10]] }],
      ['fresh=0.5, slow=0', { kind: 'weighted', weights: [['fresh', 0.5]] }],
    ])('parses %j', (input, expected) => {
      expect(parseProfile(input)).toEqual(expected);
    });

    it('parses mixed with existing-default the most common and every scenario present', () => {
      const spec = parseProfile('mixed');
      if (spec.kind !== 'weighted') throw new Error('expected weighted');
      const weights = new Map(spec.weights);
      expect([...weights.keys()].sort()).toEqual([...SCENARIOS].sort());
      expect(Math.max(...weights.values())).toBe(weights.get('existing-default'));
    });

    it.each([
      ['fresh=abc', /bad weight "abc" for "fresh"/],
      ['nope', /unknown profile or scenario "nope"/],
      ['fresh=-1', /bad weight "-1" for "fresh"/],
      ['', /empty profile/],
      ['   ', /empty profile/],
      ['fresh=1,nope=2', /unknown scenario "nope"/],
      ['fresh=1,fresh=2', /"fresh" given twice/],
      ['fresh=0', /all weights are 0/],
      ['fresh=1,', /bad profile entry ""/],
      ['fresh=1=2', /bad profile entry "fresh=1=2"/],
    ])('rejects %j with a message naming the problem and an example', (input, message) => {
      let err: unknown;
      try {
        parseProfile(input);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ProfileError);
      expect((err as ProfileError).code).toBe('bad-profile');
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain('fresh=70,with-keda=20,custom-cr=10');
    });
  });

  describe('generateLandscape', () => {
    it('is deterministic: same seed, profile and N give the same landscape', () => {
      const a = generateLandscape({ seed: 7, profile: 'mixed', runtimes: 300 });
      const b = generateLandscape({ seed: 7, profile: 'mixed', runtimes: 300 });
      expect(b).toEqual(a);
    });

    it('gives other ids for another seed', () => {
      const a = generateLandscape({ seed: 7, profile: 'mixed', runtimes: 300 });
      const b = generateLandscape({ seed: 8, profile: 'mixed', runtimes: 300 });
      const ids = new Set(a.runtimes.map((r) => r.runtimeId));
      expect(b.runtimes.filter((r) => ids.has(r.runtimeId))).toHaveLength(0);
      expect(b.accounts.prod.kymaTest).not.toBe(a.accounts.prod.kymaTest);
    });

    it.each([
      [60, { dev: 6, stage: 18, prod: 36 }],
      [7, { dev: 1, stage: 2, prod: 4 }],
      [1000, { dev: 100, stage: 300, prod: 600 }],
      [1, { dev: 0, stage: 0, prod: 1 }],
      [0, { dev: 0, stage: 0, prod: 0 }],
    ])('splits %i runtimes Dev 10 %% / Stage 30 %% / Prod the rest', (n, split) => {
      expect(splitRuntimes(n)).toEqual(split);
      const l = generateLandscape({ seed: 1, profile: 'mixed', runtimes: n });
      expect(l.runtimes).toHaveLength(n);
      for (const env of ENVS) expect(ofEnv(l, env)).toHaveLength(split[env]);
      expect(l.notes).toEqual([]);
    });

    it('raises N to 180 for scenarios and says so', () => {
      expect(SCENARIOS_MIN_RUNTIMES).toBe(180);
      const l = generateLandscape({ seed: 1, profile: 'scenarios', runtimes: 60 });
      expect(l.runtimes).toHaveLength(180);
      expect(l.notes).toHaveLength(1);
      expect(l.notes[0]).toMatch(/from 60 to 180/);
      for (const env of ENVS) {
        const rts = ofEnv(l, env);
        expect(rts.length).toBeGreaterThanOrEqual(SCENARIOS.length);
        rts.forEach((rt, i) => expect(rt.scenario).toBe(SCENARIOS[i % SCENARIOS.length]));
      }
    });

    it('keeps N above the scenarios minimum without a note', () => {
      const l = generateLandscape({ seed: 1, profile: 'scenarios', runtimes: 400 });
      expect(l.runtimes).toHaveLength(400);
      expect(l.notes).toEqual([]);
      expect(ofEnv(l, 'dev')).toHaveLength(40);
    });

    it('uses the one scenario of a single-scenario profile everywhere, without a minimum', () => {
      const l = generateLandscape({ seed: 3, profile: 'fresh', runtimes: 20 });
      expect(l.runtimes).toHaveLength(20);
      expect(new Set(l.runtimes.map((r) => r.scenario))).toEqual(new Set(['fresh']));
      expect(l.notes).toEqual([]);
    });

    it('follows the weights of a weighted profile', () => {
      const l = generateLandscape({ seed: 5, profile: 'fresh=70,with-keda=20,custom-cr=10', runtimes: 3000 });
      const counts = countBy(l.runtimes, (r) => r.scenario);
      expect([...counts.keys()].sort()).toEqual(['custom-cr', 'fresh', 'with-keda']);
      expect(counts.get('fresh')! / 3000).toBeCloseTo(0.7, 1);
      expect(counts.get('custom-cr')! / 3000).toBeCloseTo(0.1, 1);
    });

    it('contains every scenario in a large mixed landscape', () => {
      const l = generateLandscape({ seed: 1, profile: 'mixed', runtimes: 10_000 });
      expect(new Set(l.runtimes.map((r) => r.scenario))).toEqual(new Set(SCENARIOS));
    });

    it('fills in realistic runtime fields', () => {
      const l = generateLandscape({ seed: 11, profile: 'scenarios', runtimes: 600 });
      for (const env of ENVS) {
        const shoots = ofEnv(l, env).map((r) => r.shootName);
        expect(new Set(shoots).size).toBe(shoots.length);
      }
      expect(new Set(l.runtimes.map((r) => r.runtimeId)).size).toBe(l.runtimes.length);
      for (const rt of l.runtimes) {
        for (const id of [rt.runtimeId, rt.instanceId, rt.globalAccountId, rt.subaccountId]) expect(id).toMatch(UUID_V4);
        expect(rt.shootName).toMatch(/^c-[0-9a-f]{7}$/);
        // Ordinary scenarios may be mid-change or after a failed change in KEB (error/updating/upgrading): still targets.
        if (['fresh', 'with-keda', 'existing-default'].includes(rt.scenario)) expect(['succeeded', 'error', 'updating', 'upgrading']).toContain(rt.state);
        else expect(rt.state).toBe(rt.scenario === 'suspended' ? 'suspended' : rt.scenario === 'deprovisioning' ? 'deprovisioning' : 'succeeded');
        expect(rt.operatorVersion).toBe(rt.scenario === 'custom-cr-legacy' ? '1.2.0' : '1.4.1');
        expect(rt.ageSeconds).toBeGreaterThanOrEqual(86_400);
        expect(rt.ageSeconds).toBeLessThanOrEqual(365 * 86_400);
        const provider = providerOf(rt);
        if (rt.plan === 'aws' || rt.plan === 'preview' || rt.plan === 'build-runtime-aws') expect(provider).toBe('aws');
        if (rt.plan === 'azure' || rt.plan === 'azure_lite') expect(provider).toBe('azure');
        if (rt.plan === 'gcp') expect(provider).toBe('gcp');
        if (rt.plan === 'sap-converged-cloud') expect(provider).toBe('openstack');
        if (rt.plan === 'trial' || rt.plan === 'free') expect(['aws', 'azure']).toContain(provider);
      }
      const channels = countBy(l.runtimes, (r) => r.channel);
      expect(channels.get('regular')!).toBeGreaterThan(channels.get('fast')!);
      expect(channels.get('fast')!).toBeGreaterThan(0);
    });

    it('rejects a bad runtime count', () => {
      expect(() => generateLandscape({ seed: 1, profile: 'mixed', runtimes: -1 })).toThrow(RangeError);
      expect(() => generateLandscape({ seed: 1, profile: 'mixed', runtimes: 1.5 })).toThrow(RangeError);
      expect(() => generateLandscape({ seed: 1, profile: 'nope', runtimes: 10 })).toThrow(ProfileError);
    });

    // Its speed is measured by bench:sim (no timed assertions in tests).
    it('generates 10,000 runtimes', () => {
      expect(generateLandscape({ seed: 42, profile: 'mixed', runtimes: 10_000 }).runtimes).toHaveLength(10_000);
    });
  });

  describe('accounts', () => {
    it('puts at least 2 runtimes in Kyma-Test and Kyma-Integration of every environment with scenarios', () => {
      const l = generateLandscape({ seed: 1, profile: 'scenarios', runtimes: 180 });
      for (const env of ENVS) {
        const acc = l.accounts[env];
        expect(acc.kymaTest).toMatch(UUID_V4);
        expect(acc.kymaIntegration).not.toBe(acc.kymaTest);
        const byGa = countBy(ofEnv(l, env), (r) => r.globalAccountId);
        expect(byGa.get(acc.kymaTest)).toBeGreaterThanOrEqual(2);
        expect(byGa.get(acc.kymaIntegration)).toBeGreaterThanOrEqual(2);
      }
    });

    it('gives Kyma-Test and Kyma-Integration 5–10 % each, Prod ≈ 30 % trial, and many customer accounts', () => {
      const l = generateLandscape({ seed: 9, profile: 'mixed', runtimes: 5000 });
      for (const env of ['stage', 'prod'] as const) {
        const rts = ofEnv(l, env);
        const acc = l.accounts[env];
        const byGa = countBy(rts, (r) => r.globalAccountId);
        for (const ga of [acc.kymaTest, acc.kymaIntegration]) {
          expect(byGa.get(ga)! / rts.length).toBeGreaterThanOrEqual(0.05);
          expect(byGa.get(ga)! / rts.length).toBeLessThanOrEqual(0.1);
          // The internal accounts run paid plans only.
          expect(rts.filter((r) => r.globalAccountId === ga && (r.plan === 'trial' || r.plan === 'free'))).toHaveLength(0);
        }
        const customers = rts.filter((r) => r.globalAccountId !== acc.kymaTest && r.globalAccountId !== acc.kymaIntegration);
        expect(new Set(customers.map((r) => r.globalAccountId))).toEqual(new Set(acc.customers));
        expect(acc.customers.length).toBeGreaterThan(rts.length / 5);
        // Several runtimes share a customer account; now and then two share a subaccount.
        expect([...byGa.values()].filter((n) => n >= 3).length).toBeGreaterThan(10);
        const bySub = countBy(rts, (r) => r.subaccountId);
        expect([...bySub.values()].filter((n) => n === 2).length).toBeGreaterThan(0);
        expect(bySub.size).toBeGreaterThan(rts.length * 0.8);
      }
      const prod = ofEnv(l, 'prod');
      const trial = prod.filter((r) => r.plan === 'trial');
      expect(trial.length / prod.length).toBeGreaterThan(0.25);
      expect(trial.length / prod.length).toBeLessThan(0.35);
      // Every trial user has a global account of their own.
      expect(new Set(trial.map((r) => r.globalAccountId)).size).toBe(trial.length);
    });
  });
});
