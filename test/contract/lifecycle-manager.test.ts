/**
 * Facts of Lifecycle Manager (kyma-project/lifecycle-manager, HEAD c5b83f1 and the rollout's era a513e7ad) that the
 * simulator and the bot both depend on, each tested on both sides: the simulated LM behaves so, and the bot acts on
 * it. Every describe names the upstream file(s) the fact was read from. Both generations of LM run (C1 `--kcp`):
 * `2023` (channel templates, Manifest mirrors the Istio CR) and `current` (ModuleReleaseMeta, Manifest from the
 * manager Deployment).
 *
 * Expectations are written from upstream and DESIGN.md (C2), never imported from src/.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeClient, RequestCounter } from '../../src/clients/kube-client.js';
import { migrateRuntime, type MigrateOptions } from '../../src/migration/migrate-runtime.js';
import { preflight } from '../../src/rollout/preflight.js';
import { KcpSkipList, listSkipReconciliation } from '../../src/rollout/kcp-skip-list.js';
import { deploymentState } from '../../src/sim/controllers/lifecycle-manager.js';
import { findResource } from '../../src/sim/k8s/resources.js';
import { KCP_GENERATIONS, type Env, type K8sObject, type KcpGeneration, type RuntimeSpec, type Scenario } from '../../src/sim/types.js';
import { itWith, requireKubectl } from '../helpers/needs.js';
import { controllerPasses, kubeconfigOf, kubectl, simRequest, startTestSim, type TestSim } from '../helpers/sim.js';
import { until, untilAsync } from '../helpers/until.js';

const G = 'operator.kyma-project.io';
const KYMA = findResource(G, 'v1beta2', 'kymas')!;
const ISTIO = findResource(G, 'v1alpha2', 'istios')!;
const MANIFEST = findResource(G, 'v1beta2', 'manifests')!;
const TEMPLATE = findResource(G, 'v1beta2', 'moduletemplates')!;
const MRM = findResource(G, 'v1beta2', 'modulereleasemetas')!;
const SKIP = 'operator.kyma-project.io/skip-reconciliation';
const ENV: Env = 'prod';

const FAST = { retry: { attempts: 6, baseDelayMs: 20, maxDelayMs: 300 }, pollIntervalMs: 100 };
const stateOf = (o: K8sObject | undefined) => (o?.status as { state?: string } | undefined)?.state;

/** The n-th runtime of a scenario in Prod (the scenarios profile at 180 runtimes has six of each there). */
function pick(sim: TestSim, scenario: Scenario, n: number): RuntimeSpec {
  const rt = sim.sim.runtimesOf(ENV).filter((r) => r.scenario === scenario)[n];
  if (!rt) throw new Error(`no ${scenario} #${n} in ${ENV}`);
  return rt;
}

const skr = (sim: TestSim, id: string) => sim.sim.cluster(id)!.store;
const kcp = (sim: TestSim) => sim.sim.cluster(`${ENV}-kcp`)!.store;
const manifestOf = (sim: TestSim, id: string) => kcp(sim).get(MANIFEST, 'kcp-system', `${id}-istio-4034478325`);
const writes = (sim: TestSim, id: string) => sim.sim.getStats().kymaWrites[id] ?? 0;
const kcpKubeconfig = (sim: TestSim) => readFileSync(kubeconfigOf(sim.out, ENV, 'kcp'), 'utf8');

/** LM's passes over a runtime so far, over HTTP (`GET /sim/stats` `reconciles`, added after C1's fields). */
const lmPasses = (sim: TestSim, id: string) => controllerPasses(sim, id, 'lm');

/** Runs `change` and waits until LM has passed over the runtime after it (nothing else has it queued). */
async function lmPassAfter(sim: TestSim, id: string, change: () => unknown): Promise<void> {
  const seen = await lmPasses(sim, id);
  await change();
  await untilAsync(`an LM pass over ${id}`, async () => (await lmPasses(sim, id)) > seen);
}

function options(sim: TestSim, rt: RuntimeSpec, extra: Partial<MigrateOptions> = {}): MigrateOptions {
  return { runtimeId: rt.runtimeId, kcpKubeconfig: kcpKubeconfig(sim), deadlineMs: 4000, ...FAST, ...extra };
}

/** A store-level label edit, as an SRE's `kubectl label` would do it. */
function label(store: ReturnType<typeof kcp>, ns: string, name: string, value: string | undefined): void {
  const o = store.get(KYMA, ns, name)!;
  const labels = { ...(o.metadata.labels ?? {}) };
  if (value === undefined) delete labels[SKIP];
  else labels[SKIP] = value;
  store.update(KYMA, { ...o, metadata: { ...o.metadata, labels } });
}

/** What migrate.sh does: append istio to a Kyma's modules. */
async function enableIstio(sim: TestSim, id: string, kyma = 'default'): Promise<void> {
  const res = await simRequest(sim, id, `/apis/${G}/v1beta2/namespaces/kyma-system/kymas/${kyma}`, {
    method: 'PATCH',
    body: { spec: { modules: [{ name: 'istio' }] } },
    contentType: 'application/merge-patch+json',
  });
  expect(res.status).toBe(200);
}

describe.each(KCP_GENERATIONS)('Lifecycle Manager facts (KCP %s)', (gen: KcpGeneration) => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', runtimes: 180, timeScale: 0.01, kcp: gen });
  });
  afterAll(async () => {
    await sim.close();
  });

  describe('lifecycle-manager internal/controller/kyma/controller.go, api/v1beta2/kyma_types.go SkipReconciliation, api/shared/operator_labels.go IsEnabled: skip-reconciliation is read on the KCP Kyma, case-insensitively', () => {
    it('sim: the label on the SKR Kyma means nothing to LM; on the KCP Kyma ("True" too) it stops LM', async () => {
      const onSkr = pick(sim, 'fresh', 0);
      label(skr(sim, onSkr.runtimeId), 'kyma-system', 'default', 'true');
      const onKcp = pick(sim, 'fresh', 1);
      // The label's own LM pass first (on the SKR, materialised first: its LM starts with it), so that the next
      // pass counted is the one after the patch.
      skr(sim, onKcp.runtimeId);
      await lmPassAfter(sim, onKcp.runtimeId, () => label(kcp(sim), 'kcp-system', onKcp.runtimeId, 'True'));
      await enableIstio(sim, onSkr.runtimeId);
      await lmPassAfter(sim, onKcp.runtimeId, () => enableIstio(sim, onKcp.runtimeId));
      await until('LM takes the SKR-labelled runtime on', () => manifestOf(sim, onSkr.runtimeId));
      // LM has read the KCP-labelled runtime's Kyma with istio in it, and left it alone.
      expect(manifestOf(sim, onKcp.runtimeId)).toBeUndefined();
    });

    it('sim: the SKR copy of a frozen runtime does not carry the label; the KCP Kyma does', () => {
      const rt = pick(sim, 'skip-reconciliation', 0);
      expect(skr(sim, rt.runtimeId).get(KYMA, 'kyma-system', 'default')!.metadata.labels?.[SKIP]).toBeUndefined();
      expect(kcp(sim).get(KYMA, 'kcp-system', rt.runtimeId)!.metadata.labels?.[SKIP]).toBe('true');
    });

    it('bot: a runtime frozen on KCP is skipped and not patched; "True" counts as true', async () => {
      const frozen = pick(sim, 'skip-reconciliation', 1);
      const res = await migrateRuntime(options(sim, frozen));
      expect(res).toMatchObject({ outcome: 'skipped', reason: 'skip-reconciliation', patched: false, skipReconciliation: 'labelled' });
      const capital = pick(sim, 'fresh', 2);
      label(kcp(sim), 'kcp-system', capital.runtimeId, 'True');
      expect(await migrateRuntime(options(sim, capital))).toMatchObject({ outcome: 'skipped', reason: 'skip-reconciliation', patched: false });
      expect([writes(sim, frozen.runtimeId), writes(sim, capital.runtimeId)]).toEqual([0, 0]);
    });

    it('bot: finds the KCP Kyma by its kyma-project.io/runtime-id label, also under an older name (kyma-environment-broker internal/process/steps KymaName)', async () => {
      const rt = pick(sim, 'skip-reconciliation', 3);
      const store = kcp(sim);
      const k = store.get(KYMA, 'kcp-system', rt.runtimeId)!;
      store.create(KYMA, { apiVersion: k.apiVersion, kind: 'Kyma', metadata: { name: rt.shootName, namespace: 'kcp-system', labels: k.metadata.labels }, spec: k.spec });
      // Gone under its runtime-id name (LM's finalizer cleared, as after a finished deletion): only the older name is left.
      store.delete(KYMA, 'kcp-system', rt.runtimeId);
      const marked = store.get(KYMA, 'kcp-system', rt.runtimeId);
      if (marked) store.update(KYMA, { ...marked, metadata: { ...marked.metadata, finalizers: [] } });
      expect(store.get(KYMA, 'kcp-system', rt.runtimeId)).toBeUndefined();
      expect(await migrateRuntime(options(sim, rt))).toMatchObject({ outcome: 'skipped', reason: 'skip-reconciliation', patched: false });
      const client = new KubeClient(kcpKubeconfig(sim), { system: 'kcp', counter: new RequestCounter() });
      expect((await listSkipReconciliation(client)).has(rt.runtimeId)).toBe(true);
      expect(writes(sim, rt.runtimeId)).toBe(0);
    });

    it('bot: the label on the SKR Kyma alone does not stop the migration (LM ignores it)', async () => {
      const rt = pick(sim, 'fresh', 3);
      label(skr(sim, rt.runtimeId), 'kyma-system', 'default', 'true');
      expect(await migrateRuntime(options(sim, rt))).toMatchObject({ outcome: 'migrated', skipReconciliation: 'not-labelled' });
    });

    it('bot: without KCP access the check is reported as not done and the runtime proceeds as the script did', async () => {
      const rt = pick(sim, 'skip-reconciliation', 2);
      const skrKubeconfig = readFileSync(`${sim.out}/kubeconfigs/${ENV}/${rt.runtimeId}.yaml`, 'utf8');
      const res = await migrateRuntime({ runtimeId: rt.runtimeId, skrKubeconfig, deadlineMs: 1500, ...FAST });
      // LM never acts on a frozen runtime: the patch lands and the wait runs out, as migrate.sh's would.
      expect(res).toMatchObject({ outcome: 'timeout', patched: true, skipReconciliation: 'not-checked' });
      expect(res.notes?.join('\n')).toMatch(/skip-reconciliation not checked.*KCP/);
    });

    it('bot: a wave learns every frozen runtime from one KCP list, and of a freeze set or lifted during the wave from its watch', async () => {
      const shouting = pick(sim, 'with-keda', 1);
      label(kcp(sim), 'kcp-system', shouting.runtimeId, 'TRUE');
      const client = new KubeClient(kcpKubeconfig(sim), { system: 'kcp', counter: new RequestCounter() });
      const ids = await listSkipReconciliation(client);
      const frozen = sim.sim.runtimesOf(ENV).filter((r) => r.scenario === 'skip-reconciliation' && r.state !== 'suspended');
      for (const r of frozen) expect(ids.has(r.runtimeId)).toBe(true);
      expect(ids.has(shouting.runtimeId)).toBe(true);
      // Labelled on the SKR only (above), never on KCP.
      expect(ids.has(pick(sim, 'fresh', 3).runtimeId)).toBe(false);
      // The wave's stream: one list and one watch for every runtime, and a freeze set (or lifted) during the wave is
      // seen without another list.
      const counter = new RequestCounter();
      const stream = KcpSkipList.of(new KubeClient(kcpKubeconfig(sim), { system: 'kcp', counter }), 50);
      try {
        const all = sim.sim.runtimesOf(ENV);
        const answers = await Promise.all(all.map((r) => stream.labelled(r.runtimeId)));
        expect(answers).toEqual(all.map((r) => ids.has(r.runtimeId)));
        const later = pick(sim, 'fresh', 4);
        expect(await stream.labelled(later.runtimeId)).toBe(false);
        label(kcp(sim), 'kcp-system', later.runtimeId, 'true');
        await untilAsync('the freeze seen', async () => (await stream.labelled(later.runtimeId)) === true);
        label(kcp(sim), 'kcp-system', shouting.runtimeId, undefined);
        await untilAsync('the thaw seen', async () => (await stream.labelled(shouting.runtimeId)) === false);
        expect(counter.total).toBe(2);
        label(kcp(sim), 'kcp-system', later.runtimeId, undefined);
      } finally {
        await stream.stop();
      }
      expect(await KcpSkipList.of(undefined).labelled(frozen[0].runtimeId)).toBeUndefined();
    });
  });

  describe('lifecycle-manager api/shared/operator_labels.go DefaultRemoteKymaName, api/shared/namespace.go DefaultRemoteNamespace, internal/remote/skr_context.go getRemoteKyma: LM reads only kyma-system/default', () => {
    it('sim: istio added to another Kyma is ignored; added to default it is installed', async () => {
      const rt = pick(sim, 'two-kymas', 0);
      await enableIstio(sim, rt.runtimeId, 'kyma-copy');
      // A change of another Kyma does not even wake LM; make it look at the runtime (freeze and thaw it on KCP)
      // and wait for the pass after the thaw: it has read the SKR Kymas and created nothing.
      await lmPassAfter(sim, rt.runtimeId, () => label(kcp(sim), 'kcp-system', rt.runtimeId, 'true'));
      await lmPassAfter(sim, rt.runtimeId, () => label(kcp(sim), 'kcp-system', rt.runtimeId, undefined));
      expect(manifestOf(sim, rt.runtimeId)).toBeUndefined();
      await enableIstio(sim, rt.runtimeId);
      await until('LM takes default on', () => manifestOf(sim, rt.runtimeId));
    });

    it('bot: two Kymas → migrated through default; the other is listed and untouched (C2)', async () => {
      const rt = pick(sim, 'two-kymas', 1);
      const copy = structuredClone(skr(sim, rt.runtimeId).get(KYMA, 'kyma-system', 'kyma-copy')!.spec);
      const res = await migrateRuntime(options(sim, rt));
      expect(res).toMatchObject({ outcome: 'migrated', kymaName: 'default' });
      expect(res.notes?.join('\n')).toContain('kyma-copy');
      expect(skr(sim, rt.runtimeId).get(KYMA, 'kyma-system', 'kyma-copy')!.spec).toEqual(copy);
    });

    it('bot: a lone Kyma of another name → kyma-cr-missing, listed, not patched', async () => {
      const rt = pick(sim, 'fresh', 4);
      const store = skr(sim, rt.runtimeId);
      const k = store.get(KYMA, 'kyma-system', 'default')!;
      store.create(KYMA, { apiVersion: k.apiVersion, kind: 'Kyma', metadata: { name: 'my-kyma', namespace: 'kyma-system' }, spec: k.spec });
      store.delete(KYMA, 'kyma-system', 'default');
      const res = await migrateRuntime(options(sim, rt));
      expect(res).toMatchObject({ outcome: 'kyma-cr-missing', patched: false });
      expect(res.notes?.join('\n')).toContain('my-kyma');
      expect(writes(sim, rt.runtimeId)).toBe(0);
    });
  });

  describe('lifecycle-manager api/v1beta2/modulereleasemeta_types.go, pkg/templatelookup/modulereleasemeta.go, pkg/templatelookup/moduletemplateinfolookup/{lookup,common}.go, api/v1beta2/moduletemplate_types.go: channel → version → template `<module>-<version>` today; a template per channel in 2023', () => {
    it('sim: the KCP catalog of the generation', async () => {
      const mrm = await simRequest(sim, `${ENV}-kcp`, `/apis/${G}/v1beta2/namespaces/kcp-system/modulereleasemetas`);
      const names = kcp(sim)
        .list(TEMPLATE, 'kcp-system')
        .filter((t) => t.metadata.name!.startsWith('istio-'))
        .map((t) => [t.metadata.name, (t.spec as { channel?: string }).channel ?? null]);
      if (gen === '2023') {
        expect(mrm.status).toBe(404);
        expect(names.sort()).toEqual([
          ['istio-fast', 'fast'],
          ['istio-regular', 'regular'],
        ]);
        return;
      }
      expect(mrm.status).toBe(200);
      const istio = (mrm.json.items as K8sObject[]).find((m) => m.metadata.name === 'istio')!;
      const channels = (istio.spec as { moduleName: string; channels: { channel: string; version: string }[] }).channels;
      expect((istio.spec as { moduleName: string }).moduleName).toBe('istio');
      expect(channels.map((c) => c.channel).sort()).toEqual(['fast', 'regular']);
      // One template per assigned version, named <module>-<version>, without a channel of its own.
      expect(names.map(([n]) => n).sort()).toEqual([...new Set(channels.map((c) => `istio-${c.version}`))].sort());
      expect(names.every(([, ch]) => ch === null)).toBe(true);
      for (const c of channels) expect((kcp(sim).get(TEMPLATE, 'kcp-system', `istio-${c.version}`)!.spec as { version: string; moduleName: string })).toMatchObject({ version: c.version, moduleName: 'istio' });
      // LM syncs the release meta to the SKR with the templates.
      expect(skr(sim, pick(sim, 'fresh', 5).runtimeId).get(MRM, 'kyma-system', 'istio')).toBeDefined();
    });

    itWith(requireKubectl(), 'sim: kubectl finds ModuleReleaseMetas (short name mrm) only where today\'s LM runs', async () => {
      const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'kubectl-cache-'));
      try {
        const r = await kubectl(['get', 'mrm', '-n', 'kcp-system', '-o', 'name'], { kubeconfig: kubeconfigOf(sim.out, ENV, 'kcp'), cacheDir });
        if (gen === 'current') expect({ code: r.code, out: r.stdout.split('\n').filter(Boolean).sort() }).toEqual({ code: 0, out: [`modulereleasemeta.${G}/istio`, `modulereleasemeta.${G}/keda`] });
        else expect({ code: r.code, err: r.stderr }).toEqual({ code: 1, err: expect.stringContaining('the server doesn\'t have a resource type "mrm"') });
      } finally {
        rmSync(cacheDir, { recursive: true, force: true });
      }
    });

    it('sim: LM installs the version of the Kyma\'s channel', async () => {
      const rt = pick(sim, 'with-keda', 0);
      await enableIstio(sim, rt.runtimeId);
      const m = await until('Manifest', () => manifestOf(sim, rt.runtimeId));
      const want = gen === '2023' ? '1.1.2' : ((kcp(sim).get(MRM, 'kcp-system', 'istio')!.spec as { channels: { channel: string; version: string }[] }).channels.find((c) => c.channel === rt.channel)!.version);
      expect((m.spec as { version: string }).version).toBe(want);
    });

    it('bot: preflight resolves fast and regular on either generation', async () => {
      const client = new KubeClient(kcpKubeconfig(sim), { system: 'kcp', counter: new RequestCounter() });
      const p = await preflight(client, { confirmed: true, by: 'test' });
      expect(p.problems).toEqual([]);
      expect(p.ok).toBe(true);
      const byChannel = Object.fromEntries(p.templates.map((t) => [t.channel, t.name]));
      if (gen === '2023') expect(byChannel).toEqual({ fast: 'istio-fast', regular: 'istio-regular' });
      else {
        const channels = (kcp(sim).get(MRM, 'kcp-system', 'istio')!.spec as { channels: { channel: string; version: string }[] }).channels;
        expect(byChannel).toEqual(Object.fromEntries(channels.map((c) => [c.channel, `istio-${c.version}`])));
        expect(p.catalog).toBe('release-meta');
      }
    });

    it('bot: the SKR check refuses a Kyma channel LM cannot resolve (and the script\'s check still holds)', async () => {
      const rt = pick(sim, 'fresh', 5);
      const store = skr(sim, rt.runtimeId);
      const k = store.get(KYMA, 'kyma-system', 'default')!;
      store.update(KYMA, { ...k, spec: { ...(k.spec as object), channel: 'experimental' } });
      const res = await migrateRuntime(options(sim, rt));
      expect(res).toMatchObject({ outcome: 'module-template-missing', patched: false, message: 'Istio module template is not available on cluster' });
      expect(res.detail).toContain('experimental');
    });
  });

  describe('lifecycle-manager internal/manifest/statecheck/deployment_state_check.go (today) vs internal/manifest/ready_check.go@a513e7ad (2023): what the Manifest state means', () => {
    let slow: TestSim;
    beforeAll(async () => {
      // A long first installation: the Istio CR stays Processing well after the manager Deployment is ready.
      slow = await startTestSim({ profile: 'fresh', runtimes: 10, timeScale: 0.01, kcp: gen, timings: { operatorInstallMs: 300_000 } });
    });
    afterAll(async () => {
      await slow.close();
    });

    it('sim: today the Manifest is Ready while the Istio CR is still Processing; in 2023 never', async () => {
      const rt = slow.sim.runtimesOf(ENV)[0];
      const seen: string[] = [];
      const off = slow.sim.cluster(`${ENV}-kcp`)!.store.subscribe((e) => {
        if (e.resource.kind !== 'Manifest' || !e.object.metadata.name!.startsWith(rt.runtimeId)) return;
        seen.push(`${stateOf(e.object)}/${stateOf(skr(slow, rt.runtimeId).get(ISTIO, 'kyma-system', 'default')) ?? 'absent'}`);
      });
      await enableIstio(slow, rt.runtimeId);
      await until('Istio CR Ready', () => stateOf(skr(slow, rt.runtimeId).get(ISTIO, 'kyma-system', 'default')) === 'Ready', 30_000);
      await until('Manifest Ready', () => stateOf(manifestOf(slow, rt.runtimeId)) === 'Ready');
      off();
      const readyEarly = seen.some((s) => s.startsWith('Ready/') && s !== 'Ready/Ready');
      expect({ seen, readyEarly }).toEqual({ seen, readyEarly: gen === 'current' });
    });

    it('bot: success still needs the default Istio CR Ready', async () => {
      const rt = slow.sim.runtimesOf(ENV)[1];
      const res = await migrateRuntime(options(slow, rt, { deadlineMs: 20_000 }));
      expect(res.outcome).toBe('migrated');
      expect(stateOf(skr(slow, rt.runtimeId).get(ISTIO, 'kyma-system', 'default'))).toBe('Ready');
      const at = (object: string, state: string) => res.transitions.findIndex((t) => t.object === object && t.state === state);
      const istioReady = at('istio/kyma-system/default', 'Ready');
      expect(istioReady).toBeGreaterThanOrEqual(0);
      if (gen === 'current') expect(at(`manifest/${rt.runtimeId}-istio-4034478325`, 'Ready')).toBeLessThan(istioReady);
    });

    it('sim: a manager Deployment\'s state as today\'s LM reads it', () => {
      const d = (conditions: { type: string; status: string; reason?: string }[] | undefined): K8sObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, status: conditions ? { conditions } : {} });
      const progressing = (reason: string, status = 'True') => ({ type: 'Progressing', status, reason });
      const available = (status: string) => ({ type: 'Available', status, reason: 'MinimumReplicasAvailable' });
      expect(deploymentState(d([available('True'), progressing('NewReplicaSetAvailable')]))).toBe('Ready');
      expect(deploymentState(d([available('True'), progressing('ReplicaSetUpdated')]))).toBe('Processing');
      expect(deploymentState(d([available('False'), progressing('NewReplicaSetAvailable')]))).toBe('Processing');
      expect(deploymentState(d([available('False'), progressing('ProgressDeadlineExceeded', 'False')]))).toBe('Error');
      expect(deploymentState(d([available('True')]))).toBe('Error');
    });
  });
});
