/**
 * KEB's runtimes API, Gardener's shoots and adminkubeconfig, and the KCP access secrets (issue 4 §4), over
 * the simulator's plain-HTTP URLs with each endpoint's bearer token.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import type { K8sObject, RuntimeSpec } from '../../../src/sim/types.js';
import { startTestSim, type TestSim } from '../../helpers/sim.js';

let running: TestSim;

async function get(target: string, urlPath: string, token = running.sim.tokenFor(target)) {
  const base = target.startsWith('keb-') ? `/keb/${target.slice(4)}` : `/clusters/${target}`;
  const res = await fetch(`http://127.0.0.1:${running.port}${base}${urlPath}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

async function allPages(env: string, query: string, pageSize: number) {
  const data: RuntimeDto[] = [];
  for (let page = 1; ; page++) {
    const res = await get(`keb-${env}`, `/runtimes?page=${page}&page_size=${pageSize}${query}`);
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(res.body.data.length);
    data.push(...res.body.data);
    if (res.body.count === 0 || data.length >= res.body.totalCount) return { data, totalCount: res.body.totalCount as number };
  }
}

/** The RuntimeDTO fields the tests read. */
interface RuntimeDto {
  runtimeID: string;
  status: { state: string; suspension?: { data?: { state: string }[] } };
}

/** The Shoot fields the tests read. */
interface Shoot {
  metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: { region: string; maintenance: { timeWindow: { begin: string } } };
}

const runtimes = (env: string) => running.sim.landscape.runtimes.filter((r) => r.env === env);

beforeAll(async () => {
  running = await startTestSim({ seed: 21, profile: 'scenarios', runtimes: 400, timeScale: 0.01 });
});

afterAll(async () => {
  await running?.close();
});

describe('src/sim/apis/keb.ts', () => {
  it('pages through every runtime but the suspended ones (deprovisioning included) by default', async () => {
    const expected = runtimes('prod').filter((r) => r.state !== 'suspended');
    const { data, totalCount } = await allPages('prod', '', 7);
    expect(totalCount).toBe(expected.length);
    expect(data.map((d) => d.runtimeID)).toEqual(expected.map((r) => r.runtimeId));
    expect(data.some((d) => d.status.state === 'deprovisioning')).toBe(true);
    const first = await get('keb-prod', '/runtimes?page_size=5');
    expect(first.body).toEqual({ data: data.slice(0, 5), count: 5, totalCount });
    const beyond = await get('keb-prod', `/runtimes?page=${totalCount + 1}&page_size=1`);
    expect(beyond.body).toEqual({ data: [], count: 0, totalCount });
  });

  it('serves the RuntimeDTO fields', async () => {
    const rt = runtimes('stage').find((r) => r.scenario === 'fresh' && r.state === 'succeeded')!;
    const { body } = await get('keb-stage', `/runtimes?runtime_id=${rt.runtimeId}`);
    expect(body.totalCount).toBe(1);
    expect(body.data[0]).toMatchObject({
      instanceID: rt.instanceId,
      runtimeID: rt.runtimeId,
      globalAccountID: rt.globalAccountId,
      subAccountID: rt.subaccountId,
      region: rt.region,
      shootName: rt.shootName,
      servicePlanName: rt.plan,
      status: { state: 'succeeded', provisioning: { state: 'succeeded' } },
    });
    expect(typeof body.data[0].servicePlanID).toBe('string');
    expect(body.data[0].status.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('filters: repeatable values are OR, different filters AND; state selects suspended ones', async () => {
    const dev = runtimes('dev');
    const [a, b] = dev.filter((r) => r.state === 'succeeded');
    const two = await allPages('dev', `&runtime_id=${a.runtimeId}&runtime_id=${b.runtimeId}`, 100);
    expect(two.data.map((d) => d.runtimeID).sort()).toEqual([a.runtimeId, b.runtimeId].sort());
    const cases: [string, (r: RuntimeSpec) => boolean][] = [
      [`&account=${a.globalAccountId}`, (r) => r.globalAccountId === a.globalAccountId],
      [`&subaccount=${a.subaccountId}`, (r) => r.subaccountId === a.subaccountId],
      [`&instance_id=${a.instanceId}`, (r) => r.instanceId === a.instanceId],
      [`&shoot=${a.shootName}`, (r) => r.shootName === a.shootName],
      [`&region=${a.region}`, (r) => r.region === a.region],
      [`&plan=${a.plan}&region=${a.region}`, (r) => r.plan === a.plan && r.region === a.region],
    ];
    for (const [q, pred] of cases) {
      const { data } = await allPages('dev', q, 3);
      expect([q, data.map((d) => d.runtimeID)]).toEqual([q, dev.filter((r) => r.state !== 'suspended' && pred(r)).map((r) => r.runtimeId)]);
    }
    const suspended = await allPages('dev', '&state=suspended', 100);
    expect(suspended.data.map((d) => d.runtimeID)).toEqual(dev.filter((r) => r.state === 'suspended').map((r) => r.runtimeId));
    expect(suspended.data.every((d) => d.status.suspension?.data?.[0]?.state === 'succeeded')).toBe(true);
    expect((await allPages('dev', '&state=all', 50)).totalCount).toBe(dev.length);
  });

  it('rejects bad paging and a wrong token', async () => {
    expect((await get('keb-dev', '/runtimes?page=0')).status).toBe(400);
    expect((await get('keb-dev', '/runtimes?page_size=x')).status).toBe(400);
    expect((await get('keb-dev', '/runtimes', 'wrong')).status).toBe(401);
    expect((await get('keb-dev', '/runtimes', running.sim.tokenFor('keb-prod'))).status).toBe(401);
  });
});

describe('src/sim/apis/gardener-admin-kubeconfig.ts', () => {
  it('serves shoots with the runtime-id annotation, account labels, region and maintenance window', async () => {
    const list = await get('stage-gardener', '/apis/core.gardener.cloud/v1beta1/namespaces/garden-kyma-stage/shoots');
    expect(list.status).toBe(200);
    const byRuntime = new Map<string, Shoot>((list.body.items as Shoot[]).map((s) => [s.metadata.annotations['kcp.provisioner.kyma-project.io/runtime-id'] ?? s.metadata.annotations['infrastructuremanager.kyma-project.io/runtime-id'], s]));
    for (const rt of runtimes('stage')) {
      const shoot = byRuntime.get(rt.runtimeId)!;
      expect(shoot.metadata.name).toBe(rt.shootName);
      expect(shoot.metadata.labels).toMatchObject({ account: rt.globalAccountId, subaccount: rt.subaccountId });
      expect(shoot.spec.region).toBe(rt.region);
      expect(shoot.spec.maintenance.timeWindow.begin).toMatch(/^\d{6}\+0000$/);
    }
  });

  it('answers adminkubeconfig with a working kubeconfig, and 403 where the SKR is unreachable', async () => {
    const post = async (rt: RuntimeSpec) => {
      const res = await fetch(`http://127.0.0.1:${running.port}/clusters/stage-gardener/apis/core.gardener.cloud/v1beta1/namespaces/garden-kyma-stage/shoots/${rt.shootName}/adminkubeconfig`, {
        method: 'POST',
        headers: { authorization: `Bearer ${running.sim.tokenFor('stage-gardener')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ apiVersion: 'authentication.gardener.cloud/v1alpha1', kind: 'AdminKubeconfigRequest', spec: { expirationSeconds: 600 } }),
      });
      return { status: res.status, body: await res.json() };
    };
    const fresh = runtimes('stage').find((r) => r.scenario === 'fresh')!;
    const ok = await post(fresh);
    expect(ok.status).toBe(201);
    const kc = YAML.parse(Buffer.from(ok.body.status.kubeconfig, 'base64').toString('utf8'));
    expect(kc.clusters[0].cluster.server).toMatch(new RegExp(`/clusters/${fresh.runtimeId}$`));
    expect(kc.users[0].user.token).toBe(running.sim.tokenFor(fresh.runtimeId));
    expect((await post(runtimes('stage').find((r) => r.scenario === 'skr-no-secret')!)).status).toBe(403);
  });

  it('KCP has kubeconfig-<runtime-id> secrets for every runtime with an SKR but skr-no-secret', async () => {
    const list = await get('prod-kcp', '/api/v1/namespaces/kcp-system/secrets');
    const names = new Set((list.body.items as K8sObject[]).map((s) => s.metadata.name));
    const noSecret = runtimes('prod').filter((r) => r.scenario === 'skr-no-secret');
    expect(noSecret.length).toBeGreaterThan(0);
    for (const rt of noSecret) expect(names.has(`kubeconfig-${rt.runtimeId}`)).toBe(false);
    for (const rt of runtimes('prod').filter((r) => ['fresh', 'custom-cr', 'flaky', 'skr-down'].includes(r.scenario))) expect(names.has(`kubeconfig-${rt.runtimeId}`)).toBe(true);
  });
});
