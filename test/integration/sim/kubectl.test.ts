import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWith, requireKubectl } from '../../helpers/needs.js';
import { kubeconfigOf, kubectl, runtimeOf, startTestSim, type KubectlResult, type TestSim } from '../../helpers/sim.js';
import type { Env, Scenario } from '../../../src/sim/types.js';

// The real kubectl against a simulated SKR and KCP, in every form the original scripts use (issue 3 §4).
// They need kubectl (test/helpers/needs.ts): without one they fail under CI=true and skip visibly elsewhere.

const ISTIO_FINALIZER = 'istios.operator.kyma-project.io/istio-installation';

/** An Istio CR in kyma-system as YAML for `kubectl apply -f -`, with finalizers when given. */
function istioCr(name: string, finalizers?: string[]): string {
  const fin = finalizers ? `  finalizers: [${finalizers.join(', ')}]\n` : '';
  return `apiVersion: operator.kyma-project.io/v1alpha2\nkind: Istio\nmetadata:\n  name: ${name}\n  namespace: kyma-system\n${fin}spec: {}\n`;
}

describeWith(requireKubectl(), 'src/sim/k8s with the real kubectl', () => {
  let sim: TestSim;
  let cacheDir: string;

  beforeAll(async () => {
    sim = await startTestSim();
    cacheDir = mkdtempSync(path.join(os.tmpdir(), 'kubectl-cache-'));
  });
  afterAll(async () => {
    await sim?.close();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });

  /** kubectl against the SKR of a scenario's runtime in an environment. */
  const onSkr = (env: Env, scenario: Scenario, args: string[], input?: string): Promise<KubectlResult> =>
    kubectl(args, { kubeconfig: runtimeOf(sim.out, env, scenario).kubeconfig!, cacheDir, input });
  const onKcp = (env: Env, args: string[]): Promise<KubectlResult> => kubectl(args, { kubeconfig: kubeconfigOf(sim.out, env, 'kcp'), cacheDir });
  const ok = (r: KubectlResult): string => {
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    return r.stdout;
  };

  it('create namespace (a protobuf body, which the simulator does not read) fails with 415 saying what works instead; apply -f of the same object works', async () => {
    const created = await onKcp('dev', ['create', 'namespace', 'team-proto']);
    expect(created.code).not.toBe(0);
    expect(created.stderr).toContain('Error from server (UnsupportedMediaType)');
    expect(created.stderr).toContain("'kubectl apply -f' it");
    const applied = await kubectl(['apply', '-f', '-'], { kubeconfig: kubeconfigOf(sim.out, 'dev', 'kcp'), cacheDir, input: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-proto\n' });
    expect(ok(applied)).toContain('namespace/team-proto created');
  });

  it('get moduletemplates.operator.kyma-project.io -A -o json lists the SKR catalog', async () => {
    const list = JSON.parse(ok(await onSkr('dev', 'existing-default', ['get', 'moduletemplates.operator.kyma-project.io', '-A', '-o', 'json'])));
    expect(list.kind).toBe('List');
    expect(list.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(expect.arrayContaining(['istio-fast', 'istio-regular']));
    expect(list.items.every((i: { kind: string }) => i.kind === 'ModuleTemplate')).toBe(true);
  });

  it('get kyma -n kyma-system --no-headers -o custom-columns=":metadata.name" prints one name per Kyma', async () => {
    expect(ok(await onSkr('dev', 'existing-default', ['get', 'kyma', '-n', 'kyma-system', '--no-headers', '-o', 'custom-columns=:metadata.name']))).toBe('default\n');
    expect(ok(await onSkr('dev', 'two-kymas', ['get', 'kyma', '-n', 'kyma-system', '--no-headers', '-o', 'custom-columns=:metadata.name']))).toBe('default\nkyma-copy\n');
    expect(ok(await onSkr('dev', 'no-kyma', ['get', 'kyma', '-n', 'kyma-system', '--no-headers', '-o', 'custom-columns=:metadata.name']))).toBe('');
  });

  it('get kyma NAME -o json returns the object, on the SKR and on KCP', async () => {
    const skr = JSON.parse(ok(await onSkr('dev', 'existing-default', ['get', 'kyma', 'default', '-n', 'kyma-system', '-o', 'json'])));
    expect(skr).toMatchObject({ apiVersion: 'operator.kyma-project.io/v1beta2', kind: 'Kyma', metadata: { name: 'default', namespace: 'kyma-system' } });
    const rt = runtimeOf(sim.out, 'dev', 'existing-default');
    const kcp = JSON.parse(ok(await onKcp('dev', ['get', 'kyma', rt.runtimeId, '-n', 'kcp-system', '-o', 'json'])));
    expect(kcp.metadata.labels['kyma-project.io/runtime-id']).toBe(rt.runtimeId);
  });

  it('patch --type=json applies the ops, answers "no change" when nothing changes, and fails a failed test op', async () => {
    const patch = (p: unknown[]) => onSkr('stage', 'fresh', ['patch', 'kyma', 'default', '-n', 'kyma-system', '--type=json', '-p', JSON.stringify(p)]);
    const before = JSON.parse(ok(await onSkr('stage', 'fresh', ['get', 'kyma', 'default', '-n', 'kyma-system', '-o', 'json'])));
    expect(before.spec.modules).toBeUndefined();
    // `test` of an absent path against null succeeds (evanphx/json-patch); alone it changes nothing.
    expect(ok(await patch([{ op: 'test', path: '/spec/modules', value: null }]))).toBe('kyma.operator.kyma-project.io/default patched (no change)\n');
    // The migration script's guard: `spec.modules` absent (test against null), then add it.
    expect(ok(await patch([{ op: 'test', path: '/spec/modules', value: null }, { op: 'add', path: '/spec/modules', value: [{ name: 'istio' }] }]))).toBe(
      'kyma.operator.kyma-project.io/default patched\n',
    );
    const failed = await patch([{ op: 'test', path: '/spec/modules', value: null }]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('The request is invalid');
    expect(failed.stderr).toContain('/spec/modules');
    const after = JSON.parse(ok(await onSkr('stage', 'fresh', ['get', 'kyma', 'default', '-n', 'kyma-system', '-o', 'json'])));
    expect(after.spec.modules).toEqual([{ name: 'istio' }]);
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);
  });

  it('patch --type=merge changes the object, and says "no change" the second time', async () => {
    const patch = () => onSkr('prod', 'fresh', ['patch', 'kyma', 'default', '-n', 'kyma-system', '--type=merge', '-p', '{"metadata":{"labels":{"team":"sre"}}}']);
    expect(ok(await patch())).toBe('kyma.operator.kyma-project.io/default patched\n');
    expect(ok(await patch())).toBe('kyma.operator.kyma-project.io/default patched (no change)\n');
    expect(ok(await onSkr('prod', 'fresh', ['get', 'kyma', 'default', '-n', 'kyma-system', '-o', 'jsonpath={.metadata.labels.team}']))).toBe('sre');
  });

  it("get istio default -o jsonpath='{.status.state}' prints the state, and fails with NotFound where there is none", async () => {
    expect(ok(await onSkr('dev', 'existing-default', ['-n', 'kyma-system', 'get', 'istio', 'default', '-o', 'jsonpath={.status.state}']))).toBe('Ready');
    const missing = await onSkr('dev', 'fresh', ['-n', 'kyma-system', 'get', 'istio', 'default', '-o', 'jsonpath={.status.state}']);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): istios.operator.kyma-project.io "default" not found\n' });
  });

  it('get istios -o json lists the Istio CRs, and the default table shows NAME, STATE and AGE', async () => {
    const list = JSON.parse(ok(await onSkr('dev', 'custom-cr', ['get', 'istios', '-n', 'kyma-system', '-o', 'json'])));
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ apiVersion: 'operator.kyma-project.io/v1alpha2', kind: 'Istio', status: { state: 'Ready' } });
    const table = ok(await onSkr('dev', 'existing-default', ['get', 'istios', '-n', 'kyma-system'])).split('\n');
    expect(table[0].split(/\s+/)).toEqual(['NAME', 'STATE', 'AGE']);
    expect(table[1]).toMatch(/^default\s+Ready\s+\d+d$/);
  });

  it('get istio --field-selector metadata.name!=default -o json finds only the customer CR', async () => {
    const list = JSON.parse(ok(await onSkr('dev', 'custom-cr', ['get', 'istio', '-n', 'kyma-system', '--field-selector', 'metadata.name!=default', '-o', 'json'])));
    expect(list.items).toHaveLength(1);
    expect(list.items[0].metadata.name).not.toBe('default');
    const none = JSON.parse(ok(await onSkr('dev', 'existing-default', ['get', 'istio', '-n', 'kyma-system', '--field-selector', 'metadata.name!=default', '-o', 'json'])));
    expect(none.items).toEqual([]);
  });

  it('scale deployment/istio-controller-manager --replicas 0 goes through the scale subresource; the table prints READY as ready/desired', async () => {
    const table = ok(await onSkr('stage', 'existing-default', ['get', 'deployment', 'istio-controller-manager', '-n', 'kyma-system'])).split('\n');
    expect(table[0].split(/\s+/)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(table[1].split(/\s+/).slice(0, 4)).toEqual(['istio-controller-manager', '1/1', '1', '1']);
    expect(ok(await onSkr('stage', 'existing-default', ['scale', 'deployment/istio-controller-manager', '--replicas', '0', '-n', 'kyma-system']))).toBe(
      'deployment.apps/istio-controller-manager scaled\n',
    );
    expect(ok(await onSkr('stage', 'existing-default', ['get', 'deployment', 'istio-controller-manager', '-n', 'kyma-system', '-o', 'jsonpath={.spec.replicas}']))).toBe('0');
  });

  it('apply -f - creates an Istio CR, then reports unchanged, then configured', async () => {
    const cr = (proxies: number) => `apiVersion: operator.kyma-project.io/v1alpha2
kind: Istio
metadata:
  name: applied
  namespace: kyma-system
spec:
  config:
    numTrustedProxies: ${proxies}
`;
    const apply = (proxies: number) => onSkr('prod', 'no-template', ['apply', '-f', '-'], cr(proxies));
    expect(ok(await apply(1))).toBe('istio.operator.kyma-project.io/applied created\n');
    expect(ok(await apply(1))).toBe('istio.operator.kyma-project.io/applied unchanged\n');
    expect(ok(await apply(2))).toBe('istio.operator.kyma-project.io/applied configured\n');
    const obj = JSON.parse(ok(await onSkr('prod', 'no-template', ['get', 'istio', 'applied', '-n', 'kyma-system', '-o', 'json'])));
    expect(obj.spec).toEqual({ config: { numTrustedProxies: 2 } });
    expect(obj.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('"numTrustedProxies":2');
    expect(obj.metadata.generation).toBe(2);
  });

  it('delete istio --field-selector marks a CR with finalizers; it goes once they are cleared (the rename script)', async () => {
    // `fresh` runs no Istio operator, so nothing clears the finalizer but the client.
    const cr = istioCr('custom', [ISTIO_FINALIZER]);
    expect(ok(await onSkr('dev', 'fresh', ['apply', '-f', '-'], cr))).toBe('istio.operator.kyma-project.io/custom created\n');
    // kubectl delete would wait until the finalizer is gone; the script's own flow clears it afterwards.
    expect(ok(await onSkr('dev', 'fresh', ['delete', 'istio', '-n', 'kyma-system', '--field-selector', 'metadata.name!=default', '--wait=false']))).toBe(
      'istio.operator.kyma-project.io "custom" deleted\n',
    );
    const marked = JSON.parse(ok(await onSkr('dev', 'fresh', ['get', 'istio', 'custom', '-n', 'kyma-system', '-o', 'json'])));
    expect(marked.metadata.deletionTimestamp).toEqual(expect.any(String));
    expect(marked.metadata.finalizers).toEqual([ISTIO_FINALIZER]);
    // rename-to-default.sh applies `metadata.finalizers: null`.
    ok(await onSkr('dev', 'fresh', ['patch', 'istio', 'custom', '-n', 'kyma-system', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']));
    const gone = await onSkr('dev', 'fresh', ['get', 'istio', 'custom', '-n', 'kyma-system']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('NotFound');
  });

  it('delete istio --field-selector waits until the CR is gone (kubectl polls for 404)', async () => {
    const cr = istioCr('doomed');
    ok(await onSkr('stage', 'no-template', ['apply', '-f', '-'], cr));
    expect(ok(await onSkr('stage', 'no-template', ['delete', 'istio', '-n', 'kyma-system', '--field-selector', 'metadata.name==doomed']))).toBe(
      'istio.operator.kyma-project.io "doomed" deleted\n',
    );
    expect(ok(await onSkr('stage', 'no-template', ['get', 'istios', '-n', 'kyma-system', '-o', 'custom-columns=:metadata.name', '--no-headers']))).toBe('');
  });

  it('get manifests -n kcp-system -o custom-columns=… prints the KCP Manifests', async () => {
    const out = ok(
      await onKcp('dev', ['get', 'manifests', '-n', 'kcp-system', '-o', 'custom-columns=NAME:.metadata.name,STATE:.status.state,KYMA:.metadata.labels.operator\\.kyma-project\\.io/kyma-name']),
    );
    const [header, ...rows] = out.trim().split('\n');
    expect(header.split(/\s+/)).toEqual(['NAME', 'STATE', 'KYMA']);
    const migrated = runtimeOf(sim.out, 'dev', 'already-migrated').runtimeId;
    expect(rows.some((r) => r.startsWith(`${migrated}-istio-`) && r.endsWith(migrated))).toBe(true);
  });
});
