/**
 * Acceptance (issue 4 §5): test/fixtures/migrate-like.sh — migrate.sh's steps and messages (DOMAIN.md §2) —
 * runs through the real kubectl against the `scenarios` profile and reaches the original's conclusions; then
 * test/fixtures/rename-like.sh (DOMAIN.md §3) leaves one Istio CR, `default`, Ready. Skipped only without
 * kubectl. The scripts' sleeps are shortened through the environment; LM runs at time scale 0.01.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { K8sObject, Scenario } from '../../../src/sim/types.js';
import { hasKubectl, kubectl, runtimeOf, startTestSim, type TestSim } from '../../helpers/sim.js';

const FIXTURES = path.resolve(process.cwd(), 'test/fixtures');
const itKubectl = hasKubectl() ? it : it.skip;

let sim: TestSim;
let cacheRoot: string;

interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runScript(script: string, kubeconfig: string, cacheDir: string): Promise<ScriptResult> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [path.join(FIXTURES, script)],
      {
        timeout: 50_000,
        env: { ...process.env, KUBECONFIG: kubeconfig, KUBECTL_CACHE_DIR: cacheDir, MIGRATE_INITIAL_SLEEP: '0.2', MIGRATE_SLEEP: '0.2', MIGRATE_ITERATIONS: '25' },
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? -1) : 0, stdout, stderr }),
    );
  });
}

function kubeconfigOf(scenario: Scenario): string {
  const kc = runtimeOf(sim.out, 'dev', scenario).kubeconfig;
  if (!kc) throw new Error(`${scenario} has no kubeconfig`);
  return kc;
}

/** migrate.sh's conclusion per scenario: exit code and the message it ends with (DOMAIN.md §2, §5). */
const EXPECTED: [Scenario, number, string][] = [
  ['fresh', 0, 'Migration successful'],
  ['with-keda', 0, 'Migration successful'],
  ['custom-cr-legacy', 1, 'More than one Istio CR present on the cluster. Script rename-to-default.sh might be required.'],
  ['no-template', 1, 'Istio module template is not available on cluster'],
  ['already-migrated', 0, 'Istio module already present on Kyma CR, skipping migration'],
  // Operator ≥ 1.4: `default` goes Warning, never Error, so the original loops until it gives up.
  ['custom-cr', 2, 'Migration failed'],
];

const results = new Map<Scenario, ScriptResult>();

beforeAll(async () => {
  if (!hasKubectl()) return;
  sim = await startTestSim({ profile: 'scenarios', seed: 3, timeScale: 0.01 });
  cacheRoot = mkdtempSync(path.join(os.tmpdir(), 'kubectl-cache-'));
  // All scripts at once, each with its own kubectl cache, as kcp taskrun runs them in parallel.
  await Promise.all(
    EXPECTED.map(async ([scenario]) => {
      results.set(scenario, await runScript('migrate-like.sh', kubeconfigOf(scenario), path.join(cacheRoot, scenario)));
    }),
  );
}, 60_000);

afterAll(async () => {
  await sim?.close();
  if (cacheRoot) rmSync(cacheRoot, { recursive: true, force: true });
});

describe('test/fixtures/migrate-like.sh against src/sim (scenarios profile)', () => {
  for (const [scenario, code, last] of EXPECTED) {
    itKubectl(`${scenario}: exit ${code}, "${last}"`, () => {
      const r = results.get(scenario)!;
      const lines = r.stdout.trim().split('\n');
      expect({ code: r.code, last: lines[lines.length - 1] }).toEqual({ code, last });
      if (scenario === 'fresh') {
        expect(lines).toEqual([
          'No modules defined on Kyma CR yet, initializing modules array',
          'kyma.operator.kyma-project.io/default patched',
          'Proceeding with migration by adding Istio module to Kyma CR default',
          'kyma.operator.kyma-project.io/default patched',
          'Migration successful',
        ]);
      }
      if (scenario === 'with-keda') expect(r.stdout).not.toContain('No modules defined');
    });
  }

  itKubectl('the scripts patched the Kyma only where the original would have', async () => {
    const writes = ((await (await fetch(`${sim.baseUrl}/sim/stats`)).json()) as { kymaWrites: Record<string, number> }).kymaWrites;
    const of = (s: Scenario) => writes[runtimeOf(sim.out, 'dev', s).runtimeId] ?? 0;
    expect([of('fresh'), of('with-keda'), of('custom-cr-legacy'), of('custom-cr'), of('no-template'), of('already-migrated')]).toEqual([2, 1, 2, 2, 0, 0]);
  });
});

describe('test/fixtures/rename-like.sh against src/sim', () => {
  for (const scenario of ['custom-cr-legacy', 'custom-cr'] as const) {
    itKubectl(`${scenario}: ends with only default, Ready, carrying the customer's spec`, async () => {
      const kc = kubeconfigOf(scenario);
      const cacheDir = path.join(cacheRoot, scenario);
      const get = async () => JSON.parse((await kubectl(['get', 'istios', '-n', 'kyma-system', '-o', 'json'], { kubeconfig: kc, cacheDir })).stdout).items as K8sObject[];
      const before = await get();
      const custom = before.find((i) => i.metadata.name !== 'default')!;
      expect(before.map((i) => (i.status as { state?: string } | undefined)?.state).sort()).toEqual([scenario === 'custom-cr' ? 'Warning' : 'Error', 'Ready'].sort());

      const r = await runScript('rename-like.sh', kc, cacheDir);
      expect({ code: r.code, stderr: r.stderr.replace(/^Warning: .*\n/gm, '') }).toEqual({ code: 0, stderr: '' });
      expect(r.stdout).toContain('deployment.apps/istio-controller-manager scaled');

      const end = Date.now() + 20_000;
      let items = await get();
      while (!(items.length === 1 && (items[0].status as { state?: string } | undefined)?.state === 'Ready') && Date.now() < end) {
        await new Promise((res) => setTimeout(res, 100));
        items = await get();
      }
      expect(items.map((i) => [i.metadata.name, (i.status as { state?: string } | undefined)?.state])).toEqual([['default', 'Ready']]);
      expect(items[0].spec).toEqual(custom.spec);
      const replicas = await kubectl(['get', 'deployment', 'istio-controller-manager', '-n', 'kyma-system', '-o', 'jsonpath={.spec.replicas}'], { kubeconfig: kc, cacheDir });
      expect(replicas.stdout).toBe('1');
    });
  }
});
