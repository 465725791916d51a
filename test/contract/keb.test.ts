/**
 * Contract: KEB and Gardener as upstream serves them, and the bot reads them as taskrun did (issue 15 items 5–8).
 * Each fact names its upstream source (kyma-project/kyma-environment-broker, kyma-project/infrastructure-manager).
 *
 * Every fact runs against one simulator per KCP generation (C1 `--kcp 2023|current`). None of them differs by
 * generation: KEB and Gardener are the same services under both Lifecycle Managers; the generation changes only
 * what LM keeps on the KCP and SKRs (tested in lifecycle-manager.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { configSchema } from '../../src/config/config.js';
import { listShoots } from '../../src/clients/gardener.js';
import { KebClient } from '../../src/clients/keb-client.js';
import { KubeClient, RequestCounter } from '../../src/clients/kube-client.js';
import { resolveTargets } from '../../src/targets/resolve.js';
import { parseTargets } from '../../src/targets/selector.js';
import { runtimesOf, simRequest, startTestSim, type TestSim } from '../helpers/sim.js';
import type { RuntimeFileEntry } from '../../src/sim/landscape/files.js';
import { KCP_GENERATIONS, type KcpGeneration } from '../../src/sim/types.js';

describe.each(KCP_GENERATIONS)('KEB and Gardener (KCP %s)', (kcp: KcpGeneration) => {
  let sim: TestSim;
  let all: RuntimeFileEntry[];
  let dir: string;
  let config: ReturnType<typeof configSchema.parse>;

  beforeAll(async () => {
    // Enough runtimes that every KEB state and plan the simulator generates is there.
    sim = await startTestSim({ profile: 'scenarios', runtimes: 900, seed: 2, timeScale: 0.01, kcp });
    all = runtimesOf(sim.out);
    config = configSchema.parse(YAML.parse(readFileSync(path.join(sim.out, 'config.yaml'), 'utf8')));
    dir = mkdtempSync(path.join(os.tmpdir(), `contract-keb-${kcp}-`));
  });
  afterAll(async () => {
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const env = () => config.environments.prod!;
  const token = () => readFileSync(env().keb.tokenFile, 'utf8').trim();
  const keb = (path: string, t = token()) => fetch(`${env().keb.url.replace(/\/$/, '')}${path}`, { headers: { Authorization: `Bearer ${t}` } });

  async function resolve(specs: string[]) {
    const e = env();
    const spec = parseTargets({ specs, excludes: [], namedSets: e.targets });
    return resolveTargets({
      env: 'prod',
      spec,
      keb: new KebClient({ url: e.keb.url, tokenFile: e.keb.tokenFile }),
      gardener: { client: new KubeClient(readFileSync(e.gardener.kubeconfig, 'utf8'), { system: 'gardener', counter: new RequestCounter() }), namespace: e.gardener.namespace },
    });
  }

  describe('eligibility = kcp taskrun\'s runtime resolver (KEB common/orchestration/resolver.go resolveRuntimeTarget, removed in 9d3465a7a)', () => {
    it('the simulator generates runtimes in KEB states error, updating and upgrading (KEB internal/runtime/converter.go adjustRuntimeState)', () => {
      const states = new Set(all.filter((r) => r.env === 'prod').map((r) => r.state));
      for (const s of ['succeeded', 'error', 'updating', 'upgrading', 'suspended', 'deprovisioning']) expect(states).toContain(s);
    });

    it('error, updating and upgrading runtimes are targets; suspended and deprovisioning ones are skipped with their state', async () => {
      const res = await resolve(['all']);
      const targets = new Set(res.runtimes.map((r) => r.runtimeId));
      for (const r of all.filter((x) => x.env === 'prod')) {
        if (['succeeded', 'error', 'updating', 'upgrading'].includes(r.state)) expect([r.state, targets.has(r.runtimeId)]).toEqual([r.state, true]);
        else expect(res.skipped).toContainEqual(expect.objectContaining({ runtimeId: r.runtimeId, reason: r.state }));
      }
    });

    it('KEB reports the state from the last operation: a failed update is `error` with the update as its last operation', async () => {
      const rt = all.find((r) => r.env === 'prod' && r.state === 'error')!;
      const body = (await (await keb(`/runtimes?runtime_id=${rt.runtimeId}&op_detail=last`)).json()) as { data: Array<{ status: Record<string, unknown> }> };
      expect(body.data[0].status).toMatchObject({ state: 'error', update: { data: [{ state: 'failed' }] } });
    });
  });

  describe('plans (KEB internal/broker/plans.go; openstack renamed sap-converged-cloud in e0a57e82b, Dec 2023)', () => {
    it('KEB returns preview and build-runtime-aws runtimes, with their plan ids', async () => {
      const body = (await (await keb('/runtimes?plan=preview&plan=build-runtime-aws&state=all')).json()) as { data: Array<{ servicePlanName: string; servicePlanID: string }> };
      const ids = Object.fromEntries(body.data.map((d) => [d.servicePlanName, d.servicePlanID]));
      expect(ids).toEqual({ preview: '5cb3d976-b85c-42ea-a636-79cadda109a9', 'build-runtime-aws': '6aae0ff3-89f7-4f12-86de-51466145422e' });
    });

    it('plan= takes a name, a plan id, or openstack for sap-converged-cloud; an unknown plan is accepted with a warning', async () => {
      const targets = (p: string) => all.filter((r) => r.env === 'prod' && r.plan === p && ['succeeded', 'error', 'updating', 'upgrading'].includes(r.state)).map((r) => r.runtimeId).sort();
      const ids = (res: { runtimes: Array<{ runtimeId: string }> }) => res.runtimes.map((r) => r.runtimeId).sort();
      expect(targets('preview').length).toBeGreaterThan(0);
      expect(ids(await resolve(['plan=preview']))).toEqual(targets('preview'));
      expect(ids(await resolve(['plan=5cb3d976-b85c-42ea-a636-79cadda109a9']))).toEqual(targets('preview'));
      expect(targets('sap-converged-cloud').length).toBeGreaterThan(0);
      expect(ids(await resolve(['plan=openstack']))).toEqual(targets('sap-converged-cloud'));
      const unknown = await resolve(['plan=gardener-on-mars']);
      expect(unknown.runtimes).toEqual([]);
      expect(unknown.warnings).toEqual([expect.stringMatching(/^plan=gardener-on-mars is not a KEB plan name or id this tool knows \(known: aws, .*alicloud.*\)/)]);
      expect((await resolve(['plan=preview'])).warnings).toEqual([]);
    });
  });

  describe('KEB requests (KEB internal/runtime/handler.go, common/pagination/pagination.go, cmd/broker/main.go)', () => {
    it('the bot asks op_detail=last and page_size 100 (KEB otherwise sends every operation of every runtime)', async () => {
      const urls: string[] = [];
      const spy: typeof fetch = (input, init) => {
        urls.push(input instanceof Request ? input.url : input.toString());
        return fetch(input, init);
      };
      await new KebClient({ url: env().keb.url, tokenFile: env().keb.tokenFile, fetch: spy }).listRuntimes({ state: 'all' });
      expect(urls.length).toBeGreaterThan(1);
      for (const u of urls) expect(new URL(u).searchParams.get('op_detail')).toBe('last');
      expect(new URL(urls[0]).searchParams.get('page_size')).toBe('100');
    });

    it('op_detail=last carries only the last operation; without it (default all) every operation', async () => {
      const rt = all.find((r) => r.env === 'prod' && r.state === 'updating')!;
      const get = async (q: string) => ((await (await keb(`/runtimes?runtime_id=${rt.runtimeId}${q}`)).json()) as { data: Array<{ status: Record<string, unknown> }> }).data[0].status;
      const last = await get('&op_detail=last');
      expect(Object.keys(last).filter((k) => ['provisioning', 'update'].includes(k))).toEqual(['update']);
      const every = await get('');
      expect(Object.keys(every).filter((k) => ['provisioning', 'update'].includes(k)).sort()).toEqual(['provisioning', 'update']);
    });

    it('page_size above 100 is a 400 with KEB\'s message', async () => {
      const res = await keb('/runtimes?page_size=101');
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'while getting query parameters: pageSize is bigger than maxPage(100)' });
      expect((await keb('/runtimes?page_size=100')).status).toBe(200);
    });

    it('a rejected token says so and names the file to refresh; the file is read again when it changes', async () => {
      const file = path.join(dir, 'keb-prod.token');
      writeFileSync(file, 'expired-token\n');
      const client = new KebClient({ url: env().keb.url, tokenFile: file });
      const err = await client.listRuntimes().catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toContain('KEB token expired or rejected (HTTP 401)');
      expect((err as Error).message).toContain(`refresh ${file}`);
      expect((err as Error).message).not.toContain('expired-token');
      // A sidecar rotates the token: the same client reads the new one.
      writeFileSync(file, `${token()}\n`);
      expect((await client.listRuntimes()).length).toBeGreaterThan(0);
    });
  });

  describe('Gardener shoots (infrastructure-manager pkg/gardener/shoot/extender/annotations.go ShootRuntimeIDAnnotation)', () => {
    it('the simulated Gardener has shoots with either annotation kind; the bot reads the runtime id from both', async () => {
      const e = env();
      const raw = await simRequest(sim, 'prod-gardener', `/apis/core.gardener.cloud/v1beta1/namespaces/${e.gardener.namespace}/shoots`);
      const anns = (raw.json.items as Array<{ metadata: { annotations: Record<string, string> } }>).map((s) => s.metadata.annotations);
      expect(anns.some((a) => 'infrastructuremanager.kyma-project.io/runtime-id' in a && !('kcp.provisioner.kyma-project.io/runtime-id' in a))).toBe(true);
      expect(anns.some((a) => 'kcp.provisioner.kyma-project.io/runtime-id' in a)).toBe(true);
      const shoots = await listShoots(new KubeClient(readFileSync(e.gardener.kubeconfig, 'utf8'), { system: 'gardener', counter: new RequestCounter() }), e.gardener.namespace);
      const byName = new Map(all.filter((r) => r.env === 'prod').map((r) => [r.shootName, r.runtimeId]));
      expect(shoots.length).toBe(byName.size);
      for (const s of shoots) expect(s.runtimeId).toBe(byName.get(s.name));
    });
  });
});
