/**
 * The shell contract of `istio-migrate migrate` and `istio-migrate rename-to-default` (DESIGN.md §3, C2, C3):
 * the BUILT binary (`node bin/istio-migrate.js`, so `npx tsc -p tsconfig.json` must have run — `npm test` does)
 * is spawned against a simulated landscape in this process (profile `scenarios`, time scale 0.01).
 *
 * Every spawn runs in beforeAll through a pool of 4 (a spawn is mostly node start-up), each on a runtime of
 * its own so they cannot disturb each other; the tests then assert what was recorded. Nothing here asserts a
 * duration.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrationResultSchema } from '../../../src/migration/result.js';
import type { RuntimeFileEntry } from '../../../src/sim/landscape/files.js';
import { expectedOf } from '../../helpers/outcomes.js';
import type { Env, Scenario } from '../../../src/sim/types.js';
import { kubeconfigOf, runtimesOf, simRequest, startTestSim, type TestSim } from '../../helpers/sim.js';
import { builtBin } from '../../helpers/built-bin.js';

const BIN = builtBin();
/** The `--timeout` of every migrate spawn: far beyond LM at time scale 0.01 (≈ 0.6 s), far below `slow` (12 s). */
const TIMEOUT_S = '6';
const PARALLEL = 4;

const SUCCESS = 'Migration successful';
const TEMPLATE_MISSING = 'Istio module template is not available on cluster';
const ALREADY = 'Istio module already present on Kyma CR, skipping migration';
const MULTIPLE = 'More than one Istio CR present on the cluster. Script rename-to-default.sh might be required.';
const FAILED = 'Migration failed';

/** migrate.sh's last message for an outcome (DOMAIN.md §2), where the script has one. */
const SCRIPT_MESSAGE: Record<string, string | null> = {
  migrated: SUCCESS,
  'already-migrated': ALREADY,
  'multiple-istio-crs': MULTIPLE,
  'module-template-missing': TEMPLATE_MISSING,
  timeout: FAILED,
  error: FAILED,
  'kyma-cr-missing': null,
  'kyma-cr-ambiguous': null,
  skipped: null,
};
/** C2/C3 per Dev scenario (test/helpers/outcomes.ts): exit code and migrate.sh's message where the script has one. */
const EXPECTED: [Scenario, 0 | 1 | 2, string | null][] = (
  ['fresh', 'with-keda', 'existing-default', 'custom-cr-legacy', 'custom-cr', 'already-migrated', 'no-template', 'no-kyma', 'two-kymas', 'slow', 'istio-error', 'manifest-error', 'skip-reconciliation', 'skr-down', 'flaky'] as const
).map((s): [Scenario, 0 | 1 | 2, string | null] => [s, expectedOf(s).exit!, SCRIPT_MESSAGE[expectedOf(s).outcome!]]);
// KEB state is a plan-time matter; the per-runtime command migrates what it is pointed at.
EXPECTED.push(['deprovisioning', 0, SUCCESS]);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let sim: TestSim;
let tmp: string;
let runtimes: RuntimeFileEntry[];
const runs = new Map<string, Run>();
/** Observations made around a spawn (before/after snapshots, stats). */
const seen = new Map<string, unknown>();

/** The environment of a spawn: this process's, minus what would leak a kubeconfig or runtime id into it. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!('KUBECONFIG' in extra)) delete env.KUBECONFIG;
  if (!('RUNTIME_ID' in extra)) delete env.RUNTIME_ID;
  // The child is a plain node process: jest's ESM flag is not needed there.
  delete env.NODE_OPTIONS;
  return env;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { env: childEnv(env), timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(new Error(`istio-migrate ${args[0]} did not run: ${err.message}`, { cause: err }));
      else resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l.length > 0);
}

/** The entries of a scenario in an environment that have a kubeconfig (or not, for skr-no-secret). */
function entries(env: Env, scenario: Scenario): RuntimeFileEntry[] {
  return runtimes.filter((r) => r.env === env && r.scenario === scenario);
}

function one(env: Env, scenario: Scenario, index = 0): RuntimeFileEntry {
  const rt = entries(env, scenario)[index];
  if (!rt) throw new Error(`no runtime #${index} of scenario ${scenario} in ${env}`);
  return rt;
}

function skr(rt: RuntimeFileEntry): string {
  if (!rt.kubeconfig) throw new Error(`${rt.runtimeId} (${rt.scenario}) has no kubeconfig`);
  return rt.kubeconfig;
}

function parseJsonLine(run: Run) {
  expect(run.stdout.endsWith('\n')).toBe(true);
  const out = run.stdout.split('\n');
  // Exactly one line: the document, then the final newline.
  expect(out).toHaveLength(2);
  expect(out[1]).toBe('');
  return migrationResultSchema.parse(JSON.parse(out[0]));
}

async function stats(): Promise<{ requests: number; byCluster: Record<string, number>; kymaWrites: Record<string, number> }> {
  const r = await simRequest(sim, '', '/sim/stats');
  expect(r.status).toBe(200);
  return r.json;
}

/** Names, resourceVersions and states of the Istio CRs in kyma-system, plus the operator's replicas. */
async function skrSnapshot(runtimeId: string): Promise<unknown> {
  const istios = await simRequest(sim, runtimeId, '/apis/operator.kyma-project.io/v1alpha2/namespaces/kyma-system/istios');
  const dep = await simRequest(sim, runtimeId, '/apis/apps/v1/namespaces/kyma-system/deployments/istio-controller-manager');
  expect(istios.status).toBe(200);
  return {
    istios: (istios.json.items as { metadata: { name: string; resourceVersion: string }; status?: { state?: string } }[])
      .map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}=${i.status?.state ?? ''}`)
      .sort(),
    replicas: dep.status === 200 ? dep.json.spec?.replicas : null,
  };
}

async function pool(jobs: (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) await jobs[next++]();
    }),
  );
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'istio-migrate-cli-'));
  sim = await startTestSim({ out: path.join(tmp, 'sim'), profile: 'scenarios', runtimes: 60, seed: 1, timeScale: 0.01 });
  runtimes = runtimesOf(sim.out);
  const devKcp = kubeconfigOf(sim.out, 'dev', 'kcp');
  const stageKcp = kubeconfigOf(sim.out, 'stage', 'kcp');
  const run = (key: string, args: string[], env?: Record<string, string>) => async () => {
    runs.set(key, await cli(args, env));
  };

  const jobs: (() => Promise<void>)[] = [];
  // `slow` waits for its whole --timeout: start it first so the pool overlaps it with the rest.
  const ordered = [...EXPECTED].sort((a, b) => (a[0] === 'slow' ? -1 : b[0] === 'slow' ? 1 : 0));
  for (const [scenario] of ordered) {
    const rt = one('dev', scenario);
    jobs.push(run(`dev/${scenario}`, ['migrate', '--kubeconfig', skr(rt), '--kcp-kubeconfig', devKcp, '--runtime-id', rt.runtimeId, '--timeout', TIMEOUT_S]));
  }

  // No --timeout: the deadline of the simulator's config (510 s × time scale 0.01), given as $ISTIO_MIGRATE_CONFIG.
  const slowStage = one('stage', 'slow');
  jobs.unshift(run('config/slow', ['migrate', '--kubeconfig', skr(slowStage), '--json'], { ISTIO_MIGRATE_CONFIG: path.join(sim.out, 'config.yaml') }));

  const noSecret = one('dev', 'skr-no-secret');
  jobs.push(run('no-secret', ['migrate', '--kcp-kubeconfig', devKcp, '--runtime-id', noSecret.runtimeId, '--json', '--timeout', TIMEOUT_S]));

  // --json on a success and on a held runtime (Stage, so the Dev scenario runs above stay untouched).
  const jsonFresh = one('stage', 'fresh', 0);
  jobs.push(run('json/fresh', ['migrate', '--kubeconfig', skr(jsonFresh), '--kcp-kubeconfig', stageKcp, '--runtime-id', jsonFresh.runtimeId, '--json', '--timeout', TIMEOUT_S]));
  const jsonCustom = one('stage', 'custom-cr', 0);
  jobs.push(run('json/custom-cr', ['migrate', '--kubeconfig', skr(jsonCustom), '--kcp-kubeconfig', stageKcp, '--runtime-id', jsonCustom.runtimeId, '--json', '--timeout', TIMEOUT_S]));

  // $KUBECONFIG and $RUNTIME_ID as kcp taskrun sets them, instead of the flags.
  const viaEnv = one('stage', 'with-keda', 0);
  jobs.push(run('env/text', ['migrate', '--kcp-kubeconfig', stageKcp, '--timeout', TIMEOUT_S], { KUBECONFIG: skr(viaEnv), RUNTIME_ID: viaEnv.runtimeId }));
  const viaEnvJson = one('stage', 'with-keda', 1);
  jobs.push(run('env/json', ['migrate', '--kcp-kubeconfig', stageKcp, '--json', '--timeout', TIMEOUT_S], { KUBECONFIG: skr(viaEnvJson), RUNTIME_ID: viaEnvJson.runtimeId }));

  // --dry-run on a fresh runtime: exit 0, no Kyma write.
  const dry = one('stage', 'fresh', 1);
  jobs.push(async () => {
    await run('dry-run/text', ['migrate', '--kubeconfig', skr(dry), '--kcp-kubeconfig', stageKcp, '--runtime-id', dry.runtimeId, '--dry-run'])();
    await run('dry-run/json', ['migrate', '--kubeconfig', skr(dry), '--kcp-kubeconfig', stageKcp, '--runtime-id', dry.runtimeId, '--dry-run', '--json'])();
    seen.set('dry-run/stats', await stats());
  });

  // Usage errors.
  const anySkr = skr(one('stage', 'fresh', 2));
  jobs.push(run('usage/no-kubeconfig', ['migrate', '--timeout', TIMEOUT_S]));
  jobs.push(run('usage/runtime-id-without-kcp', ['migrate', '--runtime-id', noSecret.runtimeId]));
  jobs.push(run('usage/on-conflict', ['migrate', '--kubeconfig', anySkr, '--on-conflict', 'maybe']));
  jobs.push(run('usage/timeout', ['migrate', '--kubeconfig', anySkr, '--timeout', 'abc']));
  jobs.push(run('usage/missing-file', ['migrate', '--kubeconfig', path.join(tmp, 'no-such-kubeconfig.yaml')]));
  jobs.push(run('usage/directory', ['migrate', '--kubeconfig', tmp]));
  jobs.push(run('usage/rename-no-kubeconfig', ['rename-to-default', '--customer-agreed']));
  jobs.push(run('usage/json-missing-file', ['migrate', '--kubeconfig', path.join(tmp, 'no-such-kubeconfig.yaml'), '--json']));
  jobs.push(run('usage/rename-json-unknown-option', ['rename-to-default', '--kubeconfig', anySkr, '--bogus', '--json']));
  // A KCP kubeconfig without the runtime id: the skip-reconciliation check would silently not be done.
  const frozen = one('stage', 'skip-reconciliation', 0);
  jobs.push(run('usage/kcp-without-runtime-id', ['migrate', '--kubeconfig', skr(frozen), '--kcp-kubeconfig', stageKcp]));
  // A stale $RUNTIME_ID beside another SKR's kubeconfig: refused before anything is read on KCP or patched.
  const wrongSkr = one('stage', 'fresh', 2);
  const otherId = one('stage', 'existing-default', 0).runtimeId;
  jobs.push(async () => {
    await run('mismatch', ['migrate', '--kcp-kubeconfig', stageKcp, '--json', '--timeout', TIMEOUT_S], { KUBECONFIG: skr(wrongSkr), RUNTIME_ID: otherId })();
    seen.set('mismatch/stats', await stats());
  });

  // rename-to-default on three custom-cr runtimes of Prod: refused, renamed, dry run.
  const refused = one('prod', 'custom-cr', 0);
  jobs.push(async () => {
    const before = await skrSnapshot(refused.runtimeId);
    await run('rename/refused', ['rename-to-default', '--kubeconfig', skr(refused)])();
    seen.set('rename/refused', { before, after: await skrSnapshot(refused.runtimeId) });
  });
  const renamed = one('prod', 'custom-cr', 1);
  jobs.push(async () => {
    await run('rename/agreed', ['rename-to-default', '--kubeconfig', skr(renamed), '--customer-agreed', '--timeout', '30'])();
    seen.set('rename/agreed', await skrSnapshot(renamed.runtimeId));
  });
  const renameDry = one('prod', 'custom-cr', 2);
  jobs.push(async () => {
    const before = await skrSnapshot(renameDry.runtimeId);
    await run('rename/dry-run', ['rename-to-default', '--kubeconfig', skr(renameDry), '--customer-agreed', '--dry-run'])();
    seen.set('rename/dry-run', { before, after: await skrSnapshot(renameDry.runtimeId) });
  });

  await pool(jobs, PARALLEL);
}, 180_000);

afterAll(async () => {
  await sim?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function got(key: string): Run {
  const r = runs.get(key);
  if (!r) throw new Error(`no run recorded for ${key}`);
  return r;
}

describe('src/cli/migration-commands', () => {
  describe('migrate: exit code and migrate.sh message per C2 scenario (Dev)', () => {
    it.each(EXPECTED)('%s → exit %i, %s', (scenario, code, message) => {
      const r = got(`dev/${scenario}`);
      const rt = one('dev', scenario);
      // Scenario, stdout and stderr ride along so that a wrong exit code shows why.
      expect({ scenario, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ scenario, code, stdout: expect.any(String), stderr: expect.any(String) });
      const out = lines(r.stdout);
      if (message) expect(out).toContain(message);
      if (code !== 0) expect(out).not.toContain(SUCCESS);
      if (message !== SUCCESS) expect(out).not.toContain(SUCCESS);
      // Text mode: the messages, never a JSON record.
      expect(r.stdout).not.toMatch(/^\{/m);
      // Tokens never appear in the output (DESIGN.md §4 "never log a kubeconfig or token").
      for (const id of [rt.runtimeId, 'dev-kcp']) {
        const token = sim.sim.tokenFor(id);
        expect(r.stdout).not.toContain(token);
        expect(r.stderr).not.toContain(token);
      }
    });

    it('holds the customer-CR runtimes without touching their Kyma', async () => {
      const s = await stats();
      // C2: only the scenarios that reach the patch write their Kyma, exactly once.
      const scenarios = EXPECTED.map(([sc]) => sc).filter((sc) => sc !== 'deprovisioning');
      expect(scenarios.map((scenario) => ({ scenario, writes: s.kymaWrites[one('dev', scenario).runtimeId] ?? 0 }))).toEqual(
        scenarios.map((scenario) => ({ scenario, writes: expectedOf(scenario).patched ? 1 : 0 })),
      );
      expect(scenarios.filter((sc) => !expectedOf(sc).patched)).toEqual(expect.arrayContaining(['custom-cr', 'custom-cr-legacy', 'skip-reconciliation', 'no-template']));
    });
  });

  describe('migrate --json', () => {
    it('skr-no-secret via --kcp-kubeconfig and --runtime-id: exit 1, error/kubeconfig-unavailable', () => {
      const r = got('no-secret');
      expect(r.code).toBe(1);
      const result = parseJsonLine(r);
      expect(result).toMatchObject({
        runtimeId: one('dev', 'skr-no-secret').runtimeId,
        outcome: 'error',
        reason: 'kubeconfig-unavailable',
        class: 'platform',
        patched: false,
        access: null,
      });
      expect(result.requests.kcp).toBeGreaterThanOrEqual(1);
    });

    it('prints exactly one line, a valid result record, for a migrated runtime', () => {
      const r = got('json/fresh');
      expect(r.code).toBe(0);
      const result = parseJsonLine(r);
      const rt = one('stage', 'fresh', 0);
      expect(result).toMatchObject({ runtimeId: rt.runtimeId, outcome: 'migrated', reason: null, class: 'none', patched: true, dryRun: false, message: SUCCESS, access: 'kubeconfig' });
      expect(result.manifest).toMatchObject({ name: `${rt.runtimeId}-istio-4034478325`, state: 'Ready' });
      expect(result.requests.total).toBe(result.requests.kcp + result.requests.skr + result.requests.gardener);
      // The script's progress goes to stderr, not into the JSON line.
      expect(r.stderr).toContain(SUCCESS);
    });

    it('prints the held result of a custom-cr runtime: exit 1, multiple-istio-crs, not patched', () => {
      const r = got('json/custom-cr');
      expect(r.code).toBe(1);
      const result = parseJsonLine(r);
      expect(result).toMatchObject({ outcome: 'multiple-istio-crs', class: 'customer', patched: false, message: MULTIPLE });
      expect(result.inventoryBefore.map((c) => c.name)).not.toContain('default');
      expect(result.inventoryBefore.length).toBeGreaterThanOrEqual(1);
    });
  });

  describe('migrate with a configuration ($ISTIO_MIGRATE_CONFIG or --config)', () => {
    it("waits for the configuration's deadline, not the script's 510 s: slow ends timeout, exit 2", () => {
      const r = got('config/slow');
      expect(r.code).toBe(2);
      const result = parseJsonLine(r);
      expect(result).toMatchObject({ outcome: 'timeout', patched: true });
      expect(result.detail).toMatch(/^after 5 s: /); // 5.1 s, rounded
    });
  });

  describe('migrate with $KUBECONFIG and $RUNTIME_ID (as kcp taskrun sets them)', () => {
    it('migrates with the messages of the script', () => {
      const r = got('env/text');
      expect(r.code).toBe(0);
      expect(lines(r.stdout)).toContain(SUCCESS);
    });

    it('takes the runtime id from $RUNTIME_ID (the Manifest on KCP is the evidence)', () => {
      const r = got('env/json');
      expect(r.code).toBe(0);
      const rt = one('stage', 'with-keda', 1);
      expect(parseJsonLine(r)).toMatchObject({ runtimeId: rt.runtimeId, outcome: 'migrated', manifest: { name: `${rt.runtimeId}-istio-4034478325`, state: 'Ready' } });
    });
  });

  describe('migrate with a runtime id that is not the SKR\'s', () => {
    it('refuses before the patch: exit 1, error/kubeconfig-unavailable naming both, no Kyma written on either', () => {
      const r = got('mismatch');
      const wrong = one('stage', 'fresh', 2).runtimeId;
      const other = one('stage', 'existing-default', 0).runtimeId;
      expect(r.code).toBe(1);
      const result = parseJsonLine(r);
      expect(result).toMatchObject({ runtimeId: other, outcome: 'error', reason: 'kubeconfig-unavailable', patched: false });
      expect(result.detail).toContain(`belongs to the KCP Kyma kcp-system/${wrong}, not to runtime ${other}`);
      const s = seen.get('mismatch/stats') as Awaited<ReturnType<typeof stats>>;
      expect([s.kymaWrites[wrong] ?? 0, s.kymaWrites[other] ?? 0]).toEqual([0, 0]);
    });
  });

  describe('migrate --dry-run', () => {
    it('exits 0, says what it would do, and writes no Kyma', () => {
      const text = got('dry-run/text');
      const json = got('dry-run/json');
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/dry run/i);
      expect(json.code).toBe(0);
      expect(parseJsonLine(json)).toMatchObject({ outcome: 'skipped', reason: 'dry-run', dryRun: true, patched: false });
      const s = seen.get('dry-run/stats') as { byCluster: Record<string, number>; kymaWrites: Record<string, number> };
      const id = one('stage', 'fresh', 1).runtimeId;
      expect(s.byCluster[id]).toBeGreaterThan(0);
      expect(s.kymaWrites[id] ?? 0).toBe(0);
    });
  });

  describe("usage errors exit 1 (the script's 2 means timeout) with a helpful message", () => {
    it.each([
      ['usage/no-kubeconfig', /--kubeconfig/],
      ['usage/runtime-id-without-kcp', /--kcp-kubeconfig/],
      ['usage/on-conflict', /maybe[\s\S]*hold[\s\S]*proceed/],
      ['usage/timeout', /--timeout/],
      ['usage/missing-file', /no-such-kubeconfig\.yaml/],
      ['usage/directory', /kubeconfig/],
      ['usage/rename-no-kubeconfig', /--kubeconfig/],
      ['usage/kcp-without-runtime-id', /--kcp-kubeconfig needs the runtime id[\s\S]*--runtime-id/],
    ])('%s', (key, message) => {
      const r = got(key);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(message) });
      expect(r.stdout).toBe('');
    });

    it.each([
      ['usage/json-missing-file', /no-such-kubeconfig\.yaml/],
      ['usage/rename-json-unknown-option', /unknown option '--bogus'/],
    ])('%s: with --json, exit 1 and the error as the one JSON line on stdout', (key, message) => {
      const r = got(key);
      expect(r.code).toBe(1);
      expect(r.stdout.split('\n')).toHaveLength(2); // one line and its newline
      expect(JSON.parse(r.stdout)).toEqual({ error: expect.stringMatching(message) });
      expect(r.stderr).toMatch(message);
    });
  });

  describe('rename-to-default', () => {
    it('refuses without --customer-agreed: exit 1, names the flag, changes nothing', () => {
      const r = got('rename/refused');
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toContain('--customer-agreed');
      const { before, after } = seen.get('rename/refused') as { before: unknown; after: unknown };
      expect(after).toEqual(before);
    });

    it('with --customer-agreed on a custom-cr runtime: exit 0, default is the only CR and Ready', () => {
      const r = got('rename/agreed');
      expect(r.code).toBe(0);
      const after = seen.get('rename/agreed') as { istios: string[]; replicas: number | null };
      expect(after.istios).toHaveLength(1);
      expect(after.istios[0]).toMatch(/^default@\S+=Ready$/);
      expect(after.replicas).toBeGreaterThanOrEqual(1);
    });

    it('--dry-run: exit 0 and nothing changed', () => {
      const r = got('rename/dry-run');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/dry run/i);
      const { before, after } = seen.get('rename/dry-run') as { before: unknown; after: unknown };
      expect(after).toEqual(before);
    });
  });
});
