/**
 * The simulated Lifecycle Manager, Deployment controller and Istio operator on one SKR (issue 4 §1–§3),
 * driven as a client would drive them: the Kyma is patched over HTTP, the reactions are observed in the
 * stores. Assertions are about order and eventual state; the only timing checks are lower bounds (a timer
 * never fires early), so a slow machine cannot make them fail. "Nothing happened" is shown by LM's counted passes
 * over the runtime (`GET /sim/stats` `reconciles`), never by waiting a while. Both generations of LM run (C1
 * `--kcp`): 2023 (the Manifest mirrors the Istio CR) and current (the Manifest is the manager Deployment's state).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import { DEFAULT_TIMINGS } from '../../../src/sim/controllers/timings.js';
import { DEPLOYMENT, ISTIO, KYMA, MANIFEST, RELEASE_META, TEMPLATE } from '../../../src/sim/k8s/resources.js';
import type { StoreEvent } from '../../../src/sim/k8s/store.js';
import { KCP_GENERATIONS, type Env, type K8sObject, type KcpGeneration, type Scenario } from '../../../src/sim/types.js';
import { loadCrdValidators } from '../../helpers/crd-schemas.js';
import { itWith, requireFixtures } from '../../helpers/needs.js';
import { controllerPasses, enableIstioLikeMigrateSh, simJson, startTestSim, type TestSim } from '../../helpers/sim.js';
import { until, untilAsync } from '../../helpers/until.js';

const TIME_SCALE = 0.01;

let running: TestSim;

const request = (clusterId: string, method: string, urlPath: string, body?: unknown, contentType?: string) => simJson(running, clusterId, method, urlPath, body, contentType);
const KYMA_PATH = '/apis/operator.kyma-project.io/v1beta2/namespaces/kyma-system/kymas/default';
const enableIstio = (runtimeId: string) => enableIstioLikeMigrateSh(running, runtimeId);

function runtimeOf(scenario: Scenario, env: Env = 'dev') {
  return running.sim.landscape.runtimes.find((r) => r.scenario === scenario && r.env === env)!;
}

function skr(runtimeId: string) {
  return running.sim.cluster(runtimeId)!.store;
}

function kcp(env: Env = 'dev') {
  return running.sim.cluster(`${env}-kcp`)!.store;
}

/** LM's passes over a runtime so far, read over HTTP (`GET /sim/stats` `reconciles`). */
const lmPasses = (runtimeId: string) => controllerPasses(running, runtimeId, 'lm');

/** Waits until LM has passed over the runtime again after `seen` passes: whatever it did, it has done. */
const nextLmPass = (runtimeId: string, seen: number) => untilAsync(`an LM pass over ${runtimeId}`, async () => (await lmPasses(runtimeId)) > seen);

const manifestOf = (runtimeId: string, env: Env = 'dev') => kcp(env).get(MANIFEST, 'kcp-system', `${runtimeId}-istio-4034478325`);
const stateOf = (o: K8sObject | undefined) => (o?.status as { state?: string } | undefined)?.state;
interface ModuleStatus {
  name: string;
  state?: string;
  message?: string;
  fqdn?: string;
  manifest: { metadata: { name: string } };
}
const moduleStatus = (kyma: K8sObject | undefined) => ((kyma?.status as { modules?: ModuleStatus[] } | undefined)?.modules ?? []).find((m) => m.name === 'istio');

/** Records, with a timestamp, what LM and the operator do on one runtime. */
function recorder(runtimeId: string, env: Env = 'dev') {
  const log: { at: number; what: string }[] = [];
  const note = (e: StoreEvent) => {
    const o = e.object;
    const at = performance.now();
    if (e.resource.kind === 'Manifest' && o.metadata.name?.startsWith(runtimeId)) log.push({ at, what: `manifest:${e.type === 'ADDED' ? 'created' : (stateOf(o) ?? '-')}` });
    if (e.resource.kind === 'Deployment' && o.metadata.name === 'istio-controller-manager') {
      const ready = (o.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0;
      log.push({ at, what: e.type === 'ADDED' ? 'deployment:created' : ready > 0 ? 'deployment:ready' : 'deployment:modified' });
    }
    if (e.resource.kind === 'Istio') log.push({ at, what: `istio/${o.metadata.name}:${e.type === 'ADDED' ? 'created' : (stateOf(o) ?? '-')}` });
  };
  const offs = [skr(runtimeId).subscribe(note), kcp(env).subscribe(note)];
  return {
    log,
    first: (what: string) => log.find((l) => l.what === what),
    stop: () => offs.forEach((off) => off()),
  };
}

describe.each(KCP_GENERATIONS)('simulated Lifecycle Manager (KCP %s)', (gen: KcpGeneration) => {
  beforeAll(async () => {
    running = await startTestSim({ seed: 4, profile: 'scenarios', runtimes: 180, timeScale: TIME_SCALE, kcp: gen });
  });

  afterAll(async () => {
    await running?.close();
  });

  describe('src/sim/controllers (Lifecycle Manager, Deployment controller)', () => {
    it('scales every duration by the time scale; LM takes about a minute unscaled', () => {
      for (const [k, v] of Object.entries(DEFAULT_TIMINGS)) {
        const scaled = running.behaviour.timings[k as keyof typeof DEFAULT_TIMINGS];
        expect(scaled).toBeCloseTo(k === 'slowFactor' || k === 'clusterSpread' ? v : v * TIME_SCALE);
      }
      const t = DEFAULT_TIMINGS;
      const fresh = t.lmNoticeMs + t.lmDeployMs + t.deploymentReadyMs + t.operatorReconcileMs + t.operatorInstallMs + t.lmMirrorMs;
      expect(fresh).toBeGreaterThanOrEqual(40_000);
      expect(fresh).toBeLessThanOrEqual(120_000);
    });

    it('fresh: Manifest (FNV-1 name, Processing) → operator Deployment → ready → default CR from the template → Ready everywhere', async () => {
      const rt = runtimeOf('fresh');
      const rec = recorder(rt.runtimeId);
      const skrWatch: K8sObject[] = [];
      const off = skr(rt.runtimeId).subscribe((e) => {
        if (e.type !== 'DELETED' && (e.resource.kind === 'Istio' || e.resource.kind === 'Kyma')) skrWatch.push(e.object);
      });
      expect(skr(rt.runtimeId).get(DEPLOYMENT, 'kyma-system', 'istio-controller-manager')).toBeUndefined();
      const before = running.sim.getStats().kymaWrites[rt.runtimeId] ?? 0;
      const t0 = performance.now();
      await enableIstio(rt.runtimeId);

      await until('Manifest Ready', () => stateOf(manifestOf(rt.runtimeId)) === 'Ready');
      await until('SKR Kyma module Ready', () => moduleStatus(skr(rt.runtimeId).get(KYMA, 'kyma-system', 'default'))?.state === 'Ready');
      // Today's Manifest follows the Deployment, so it can be Ready before the Istio CR is.
      await until('default Istio CR Ready', () => stateOf(skr(rt.runtimeId).get(ISTIO, 'kyma-system', 'default')) === 'Ready');
      rec.stop();
      off();

      // 2023: the Manifest is Ready only after the Istio CR (ready_check.go); current: after the Deployment
      // (deployment_state_check.go), whatever the CR.
      const order = ['manifest:created', 'deployment:created', 'istio/default:created', 'deployment:ready', 'istio/default:Processing', 'istio/default:Ready', 'manifest:Ready'];
      const orders = gen === '2023' ? [order] : [order.slice(0, 4).concat('manifest:Ready'), order.slice(0, 6)];
      for (const o of orders) {
        const times = o.map((w) => rec.first(w)?.at);
        expect(times.every((x) => x !== undefined)).toBe(true);
        expect([...times].sort((a, b) => a! - b!)).toEqual(times);
      }
      // Manifest created Processing, with the LM message of the era.
      const firstManifest = rec.log.findIndex((l) => l.what === 'manifest:created');
      expect(rec.log[firstManifest + 1]?.what).toBe('manifest:Processing');
      expect(rec.log.filter((l) => l.what.startsWith('manifest:')).map((l) => l.what)).not.toContain('manifest:Error');

      // Lower bounds only: each step waits at least its scaled delay.
      const t = running.behaviour.timings;
      const eps = 2;
      expect(rec.first('manifest:created')!.at - t0).toBeGreaterThanOrEqual(t.lmNoticeMs - eps);
      expect(rec.first('deployment:created')!.at - rec.first('manifest:created')!.at).toBeGreaterThanOrEqual(t.lmDeployMs - eps);
      expect(rec.first('deployment:ready')!.at - rec.first('deployment:created')!.at).toBeGreaterThanOrEqual(t.deploymentReadyMs - eps);
      expect(rec.first('istio/default:Ready')!.at - rec.first('deployment:ready')!.at).toBeGreaterThanOrEqual(t.operatorReconcileMs + t.operatorInstallMs - eps);

      const m = manifestOf(rt.runtimeId)!;
      expect(m.metadata.namespace).toBe('kcp-system');
      expect(m.metadata.labels?.['operator.kyma-project.io/kyma-name']).toBe(rt.runtimeId);
      // The template LM resolves: 2023 `istio-<channel>`; current the ModuleReleaseMeta's version for the channel.
      const mrm = kcp().get(RELEASE_META, 'kcp-system', 'istio');
      const version = (mrm?.spec as { channels?: { channel: string; version: string }[] } | undefined)?.channels?.find((c) => c.channel === rt.channel)?.version;
      if (gen === '2023') expect(mrm).toBeUndefined();
      else expect(version).toMatch(/^\d+\.\d+\.\d+$/);
      const template = kcp().get(TEMPLATE, 'kcp-system', `istio-${gen === '2023' ? rt.channel : version}`)!;
      const data = (template.spec as { data: K8sObject }).data;
      expect((m.spec as { resource: unknown }).resource).toEqual(data);
      const cr = skr(rt.runtimeId).get(ISTIO, 'kyma-system', 'default')!;
      expect(cr.spec).toEqual(data.spec);
      expect(cr.metadata.finalizers).toContain('istios.operator.kyma-project.io/istio-installation');
      const d = skr(rt.runtimeId).get(DEPLOYMENT, 'kyma-system', 'istio-controller-manager')!;
      expect(d.metadata.labels?.['kyma-project.io/module']).toBe('istio');

      for (const kyma of [kcp().get(KYMA, 'kcp-system', rt.runtimeId), skr(rt.runtimeId).get(KYMA, 'kyma-system', 'default')]) {
        const mod = moduleStatus(kyma);
        expect(mod).toMatchObject({ name: 'istio', state: 'Ready', fqdn: 'kyma-project.io/module/istio' });
        expect(mod!.manifest.metadata.name).toBe(`${rt.runtimeId}-istio-4034478325`);
        expect(stateOf(kyma)).toBe('Ready');
      }
      // LM updated the SKR Kyma (metadata) and its status, yet only the client's patch counts.
      expect(skr(rt.runtimeId).get(KYMA, 'kyma-system', 'default')!.metadata.annotations?.['operator.kyma-project.io/owned-by']).toBe(`kcp-system/${rt.runtimeId}`);
      expect(running.sim.getStats().kymaWrites[rt.runtimeId]).toBe(before + 1);
    });

    it('with-keda: keda stays in the modules and in the status', async () => {
      const rt = runtimeOf('with-keda');
      await enableIstio(rt.runtimeId);
      await until('Manifest Ready', () => stateOf(manifestOf(rt.runtimeId)) === 'Ready');
      const kyma = await until('SKR Kyma module Ready', () => {
        const k = skr(rt.runtimeId).get(KYMA, 'kyma-system', 'default');
        return moduleStatus(k)?.state === 'Ready' && k;
      });
      expect((kyma.spec as { modules: { name: string }[] }).modules.map((x) => x.name)).toEqual(['keda', 'istio']);
    });

    it('existing-default: LM takes the running operator and the existing CR over, creating nothing new', async () => {
      const rt = runtimeOf('existing-default');
      const d0 = skr(rt.runtimeId).get(DEPLOYMENT, 'kyma-system', 'istio-controller-manager')!;
      const cr0 = skr(rt.runtimeId).get(ISTIO, 'kyma-system', 'default')!;
      expect(stateOf(cr0)).toBe('Ready');
      await enableIstio(rt.runtimeId);
      await until('Manifest Ready', () => stateOf(manifestOf(rt.runtimeId)) === 'Ready');
      const d1 = skr(rt.runtimeId).get(DEPLOYMENT, 'kyma-system', 'istio-controller-manager')!;
      expect(d1.metadata.uid).toBe(d0.metadata.uid);
      expect(d1.metadata.labels?.['operator.kyma-project.io/managed-by']).toBe('declarative-v2');
      const crs = skr(rt.runtimeId).list(ISTIO);
      expect(crs.map((c) => [c.metadata.name, c.metadata.uid, stateOf(c)])).toEqual([['default', cr0.metadata.uid, 'Ready']]);
    });

    it('existing-default with the operator scaled to 0: LM applies the module Deployment (replicas 1), so the operator runs again and everything goes Ready', async () => {
      const rt = runtimeOf('existing-default', 'stage');
      const d0 = skr(rt.runtimeId).get(DEPLOYMENT, 'kyma-system', 'istio-controller-manager')!;
      skr(rt.runtimeId).update(DEPLOYMENT, { ...d0, spec: { ...(d0.spec ?? {}), replicas: 0 } });
      await enableIstio(rt.runtimeId);
      await until('Manifest Ready', () => stateOf(manifestOf(rt.runtimeId, 'stage')) === 'Ready');
      const d1 = skr(rt.runtimeId).get(DEPLOYMENT, 'kyma-system', 'istio-controller-manager')!;
      expect((d1.spec as { replicas?: number }).replicas).toBe(1);
      expect(stateOf(skr(rt.runtimeId).get(ISTIO, 'kyma-system', 'default'))).toBe('Ready');
    });

    it("a module entry's own channel overrides the Kyma's; customResourcePolicy Ignore: LM installs the operator but creates no default CR", async () => {
      const rt = runtimeOf('fresh', 'stage');
      expect(rt.channel).not.toBe('fast');
      const res = await request(rt.runtimeId, 'PATCH', KYMA_PATH, { spec: { modules: [{ name: 'istio', channel: 'fast', customResourcePolicy: 'Ignore' }] } }, 'application/merge-patch+json');
      expect(res.status).toBe(200);
      await until('Manifest Ready', () => stateOf(manifestOf(rt.runtimeId, 'stage')) === 'Ready');
      // Past the moment LM would have created `default` (its delay, scaled, several times over): still none. (A slow
      // machine can only make this pass without proving much, never fail.)
      await new Promise((r) => setTimeout(r, 5 * (DEFAULT_TIMINGS.lmDeployMs + DEFAULT_TIMINGS.lmCreateCrMs) * TIME_SCALE + 200));
      expect(skr(rt.runtimeId).list(ISTIO)).toEqual([]);
      expect(skr(rt.runtimeId).get(DEPLOYMENT, 'kyma-system', 'istio-controller-manager')).toBeDefined();
      const mod = moduleStatus(kcp('stage').get(KYMA, 'kcp-system', rt.runtimeId)) as ModuleStatus & { channel?: string; template?: { metadata: { name: string } } };
      expect(mod).toMatchObject({ name: 'istio', state: 'Ready', channel: 'fast' });
      const mrm = kcp('stage').get(RELEASE_META, 'kcp-system', 'istio');
      const version = (mrm?.spec as { channels?: { channel: string; version: string }[] } | undefined)?.channels?.find((c) => c.channel === 'fast')?.version;
      expect(mod.template?.metadata.name).toBe(`istio-${gen === '2023' ? 'fast' : version}`);
      // A default CR the customer manages: removing the module does not delete it (LM managed none).
      skr(rt.runtimeId).create(ISTIO, { apiVersion: 'operator.kyma-project.io/v1alpha2', kind: 'Istio', metadata: { name: 'default', namespace: 'kyma-system' }, spec: {} });
      const removed = await request(rt.runtimeId, 'PATCH', KYMA_PATH, { spec: { modules: [] } }, 'application/merge-patch+json');
      expect(removed.status).toBe(200);
      await until('Manifest gone', () => !manifestOf(rt.runtimeId, 'stage'));
      const kept = skr(rt.runtimeId).get(ISTIO, 'kyma-system', 'default');
      expect(kept).toBeDefined();
      expect(kept!.metadata.deletionTimestamp).toBeUndefined();
    });

    it('skip-reconciliation: LM leaves the runtime alone until the label goes from the KCP Kyma', async () => {
      const rt = runtimeOf('skip-reconciliation');
      expect(kcp().get(KYMA, 'kcp-system', rt.runtimeId)!.metadata.labels?.['operator.kyma-project.io/skip-reconciliation']).toBe('true');
      // LM passes over a runtime only when one of its Kymas changes: none has here yet, so the first pass counted
      // comes after the patch, has read the Kyma with istio in it, and left the runtime alone.
      expect(await lmPasses(rt.runtimeId)).toBe(0);
      await enableIstio(rt.runtimeId);
      await nextLmPass(rt.runtimeId, 0);
      expect(manifestOf(rt.runtimeId)).toBeUndefined();
      expect(skr(rt.runtimeId).get(ISTIO, 'kyma-system', 'default')).toBeUndefined();
      const kcpKymaPath = `/apis/operator.kyma-project.io/v1beta2/namespaces/kcp-system/kymas/${rt.runtimeId}`;
      const res = await request('dev-kcp', 'PATCH', kcpKymaPath, { metadata: { labels: { 'operator.kyma-project.io/skip-reconciliation': null } } }, 'application/merge-patch+json');
      expect(res.status).toBe(200);
      await until('Manifest after the label is removed', () => manifestOf(rt.runtimeId));
    });

    it('istio-error: the only Istio CR goes Error after LM creates it; the Manifest mirrors it (2023) or the running Deployment (current)', async () => {
      const rt = runtimeOf('istio-error');
      await enableIstio(rt.runtimeId);
      const manifestState = gen === '2023' ? 'Error' : 'Ready';
      await until(`Manifest ${manifestState}`, () => stateOf(manifestOf(rt.runtimeId)) === manifestState);
      await until('default Istio CR Error', () => stateOf(skr(rt.runtimeId).get(ISTIO, 'kyma-system', 'default')) === 'Error');
      const crs = skr(rt.runtimeId).list(ISTIO);
      expect(crs.map((c) => [c.metadata.name, stateOf(c)])).toEqual([['default', 'Error']]);
      await until(`KCP Kyma module ${manifestState}`, () => moduleStatus(kcp().get(KYMA, 'kcp-system', rt.runtimeId))?.state === manifestState);
    });

    it("manifest-error: the Manifest goes Error with LM's SSA-conflict message and stays so", async () => {
      const rt = runtimeOf('manifest-error');
      await enableIstio(rt.runtimeId);
      const m = await until('Manifest Error', () => {
        const x = manifestOf(rt.runtimeId);
        return stateOf(x) === 'Error' && x;
      });
      // DOMAIN.md §7 (lifecycle-manager #653): "Apply failed with 2 conflicts: ... conflicts with "reconciler" ...".
      const message = (m.status as { lastOperation: { operation: string } }).lastOperation.operation;
      expect(message).toMatch(/Apply failed with \d+ conflicts?: conflicts with "reconciler"/);
      // The KCP Kyma's module status mirrors the Manifest's message.
      await until('Kyma module message', () => moduleStatus(kcp().get(KYMA, 'kcp-system', rt.runtimeId))?.message === message);
      // Make LM look again (a change of an Istio CR on the SKR makes it mirror the state), wait for that pass, and
      // the Manifest is still in Error.
      const [cr] = skr(rt.runtimeId).list(ISTIO);
      const seen = await lmPasses(rt.runtimeId);
      const touched = await request(rt.runtimeId, 'PATCH', `/apis/operator.kyma-project.io/v1alpha2/namespaces/${cr.metadata.namespace}/istios/${cr.metadata.name}`, { metadata: { labels: { touched: 'yes' } } }, 'application/merge-patch+json');
      expect(touched.status).toBe(200);
      await nextLmPass(rt.runtimeId, seen);
      expect(stateOf(manifestOf(rt.runtimeId))).toBe('Error');
      expect(moduleStatus(kcp().get(KYMA, 'kcp-system', rt.runtimeId))?.state).toBe('Error');
    });

    it('slow: LM reacts only after its delays times slowFactor', async () => {
      // A landscape of its own at a smaller time scale: slowFactor makes LM take many minutes unscaled.
      const slow = await startTestSim({ seed: 4, profile: 'slow', runtimes: 10, timeScale: 0.0002, kcp: gen });
      try {
        const rt = slow.sim.landscape.runtimes.find((r) => r.state === 'succeeded')!;
        const name = `${rt.runtimeId}-istio-4034478325`;
        let createdAt: number | undefined;
        slow.sim.cluster(`${rt.env}-kcp`)!.store.subscribe((e) => {
          if (e.type === 'ADDED' && e.object.metadata.name === name) createdAt ??= performance.now();
        });
        const kymaPath = `http://127.0.0.1:${slow.port}/clusters/${rt.runtimeId}${KYMA_PATH}`;
        const t0 = performance.now();
        const res = await fetch(kymaPath, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${slow.sim.tokenFor(rt.runtimeId)}`, 'content-type': 'application/merge-patch+json' },
          body: JSON.stringify({ spec: { modules: [{ name: 'istio' }] } }),
        });
        expect(res.status).toBe(200);
        await until('slow Manifest', () => createdAt);
        const t = slow.behaviour.timings;
        expect(t.slowFactor).toBeGreaterThan(1);
        expect(createdAt! - t0).toBeGreaterThanOrEqual(t.lmNoticeMs * t.slowFactor - 2);
      } finally {
        await slow.close();
      }
    });

    it('removing istio from the Kyma (CreateAndDelete) deletes the default CR and the Manifest', async () => {
      const rt = runtimeOf('with-keda', 'stage');
      await enableIstio(rt.runtimeId);
      await until('Manifest Ready', () => stateOf(manifestOf(rt.runtimeId, 'stage')) === 'Ready');
      const res = await request(rt.runtimeId, 'PATCH', KYMA_PATH, [{ op: 'test', path: '/spec/modules/1/name', value: 'istio' }, { op: 'remove', path: '/spec/modules/1' }], 'application/json-patch+json');
      expect(res.status).toBe(200);
      await until('Manifest gone', () => !manifestOf(rt.runtimeId, 'stage'));
      await until('default CR gone', () => !skr(rt.runtimeId).get(ISTIO, 'kyma-system', 'default'));
      expect(moduleStatus(kcp('stage').get(KYMA, 'kcp-system', rt.runtimeId))).toBeUndefined();
    });

    // Self-contained (Prod runtimes no other test here touches): what LM and the operator write while migrating a
    // fresh, a with-keda and an istio-error runtime, watched on KCP and on the SKRs.
    itWith(requireFixtures('crds'), 'everything LM and the operator write passes the CRDs of the era', async () => {
      const validators = loadCrdValidators()!;
      const written: K8sObject[] = [];
      const rts = (['fresh', 'with-keda', 'istio-error'] as const).map((sc) => runtimeOf(sc, 'prod'));
      const offs = [
        kcp('prod').subscribe((e) => {
          if (e.type !== 'DELETED' && (e.resource.kind === 'Manifest' || e.resource.kind === 'Kyma')) written.push(e.object);
        }),
        ...rts.map((rt) =>
          skr(rt.runtimeId).subscribe((e) => {
            if (e.type !== 'DELETED' && (e.resource.kind === 'Istio' || e.resource.kind === 'Kyma')) written.push(e.object);
          }),
        ),
      ];
      try {
        await Promise.all(rts.map((rt) => enableIstio(rt.runtimeId)));
        for (const rt of rts) await until(`Manifest of ${rt.scenario} Ready or Error`, () => ['Ready', 'Error'].includes(stateOf(manifestOf(rt.runtimeId, 'prod')) ?? ''));
      } finally {
        offs.forEach((off) => off());
      }
      expect(new Set(written.map((o) => o.kind))).toEqual(new Set(['Manifest', 'Kyma', 'Istio']));
      const problems: string[] = [];
      for (const o of written) {
        const v = validators.get(`${o.apiVersion}/${o.kind}`);
        if (!v) {
          problems.push(`no CRD for ${o.apiVersion}/${o.kind}`);
          continue;
        }
        for (const p of v(o)) problems.push(`${o.kind} ${o.metadata.namespace}/${o.metadata.name}: ${p}`);
      }
      expect([...new Set(problems)]).toEqual([]);
    });
  });
});
