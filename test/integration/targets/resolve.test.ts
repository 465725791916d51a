/**
 * Target resolution against a simulated landscape (profile `scenarios`: one runtime of every scenario per
 * environment, `suspended` and `deprovisioning` among them): the real KEB client and the real client-node over
 * HTTP, joined and filtered by src/targets.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { type EnvironmentConfig, type LandscapeConfig } from '../../../src/config/environments.js';
import { configSchema } from '../../../src/config/config.js';
import { KebClient } from '../../../src/clients/keb-client.js';
import { KubeClient, RequestCounter } from '../../../src/clients/kube-client.js';
import { resolveTargets, type Resolution } from '../../../src/targets/resolve.js';
import { parseTargets } from '../../../src/targets/selector.js';
import type { RuntimeFileEntry } from '../../../src/sim/landscape/files.js';
import { runtimesOf, simRequest, startTestSim, type TestSim } from '../../helpers/sim.js';

type Env = 'dev' | 'stage' | 'prod';
const ENVS: Env[] = ['dev', 'stage', 'prod'];

let sim: TestSim;
let config: LandscapeConfig;
let all: RuntimeFileEntry[];

function envConfig(env: Env): EnvironmentConfig {
  const c = config.environments[env];
  if (!c) throw new Error(`no ${env} in config.yaml`);
  return c;
}

async function resolve(env: Env, specs: string[], o: { excludes?: string[]; sample?: number; seed?: number; pageSize?: number; limit?: number } = {}): Promise<Resolution> {
  const c = envConfig(env);
  const spec = parseTargets({ specs, excludes: o.excludes ?? [], namedSets: c.targets });
  const keb = new KebClient({ url: c.keb.url, token: readFileSync(c.keb.tokenFile, 'utf8').trim(), pageSize: o.pageSize });
  const client = new KubeClient(readFileSync(c.gardener.kubeconfig, 'utf8'), { system: 'gardener', counter: new RequestCounter() });
  return resolveTargets({ env, spec, keb, gardener: { client, namespace: c.gardener.namespace, limit: o.limit }, sample: o.sample, seed: o.seed });
}

const ids = (rs: Array<{ runtimeId: string }>) => rs.map((r) => r.runtimeId).sort();
/** KEB states taskrun's resolver targets (DESIGN.md §5). */
const TARGET_STATES = ['succeeded', 'error', 'updating', 'upgrading'];
const isTarget = (r: { state: string }) => TARGET_STATES.includes(r.state);

async function stats(): Promise<{ byCluster: Record<string, number> }> {
  return (await simRequest(sim, '', '/sim/stats', { token: null })).json;
}

beforeAll(async () => {
  sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
  config = configSchema.parse(YAML.parse(readFileSync(path.join(sim.out, 'config.yaml'), 'utf8')));
  all = runtimesOf(sim.out);
});

afterAll(async () => {
  await sim?.close();
});

describe('src/targets/resolve.ts', () => {
  it.each(ENVS)('resolves "all" in %s to every target-state runtime of runtimes.json (succeeded, error, updating, upgrading), and lists the rest as skipped', async (env) => {
    const res = await resolve(env, ['all']);
    const mine = all.filter((r) => r.env === env);
    expect(ids(res.runtimes)).toEqual(ids(mine.filter(isTarget)));
    expect(res.runtimes.map((r) => r.runtimeId)).toEqual(ids(res.runtimes)); // sorted
    expect(res.eligible).toBe(res.runtimes.length);
    // Every runtime of the env is either a target or skipped: nothing dropped silently.
    expect([...ids(res.runtimes), ...ids(res.skipped)].sort()).toEqual(ids(mine));
    const r0 = res.runtimes[0];
    const entry = mine.find((m) => m.runtimeId === r0.runtimeId)!;
    expect(r0).toEqual({
      runtimeId: entry.runtimeId,
      instanceId: entry.instanceId,
      shootName: entry.shootName,
      globalAccountId: entry.globalAccountId,
      subaccountId: entry.subaccountId,
      plan: entry.plan,
      planId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      region: entry.region,
      kebState: entry.state,
      maintenance: { begin: expect.stringMatching(/^\d{6}\+0000$/), end: expect.stringMatching(/^\d{6}\+0000$/) },
    });
    const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    expect(sum(res.counts.byRegion)).toBe(res.runtimes.length);
    expect(sum(res.counts.byPlan)).toBe(res.runtimes.length);
    expect(sum(res.counts.byGlobalAccount)).toBe(res.runtimes.length);
  });

  it('lists suspended and deprovisioning runtimes as skipped with their KEB state', async () => {
    const res = await resolve('prod', ['all']);
    for (const scenario of ['suspended', 'deprovisioning'] as const) {
      const rt = all.find((r) => r.env === 'prod' && r.scenario === scenario)!;
      expect(res.skipped).toContainEqual({ runtimeId: rt.runtimeId, shootName: rt.shootName, reason: scenario, detail: `KEB state ${scenario}` });
      expect(ids(res.runtimes)).not.toContain(rt.runtimeId);
    }
  });

  it('resolves account=<Kyma-Test global account> from config.yaml, and the kyma-test set to the same runtimes', async () => {
    const [accountSpec] = envConfig('stage').targets['kyma-test'];
    const uuid = accountSpec.replace(/^account=/, '');
    const expected = all.filter((r) => r.env === 'stage' && r.globalAccountId === uuid && isTarget(r));
    expect(expected.length).toBeGreaterThan(0);

    const byAccount = await resolve('stage', [`account=${uuid}`]);
    const bySet = await resolve('stage', ['kyma-test']);
    expect(ids(byAccount.runtimes)).toEqual(ids(expected));
    expect(bySet.runtimes).toEqual(byAccount.runtimes);
    expect(bySet.target).toBe(`account=${uuid}`);
    expect(Object.keys(bySet.counts.byGlobalAccount)).toEqual([uuid]);
    // Anchored: a prefix of the uuid selects nothing.
    expect((await resolve('stage', [`account=${uuid.slice(0, 8)}`])).runtimes).toEqual([]);
  });

  it('applies excludes first and lists excluded runtimes with reason "excluded"', async () => {
    const kymaTest = envConfig('prod').targets['kyma-test'][0].replace(/^account=/, '');
    const res = await resolve('prod', ['all'], { excludes: ['kyma-test', 'plan=trial'] });
    const mine = all.filter((r) => r.env === 'prod');
    const excluded = mine.filter((r) => r.globalAccountId === kymaTest || r.plan === 'trial');
    expect(excluded.length).toBeGreaterThan(0);
    expect(ids(res.runtimes)).toEqual(ids(mine.filter((r) => isTarget(r) && !excluded.includes(r))));
    expect(ids(res.skipped.filter((s) => s.reason === 'excluded'))).toEqual(ids(excluded));
    expect(res.counts.byPlan.trial).toBeUndefined();
  });

  it('unions specs and ANDs conditions', async () => {
    const mine = all.filter((r) => r.env === 'prod' && isTarget(r));
    const region = mine[0].region;
    const plan = mine[0].plan;
    const and = await resolve('prod', [`region=${region},plan=${plan}`]);
    expect(ids(and.runtimes)).toEqual(ids(mine.filter((r) => r.region === region && r.plan === plan)));
    const union = await resolve('prod', [`region=${region}`, `plan=${plan}`]);
    expect(ids(union.runtimes)).toEqual(ids(mine.filter((r) => r.region === region || r.plan === plan)));
  });

  it('samples 5 runtimes spread over at least 2 regions and 2 plans, the same for the same seed', async () => {
    const a = await resolve('prod', ['all'], { sample: 5, seed: 7 });
    const b = await resolve('prod', ['all'], { sample: 5, seed: 7 });
    expect(a.runtimes).toHaveLength(5);
    expect(a.eligible).toBeGreaterThan(5);
    expect(b.runtimes).toEqual(a.runtimes);
    expect(new Set(a.runtimes.map((r) => r.region)).size).toBeGreaterThanOrEqual(2);
    expect(new Set(a.runtimes.map((r) => r.plan)).size).toBeGreaterThanOrEqual(2);
    expect(Object.values(a.counts.byRegion).reduce((x, y) => x + y, 0)).toBe(5);
  });

  it('reads KEB in pages of page_size and Gardener in pages of limit', async () => {
    const mine = all.filter((r) => r.env === 'dev');
    await simRequest(sim, '', '/sim/stats/reset', { method: 'POST', token: null });
    const res = await resolve('dev', ['all'], { pageSize: 7, limit: 5 });
    const s = await stats();
    expect([...ids(res.runtimes), ...ids(res.skipped)].sort()).toEqual(ids(mine));
    expect(s.byCluster['keb-dev']).toBe(Math.ceil(mine.length / 7));
    expect(s.byCluster['keb-dev']).toBeGreaterThan(1);
    expect(s.byCluster['dev-gardener']).toBeGreaterThanOrEqual(Math.ceil(mine.length / 5));
  });
});
