import { describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import { generateLandscape } from '../../../src/sim/landscape/generate.js';
import { fnv1_32, manifestName } from '../../../src/migration/resources.js';
import { gardenerObjects } from '../../../src/sim/landscape/gardener.js';
import { kcpObjects } from '../../../src/sim/landscape/kcp.js';
import { kubeconfigYaml } from '../../../src/sim/landscape/kubeconfig.js';
import { gardenNamespace, type SeedContext } from '../../../src/sim/landscape/seed.js';
import { skrObjects } from '../../../src/sim/landscape/skr.js';
import { istioModuleTemplate } from '../../../src/sim/landscape/templates.js';
import { ENVS, SCENARIOS, type K8sObject, type RuntimeSpec, type Scenario } from '../../../src/sim/types.js';

const REFERENCE = Date.UTC(2023, 10, 21, 9, 30, 0);
const ctx: SeedContext = { baseUrl: 'http://127.0.0.1:4321', tokenFor: (id) => `token-${id}`, referenceTime: REFERENCE };
const RFC3339_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

const landscape = generateLandscape({ seed: 1, profile: 'scenarios', runtimes: 180 });

function runtimeOf(scenario: Scenario, env: RuntimeSpec['env'] = 'stage'): RuntimeSpec {
  return landscape.runtimes.find((r) => r.scenario === scenario && r.env === env)!;
}

function find(objs: K8sObject[], kind: string, name?: string): K8sObject[] {
  return objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

function allObjects(): K8sObject[] {
  const out: K8sObject[] = [];
  for (const env of ENVS) out.push(...kcpObjects(env, landscape.runtimes, ctx), ...gardenerObjects(env, landscape.runtimes, ctx));
  for (const rt of landscape.runtimes) out.push(...skrObjects(rt, ctx));
  return out;
}

describe('src/sim/landscape (seeded objects)', () => {
  describe('manifestName', () => {
    it('uses FNV-1 (not 1a), so Istio gets the suffix 4034478325', () => {
      expect(fnv1_32('')).toBe(0x811c9dc5);
      expect(fnv1_32('a')).toBe(0x050c5d7e);
      const rid = 'ad3a4f63-7b93-4c27-9f4c-1a2b3c4d5e6f';
      expect(manifestName(rid, 'istio', 'kyma-project.io/module/istio')).toBe(`${rid}-istio-4034478325`);
    });

    it('truncates to 62 characters', () => {
      const long = 'k'.repeat(60);
      expect(manifestName(long, 'istio', 'kyma-project.io/module/istio')).toBe(`${long}-i`);
    });
  });

  it('builds the same objects, uids included, from the same seed', () => {
    const again = generateLandscape({ seed: 1, profile: 'scenarios', runtimes: 180 });
    const rt = again.runtimes[5];
    expect(skrObjects(rt, ctx)).toEqual(skrObjects(landscape.runtimes[5], ctx));
    expect(kcpObjects('prod', again.runtimes, ctx)).toEqual(kcpObjects('prod', landscape.runtimes, ctx));
    expect(gardenerObjects('dev', again.runtimes, ctx)).toEqual(gardenerObjects('dev', landscape.runtimes, ctx));
  });

  it('gives every object a unique uid and a second-resolution creationTimestamp before the reference time', () => {
    const objs = allObjects();
    const perCluster = new Set<string>();
    for (const o of objs) {
      expect(o.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(o.metadata.creationTimestamp).toMatch(RFC3339_SECONDS);
      expect(Date.parse(o.metadata.creationTimestamp!)).toBeLessThan(REFERENCE);
      expect(o.metadata.resourceVersion).toBeUndefined();
      perCluster.add(o.metadata.uid!);
    }
    expect(perCluster.size).toBe(objs.length);
  });

  describe('skrObjects per scenario (C2)', () => {
    type Expectation = { kymas: string[]; istios: string[]; operator: boolean; istioTemplates: boolean; modules?: string[] };
    const base: Expectation = { kymas: ['default'], istios: [], operator: false, istioTemplates: true };
    const existing: Expectation = { ...base, istios: ['default'], operator: true };
    const cases: Record<Scenario, Expectation> = {
      fresh: base,
      'with-keda': { ...base, modules: ['keda'] },
      'existing-default': existing,
      'custom-cr-legacy': { ...base, istios: ['<customer>'], operator: true },
      'custom-cr': { ...base, istios: ['<customer>'], operator: true },
      'already-migrated': { ...existing, modules: ['istio'] },
      'no-template': { ...base, istioTemplates: false },
      'no-kyma': { ...base, kymas: [] },
      'two-kymas': { ...base, kymas: ['default', 'kyma-copy'] },
      slow: existing,
      'istio-error': base,
      'manifest-error': existing,
      'skip-reconciliation': base,
      'skr-no-secret': existing,
      'skr-down': existing,
      suspended: existing,
      deprovisioning: existing,
      flaky: existing,
    };

    it.each(SCENARIOS.map((s) => [s, cases[s]] as const))('%s', (scenario, want) => {
      const rt = runtimeOf(scenario);
      const objs = skrObjects(rt, ctx);
      const namespaces = find(objs, 'Namespace').map((o) => o.metadata.name);
      expect(namespaces).toEqual(expect.arrayContaining(['kyma-system', 'default', 'kube-system']));
      for (const o of objs) if (o.kind !== 'Namespace') expect(o.metadata.namespace).toBe('kyma-system');

      expect(find(objs, 'Kyma').map((o) => o.metadata.name)).toEqual(want.kymas);
      const kyma = find(objs, 'Kyma', 'default')[0];
      if (kyma) {
        expect(kyma.metadata.labels).toMatchObject({
          'operator.kyma-project.io/kyma-name': rt.runtimeId,
          'operator.kyma-project.io/managed-by': 'lifecycle-manager',
          'operator.kyma-project.io/watched-by': 'lifecycle-manager',
        });
        expect(kyma.metadata.finalizers).toBeUndefined();
        const spec = kyma.spec as { channel: string; modules?: Array<{ name: string }> };
        expect(spec.channel).toBe(rt.channel);
        if (want.modules) expect(spec.modules).toEqual(want.modules.map((name) => ({ name })));
        else expect(spec).not.toHaveProperty('modules');
        const status = kyma.status as { state: string; modules?: Array<{ name: string; state: string; manifest?: { metadata: { name: string } } }> };
        // LM cannot reach skr-no-secret's SKR any more: only its KCP Kyma shows the error.
        expect(status.state).toBe('Ready');
        expect((status.modules ?? []).map((m) => m.name)).toEqual(want.modules ?? []);
        if (scenario === 'already-migrated') expect(status.modules![0].manifest!.metadata.name).toBe(`${rt.runtimeId}-istio-4034478325`);
        // LM reads skip-reconciliation on the KCP Kyma and never copies it to the SKR (see kcpObjects below).
        expect(kyma.metadata.labels!['operator.kyma-project.io/skip-reconciliation']).toBeUndefined();
      }

      const templates = find(objs, 'ModuleTemplate');
      const istioTemplates = templates.filter((t) => (t.spec as { data: { kind: string } }).data.kind === 'Istio').map((t) => t.metadata.name);
      expect(istioTemplates).toEqual(want.istioTemplates ? ['istio-fast', 'istio-regular'] : []);
      if (scenario === 'with-keda' || scenario === 'no-template') expect(templates.map((t) => t.metadata.name)).toEqual(expect.arrayContaining(['keda-fast', 'keda-regular']));

      const istios = find(objs, 'Istio');
      expect(istios.map((o) => (o.metadata.name === 'default' ? 'default' : '<customer>'))).toEqual(want.istios);
      for (const cr of istios) {
        expect(cr.apiVersion).toBe('operator.kyma-project.io/v1alpha2');
        expect(cr.metadata.finalizers).toEqual(['istios.operator.kyma-project.io/istio-installation']);
        expect((cr.status as { state: string }).state).toBe('Ready');
        // Created by the old reconciler or the customer at least an hour before anything LM will create.
        expect(REFERENCE - Date.parse(cr.metadata.creationTimestamp!)).toBeGreaterThanOrEqual(3600_000);
        const others = objs.filter((o) => o !== cr).map((o) => o.metadata.creationTimestamp);
        expect(others).not.toContain(cr.metadata.creationTimestamp);
      }

      const deployments = find(objs, 'Deployment', 'istio-controller-manager');
      expect(deployments).toHaveLength(want.operator ? 1 : 0);
      if (want.operator) {
        const d = deployments[0];
        expect(d.metadata.labels).toMatchObject({ 'kyma-project.io/module': 'istio', 'app.kubernetes.io/name': 'istio-operator', 'control-plane': 'controller-manager' });
        const spec = d.spec as { replicas: number; template: { spec: { containers: Array<{ image: string }> } } };
        expect(spec.replicas).toBe(1);
        expect(spec.template.spec.containers[0].image).toBe(`europe-docker.pkg.dev/kyma-project/prod/istio-manager:${rt.operatorVersion}`);
        expect(d.status).toMatchObject({ readyReplicas: 1, replicas: 1, availableReplicas: 1, updatedReplicas: 1, observedGeneration: 1 });
      }
    });

    it('gives custom-cr a customised spec and custom-cr-legacy operator 1.2.0', () => {
      const legacy = runtimeOf('custom-cr-legacy');
      expect(legacy.operatorVersion).toBe('1.2.0');
      const cr = find(skrObjects(runtimeOf('custom-cr'), ctx), 'Istio')[0];
      expect(cr.metadata.name).not.toBe('default');
      expect((cr.spec as { config: { numTrustedProxies: number } }).config.numTrustedProxies).toBeGreaterThanOrEqual(1);
      expect((cr.status as { conditions: Array<{ reason: string }> }).conditions[0].reason).toBe('ReconcileSucceeded');
    });
  });

  describe('istioModuleTemplate', () => {
    it('is realistic, shared and frozen', () => {
      const t = istioModuleTemplate('fast', 'kcp-system');
      expect(t).toBe(istioModuleTemplate('fast', 'kcp-system'));
      expect(Object.isFrozen(t.spec)).toBe(true);
      expect(t.metadata.labels).toEqual({ 'operator.kyma-project.io/managed-by': 'lifecycle-manager', 'operator.kyma-project.io/module-name': 'istio' });
      expect(t.metadata.annotations!['operator.kyma-project.io/module-version']).toBe('1.1.2');
      const spec = t.spec as { channel: string; data: K8sObject; descriptor: { component: { name: string; version: string } } };
      expect(spec.channel).toBe('fast');
      expect(spec.data).toEqual({
        apiVersion: 'operator.kyma-project.io/v1alpha2',
        kind: 'Istio',
        metadata: { name: 'default', namespace: 'kyma-system', labels: { 'app.kubernetes.io/name': 'default' } },
      });
      expect(spec.descriptor.component).toMatchObject({ name: 'kyma-project.io/module/istio', version: '1.1.2' });
    });

    it('shares template bodies between clusters while each copy has its own metadata', () => {
      const [a, b] = [runtimeOf('fresh', 'prod'), runtimeOf('with-keda', 'prod')].map((rt) => find(skrObjects(rt, ctx), 'ModuleTemplate', 'istio-regular')[0]);
      expect(a.spec).toBe(b.spec);
      expect(a.metadata.uid).not.toBe(b.metadata.uid);
    });
  });

  describe('kcpObjects', () => {
    const objs = kcpObjects('stage', landscape.runtimes, ctx);
    const stage = landscape.runtimes.filter((r) => r.env === 'stage');

    it('holds the kcp-system namespace and the istio and keda templates of both channels', () => {
      expect(find(objs, 'Namespace').map((o) => o.metadata.name)).toEqual(['kcp-system']);
      expect(find(objs, 'ModuleTemplate').map((o) => o.metadata.name).sort()).toEqual(['istio-fast', 'istio-regular', 'keda-fast', 'keda-regular']);
    });

    it('has a KCP Kyma with KEB labels for every runtime but suspended ones', () => {
      const kymas = find(objs, 'Kyma');
      expect(kymas.map((k) => k.metadata.name).sort()).toEqual(stage.filter((r) => r.scenario !== 'suspended').map((r) => r.runtimeId).sort());
      const rt = runtimeOf('existing-default');
      const k = kymas.find((o) => o.metadata.name === rt.runtimeId)!;
      expect(k.metadata.namespace).toBe('kcp-system');
      expect(k.metadata.labels).toMatchObject({
        'kyma-project.io/instance-id': rt.instanceId,
        'kyma-project.io/runtime-id': rt.runtimeId,
        'kyma-project.io/broker-plan-name': rt.plan,
        'kyma-project.io/global-account-id': rt.globalAccountId,
        'kyma-project.io/subaccount-id': rt.subaccountId,
        'kyma-project.io/shoot-name': rt.shootName,
        'operator.kyma-project.io/kyma-name': rt.runtimeId,
        'operator.kyma-project.io/managed-by': 'lifecycle-manager',
      });
      expect(k.metadata.annotations!['skr-domain']).toContain(rt.shootName);
      for (const o of kymas) {
        const skip = stage.find((r) => r.runtimeId === o.metadata.name)!.scenario === 'skip-reconciliation';
        expect(o.metadata.labels!['operator.kyma-project.io/skip-reconciliation']).toBe(skip ? 'true' : undefined);
      }
      const broken = kymas.find((o) => o.metadata.name === runtimeOf('skr-no-secret').runtimeId)!;
      expect(broken.status).toMatchObject({ state: 'Error', lastOperation: { operation: 'access secret not found' } });
    });

    it('has the access secret for every runtime but skr-no-secret and suspended', () => {
      const secrets = find(objs, 'Secret');
      const expected = stage.filter((r) => r.scenario !== 'skr-no-secret' && r.scenario !== 'suspended');
      expect(secrets.map((s) => s.metadata.name).sort()).toEqual(expected.map((r) => `kubeconfig-${r.runtimeId}`).sort());
      const rt = expected[0];
      const s = secrets.find((o) => o.metadata.name === `kubeconfig-${rt.runtimeId}`)!;
      expect(s.type).toBe('Opaque');
      expect(s.metadata.labels!['operator.kyma-project.io/kyma-name']).toBe(rt.runtimeId);
      const config = Buffer.from((s.data as { config: string }).config, 'base64').toString();
      expect(config).toBe(kubeconfigYaml(rt.runtimeId, ctx));
    });

    it('has the istio Manifest of already-migrated and the keda Manifest of with-keda', () => {
      const manifests = find(objs, 'Manifest');
      const migrated = runtimeOf('already-migrated');
      const expected = [
        ...stage.filter((r) => r.scenario === 'already-migrated').map((r) => `${r.runtimeId}-istio-4034478325`),
        ...stage.filter((r) => r.scenario === 'with-keda').map((r) => manifestName(r.runtimeId, 'keda', 'kyma-project.io/module/keda')),
      ];
      expect(manifests.map((m) => m.metadata.name).sort()).toEqual(expected.sort());
      const m = manifests.find((o) => o.metadata.name === `${migrated.runtimeId}-istio-4034478325`)!;
      expect(m.metadata.labels).toMatchObject({ 'operator.kyma-project.io/kyma-name': migrated.runtimeId, 'operator.kyma-project.io/channel': migrated.channel });
      expect(m.metadata.annotations!['operator.kyma-project.io/fqdn']).toBe('kyma-project.io/module/istio');
      expect(m.spec).toMatchObject({ remote: true, install: { name: 'raw-manifest' } });
      expect((m.spec as { resource: unknown }).resource).toBe((istioModuleTemplate(migrated.channel, 'kcp-system').spec as { data: unknown }).data);
      expect((m.status as { state: string }).state).toBe('Ready');
    });
  });

  describe('gardenerObjects', () => {
    it('has one Shoot per runtime in the garden namespace, suspended ones hibernated', () => {
      const objs = gardenerObjects('prod', landscape.runtimes, ctx);
      const prod = landscape.runtimes.filter((r) => r.env === 'prod');
      expect(find(objs, 'Namespace').map((o) => o.metadata.name)).toEqual([gardenNamespace('prod')]);
      const shoots = find(objs, 'Shoot');
      expect(shoots).toHaveLength(prod.length);
      for (const rt of prod) {
        const s = shoots.find((o) => o.metadata.name === rt.shootName)!;
        expect(s.metadata.namespace).toBe('garden-kyma-prod');
        // KEB's provisioner's annotation, or infrastructure-manager's alone (it replaces the annotations).
        const ann = s.metadata.annotations!;
        expect(ann['kcp.provisioner.kyma-project.io/runtime-id'] ?? ann['infrastructuremanager.kyma-project.io/runtime-id']).toBe(rt.runtimeId);
        expect(Object.keys(ann).filter((k) => k.endsWith('/runtime-id'))).toHaveLength(1);
        expect(s.metadata.labels).toMatchObject({ account: rt.globalAccountId, subaccount: rt.subaccountId });
        const spec = s.spec as { region: string; provider: { type: string }; maintenance: { timeWindow: { begin: string; end: string } }; hibernation?: { enabled: boolean } };
        expect(spec.region).toBe(rt.region);
        expect(['aws', 'azure', 'gcp', 'openstack']).toContain(spec.provider.type);
        expect(spec.maintenance.timeWindow.begin).toMatch(/^\d{6}\+0000$/);
        expect(spec.hibernation?.enabled ?? false).toBe(rt.scenario === 'suspended');
        expect(s.status).toMatchObject({ lastOperation: { type: 'Reconcile', state: 'Succeeded' } });
      }
    });
  });

  describe('kubeconfigYaml', () => {
    it('points at the cluster path with an insecure-skip-tls-verify server and the cluster token', () => {
      const kc = YAML.parse(kubeconfigYaml('dev-kcp', ctx));
      expect(kc['current-context']).toBe('dev-kcp');
      expect(kc.clusters[0].cluster).toEqual({ server: 'http://127.0.0.1:4321/clusters/dev-kcp', 'insecure-skip-tls-verify': true });
      expect(kc.users[0].user).toEqual({ token: 'token-dev-kcp' });
      expect(kc.contexts[0].context).toEqual({ cluster: 'dev-kcp', user: kc.users[0].name });
    });
  });

  // How fast is a benchmark's question (bench:sim); no timed assertions in tests.
  it('builds the objects of 10,000 runtimes', () => {
    const big = generateLandscape({ seed: 2, profile: 'mixed', runtimes: 10_000 });
    let n = 0;
    for (const env of ENVS) n += kcpObjects(env, big.runtimes, ctx).length + gardenerObjects(env, big.runtimes, ctx).length;
    for (const rt of big.runtimes) n += skrObjects(rt, ctx).length;
    expect(n).toBeGreaterThan(100_000);
  });
});
