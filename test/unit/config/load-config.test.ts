import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { concurrencyOf, envDefaults, resolveBudget, type Config } from '../../../src/config/config.js';
import { ConfigError, configFileFrom, loadConfigFile, validateConfig, type ConfigProblem } from '../../../src/config/load-config.js';

const FIXTURES = path.resolve('test/fixtures/config');
const fixture = (name: string) => path.join(FIXTURES, name);

/** Loads a fixture that must be invalid and returns its one ConfigError. */
async function configError(name: string): Promise<ConfigError> {
  const file = fixture(name);
  const e: unknown = await loadConfigFile(file).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ConfigError);
  const ce = e as ConfigError;
  expect(ce.code).toBe('config');
  expect(ce.file).toBe(file);
  return ce;
}

/** The problem at `path` (exactly one), with the message shown for it. */
function problemAt(e: ConfigError, at: string, message?: RegExp): ConfigProblem {
  const found = e.problems.filter((p) => p.path === at && (!message || message.test(p.message)));
  expect(found.map((p) => `${p.path}: ${p.message}`)).toHaveLength(1);
  return found[0];
}

/** Every problem's path and message appear in the error's text, each on a line of its own. */
function expectListed(e: ConfigError): void {
  const lines = e.message.split('\n');
  expect(lines[0]).toContain(e.file);
  expect(lines).toHaveLength(e.problems.length + 1);
  for (const p of e.problems) {
    expect(lines.some((l) => l.includes(`${p.path || '(top level)'}: ${p.message}`) && (!p.hint || l.includes(p.hint)))).toBe(true);
  }
}

describe('src/config/load-config.ts', () => {
  it('loads a valid file and fills the defaults', async () => {
    const c = await loadConfigFile(fixture('valid.yaml'));
    const stage = c.environments.stage!;
    expect(c.simulated).toBe(false);
    expect(c.timing).toEqual({ deadlineSeconds: 510, pollIntervalSeconds: 5 });
    expect(stage.skrAccess).toBe('kcp-secret-then-gardener');
    expect(stage.limits).toEqual({ concurrency: 20, requestsPerSecond: { skr: 50 } });
    expect(stage.budgets.wave).toBe('5%');
    expect(stage.approval).toEqual({ approvers: [], operators: [], expiryMinutes: 60 });
    expect(stage.targets).toEqual({ 'kyma-test': ['account=0c6b1b5e-kyma-test'], canary: ['all'] });
    expect(c.globalBudget).toBe(25);
    // A relative journal file is read from the configuration file's directory, not the current one.
    expect(c.journal).toEqual({ sqlite: { file: path.join(path.dirname(fixture('valid.yaml')), 'data', 'journal.db') } });
    expect(c.environments.dev).toBeUndefined();
  });

  it('reports a missing section with its path and that it is required', async () => {
    const e = await configError('missing-kcp.yaml');
    expect(e.problems).toHaveLength(1);
    expect(problemAt(e, 'environments.stage.kcp').hint).toBe('this key is required');
    expectListed(e);
  });

  it('reports every unknown key (a typo) with its path instead of ignoring it', async () => {
    const e = await configError('typos.yaml');
    expect(problemAt(e, '', /unknown key "enviroments"/).hint).toMatch(/^remove it or check its spelling/);
    expect(problemAt(e, 'environments.stage', /unknown key "limts"/).hint).toMatch(/^remove it or check its spelling/);
    expect(problemAt(e, 'environments.stage.kcp', /unknown key "kubeconfg"/).hint).toMatch(/^remove it or check its spelling/);
    // The misspelt key leaves the real one missing: reported too.
    expect(problemAt(e, 'environments.stage.kcp.kubeconfig').hint).toBe('this key is required');
    expect(e.problems).toHaveLength(4);
    expectListed(e);
  });

  it('gives ONE error listing every problem of a file, each with its path', async () => {
    const e = await configError('many-problems.yaml');
    expect(problemAt(e, 'environments.dev.kcp.kubeconfig').message).toMatch(/absolute path/);
    problemAt(e, 'environments.dev.keb.url', /URL/i);
    problemAt(e, 'environments.dev.targets.Kyma_Test');
    expect(problemAt(e, 'environments.dev.skrAccess').hint).toBe('one of "kcp-secret", "gardener", "kcp-secret-then-gardener"');
    expect(problemAt(e, 'environments.dev.onConflict').hint).toBe('one of "hold", "proceed"');
    problemAt(e, 'environments.dev.limits.concurrency', />=\s*1/);
    expect(e.problems).toHaveLength(6);
    expectListed(e);
  });

  // The issue: every problem comes with a hint.
  it('gives every problem a hint', async () => {
    for (const name of ['many-problems.yaml', 'bad-budget.yaml', 'bad-journal.yaml', 'malformed.yaml']) {
      const e = await configError(name);
      expect(e.problems.filter((p) => !p.hint).map((p) => `${name} ${p.path}: ${p.message}`)).toEqual([]);
    }
  });

  it('rejects budgets that are neither a positive count nor a percentage', async () => {
    const e = await configError('bad-budget.yaml');
    expect(problemAt(e, 'environments.prod.budgets.wave').message).toMatch(/count .*percentage/);
    problemAt(e, 'globalBudget', />=\s*1/);
    expect(e.problems).toHaveLength(2);
    expectListed(e);
  });

  it('requires exactly one of urlEnv and urlFile for a PostgreSQL journal', async () => {
    const e = await configError('bad-journal.yaml');
    expect(problemAt(e, 'journal.postgres').message).toMatch(/exactly one of urlEnv .* or urlFile/);
  });

  it('requires at least one environment', async () => {
    const e = await configError('no-environments.yaml');
    expect(problemAt(e, 'environments').message).toMatch(/at least one environment/);
    // An empty document is an empty config, not a crash.
    expect(() => validateConfig(undefined, 'empty.yaml')).toThrow(ConfigError);
    let err: unknown;
    try {
      validateConfig(null, 'empty.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.path)).toEqual(['environments']);
  });

  it('refuses a real landscape whose Prod needs approvals but names no approver, with a hint; a simulated one may leave it open', () => {
    const env = (approval: Record<string, unknown>) => ({
      kcp: { kubeconfig: '/k/kcp.yaml' },
      gardener: { kubeconfig: '/k/gardener.yaml', namespace: 'garden-kyma' },
      keb: { url: 'https://keb.example.com', tokenFile: '/k/keb.token' },
      approval,
    });
    let e: unknown;
    try {
      validateConfig({ environments: { prod: env({}), stage: env({ required: true, approvers: [] }), dev: env({}) } }, 'real.yaml');
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(ConfigError);
    const ce = e as ConfigError;
    expect(ce.problems.map((p) => p.path)).toEqual(['environments.stage.approval', 'environments.prod.approval']);
    expect(problemAt(ce, 'environments.prod.approval').hint).toMatch(/approverGroup: S0ONCALL1/);
    expectListed(ce);
    // Named by group or by id: accepted. Not required (dev's default): nothing to name.
    expect(() => validateConfig({ environments: { prod: env({ approverGroup: 'S0ONCALL' }), stage: env({ approvers: ['U1'], required: true }), dev: env({}) } }, 'ok.yaml')).not.toThrow();
    const simEnv = { ...env({}), keb: { url: 'http://127.0.0.1:41234/keb/prod', tokenFile: '/k/keb.token' } };
    expect(() => validateConfig({ simulated: true, environments: { prod: simEnv } }, 'sim.yaml')).not.toThrow();
  });

  it('refuses simulated: true for a landscape whose endpoints are not the simulator\'s (issue 14: it would open Prod)', () => {
    const env = (url: string) => ({ kcp: { kubeconfig: '/k/kcp.yaml' }, gardener: { kubeconfig: '/k/gardener.yaml', namespace: 'garden-kyma' }, keb: { url, tokenFile: '/k/keb.token' } });
    let e: unknown;
    try {
      validateConfig({ simulated: true, environments: { prod: env('https://kyma-env-broker.cp.example.com'), stage: env('http://10.0.0.7:8080/keb/stage'), dev: env('http://127.0.0.1:8080/keb/dev') } }, 'real.yaml');
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(ConfigError);
    const ce = e as ConfigError;
    expect(ce.problems.map((p) => p.path)).toEqual(['environments.stage.keb.url', 'environments.prod.keb.url']);
    expect(ce.problems[0].message).toContain('simulated: true, but stage\'s KEB is not the simulator\'s');
    expect(ce.problems[0].hint).toContain('remove "simulated: true"');
  });

  it('refuses simulated: true when a KCP or Gardener kubeconfig points at a cluster that is not the simulator\'s', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sim-endpoints-'));
    const kubeconfig = (name: string, server: string) => {
      const f = path.join(dir, `${name}.yaml`);
      writeFileSync(f, YAML.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name, cluster: { server } }], users: [], contexts: [] }));
      return f;
    };
    const cfg = {
      simulated: true,
      environments: {
        prod: {
          kcp: { kubeconfig: kubeconfig('kcp', 'https://api.kcp.example.com') },
          gardener: { kubeconfig: kubeconfig('gardener', 'http://127.0.0.1:41234/clusters/prod-gardener'), namespace: 'garden-kyma' },
          keb: { url: 'http://127.0.0.1:41234/keb/prod', tokenFile: '/k/keb.token' },
        },
      },
    };
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, YAML.stringify(cfg));
    const e = await loadConfigFile(file).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).problems.map((p) => p.path)).toEqual(['environments.prod.kcp.kubeconfig']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports a file that is not YAML as one problem, without a stack', async () => {
    const e = await configError('malformed.yaml');
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0].path).toBe('');
    expect(e.problems[0].message).toMatch(/^not valid YAML: .*line \d+/);
    expect(e.message).toContain('(top level): not valid YAML');
    expect(e.message).not.toMatch(/\n\s+at /);
  });

  it('reports a missing file with the reason and how to give one', async () => {
    const file = path.join(FIXTURES, 'does-not-exist.yaml');
    const e: unknown = await loadConfigFile(file).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ConfigError);
    const ce = e as ConfigError;
    expect(ce.file).toBe(file);
    expect(ce.problems).toEqual([{ path: '', message: 'cannot read the file (ENOENT)', hint: 'give --config FILE or set ISTIO_MIGRATE_CONFIG' }]);
    expect(ce.message).toContain(file);
  });

  it('reports a directory given as the file', async () => {
    const e: unknown = await loadConfigFile(FIXTURES).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).problems[0].message).toBe('cannot read the file (EISDIR)');
  });

  describe('configFileFrom', () => {
    it('prefers the --config flag over ISTIO_MIGRATE_CONFIG', () => {
      expect(configFileFrom('/flag.yaml', { ISTIO_MIGRATE_CONFIG: '/env.yaml' })).toBe('/flag.yaml');
    });
    it('uses ISTIO_MIGRATE_CONFIG without a flag', () => {
      expect(configFileFrom(undefined, { ISTIO_MIGRATE_CONFIG: '/env.yaml' })).toBe('/env.yaml');
    });
    it('gives none (the embedded default) without either; an empty variable counts as unset', () => {
      expect(configFileFrom(undefined, {})).toBeUndefined();
      expect(configFileFrom(undefined, { ISTIO_MIGRATE_CONFIG: '' })).toBeUndefined();
    });
  });
});

describe('src/config/config.ts', () => {
  describe('resolveBudget', () => {
    it('takes a percentage of the eligible runtimes, rounded down, at least 1 (C4)', () => {
      expect(resolveBudget('5%', 51)).toBe(2);
      expect(resolveBudget('5%', 10)).toBe(1);
      expect(resolveBudget('5%', 0)).toBe(1);
      expect(resolveBudget('5%', 100)).toBe(5);
      expect(resolveBudget('2.5%', 200)).toBe(5);
      expect(resolveBudget('100%', 7)).toBe(7);
    });
    it('takes a count as it is', () => {
      expect(resolveBudget(3, 1000)).toBe(3);
      expect(resolveBudget(50, 10)).toBe(50);
    });
  });

  describe('concurrencyOf', () => {
    const base = validateConfig({
      environments: Object.fromEntries(
        (['dev', 'stage', 'prod'] as const).map((env) => [
          env,
          {
            kcp: { kubeconfig: `/k/${env}/kcp.yaml` },
            gardener: { kubeconfig: `/k/${env}/gardener.yaml`, namespace: `garden-${env}` },
            keb: { url: `https://keb.${env}.example.com`, tokenFile: `/k/${env}/keb.token` },
            ...(env === 'stage' ? { limits: { concurrency: 32 } } : {}),
            ...(env === 'prod' ? { approval: { approverGroup: 'S0ONCALL' } } : {}),
          },
        ]),
      ),
    });

    it('defaults per environment: dev 16, stage 8, prod 4', () => {
      const noLimits: Config = { ...base, environments: { ...base.environments, stage: { ...base.environments.stage!, limits: { requestsPerSecond: {} } } } };
      expect(concurrencyOf(noLimits, 'dev')).toBe(16);
      expect(concurrencyOf(noLimits, 'stage')).toBe(8);
      expect(concurrencyOf(noLimits, 'prod')).toBe(4);
      expect((['dev', 'stage', 'prod'] as const).map((e) => envDefaults(e).concurrency)).toEqual([16, 8, 4]);
    });
    it('uses the configured limit', () => {
      expect(concurrencyOf(base, 'stage')).toBe(32);
    });
    it('falls back to the default for an environment that is not configured', () => {
      const devOnly: Config = { ...base, environments: { dev: base.environments.dev } };
      expect(concurrencyOf(devOnly, 'prod')).toBe(4);
    });
  });
});
