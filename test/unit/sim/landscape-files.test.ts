import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { landscapeConfigSchema } from '../../../src/config/environments.js';
import { configSchema } from '../../../src/config/config.js';
import { writeSimFiles, type RuntimeFileEntry, type SimFilesContext } from '../../../src/sim/landscape/files.js';
import { generateLandscape } from '../../../src/sim/landscape/generate.js';
import { ENVS } from '../../../src/sim/types.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'istio-migrate-files-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function context(port: number, timeScale = 1): SimFilesContext {
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    tokenFor: (id) => `tok-${id}`,
    referenceTime: Date.UTC(2023, 10, 21),
    port,
    timeScale,
    kebTokenFor: (env) => `keb-${env}`,
  };
}

describe('src/sim/landscape/files', () => {
  const landscape = generateLandscape({ seed: 1, profile: 'scenarios', runtimes: 180 });

  it('writes a config.yaml the schema accepts, with scaled timing and the doc target sets', async () => {
    const dir = path.join(tmp, 'scenarios');
    await writeSimFiles(dir, landscape, context(4242, 0.01));
    // The whole bot configuration (a landscape, and a journal of its own beside the files).
    const config = configSchema.parse(YAML.parse(readFileSync(path.join(dir, 'config.yaml'), 'utf8')));
    expect(config.journal).toEqual({ sqlite: { file: path.join(path.resolve(dir), 'journal.db') } });

    expect(config.simulated).toBe(true);
    expect(config.timeScale).toBe(0.01);
    expect(config.timing.deadlineSeconds).toBeCloseTo(5.1);
    expect(config.timing.pollIntervalSeconds).toBeCloseTo(0.05);
    const prod = config.environments.prod!;
    expect(prod.kcp.kubeconfig).toBe(path.join(dir, 'kubeconfigs/prod/kcp.yaml'));
    expect(prod.gardener).toEqual({ kubeconfig: path.join(dir, 'kubeconfigs/prod/gardener.yaml'), namespace: 'garden-kyma-prod' });
    expect(prod.keb).toEqual({ url: 'http://127.0.0.1:4242/keb/prod', tokenFile: path.join(dir, 'tokens/prod-keb.token') });
    expect(Object.keys(prod.targets).sort()).toEqual(['all', 'factory', 'kyma-integration', 'kyma-test', 'trial']);
    expect(prod.targets['kyma-test']).toEqual([`account=${landscape.accounts.prod.kymaTest}`]);
    expect(Object.keys(config.environments.stage!.targets).sort()).toEqual(['all', 'canary', 'kyma-integration', 'kyma-test', 'trial']);
    expect(readFileSync(prod.keb.tokenFile, 'utf8').trim()).toBe('keb-prod');
    for (const env of ENVS) {
      expect(YAML.parse(readFileSync(path.join(dir, 'kubeconfigs', env, 'kcp.yaml'), 'utf8')).clusters[0].cluster.server).toBe(`http://127.0.0.1:4242/clusters/${env}-kcp`);
      expect(existsSync(path.join(dir, 'kubeconfigs', env, 'gardener.yaml'))).toBe(true);
    }
  });

  it('writes runtimes.json with a kubeconfig path wherever one exists', () => {
    const dir = path.join(tmp, 'scenarios');
    const entries = JSON.parse(readFileSync(path.join(dir, 'runtimes.json'), 'utf8')) as RuntimeFileEntry[];
    expect(entries).toHaveLength(landscape.runtimes.length);
    expect(Object.keys(entries[0]).sort()).toEqual(
      ['env', 'runtimeId', 'instanceId', 'shootName', 'globalAccountId', 'subaccountId', 'plan', 'region', 'state', 'scenario', 'kubeconfig'].sort(),
    );
    for (const e of entries) {
      if (e.scenario === 'skr-no-secret' || e.scenario === 'suspended') {
        expect(e.kubeconfig).toBeNull();
        expect(existsSync(path.join(dir, 'kubeconfigs', e.env, `${e.runtimeId}.yaml`))).toBe(false);
      } else {
        expect(e.kubeconfig).toBe(path.join(dir, 'kubeconfigs', e.env, `${e.runtimeId}.yaml`));
        expect(YAML.parse(readFileSync(e.kubeconfig!, 'utf8')).users[0].user.token).toBe(`tok-${e.runtimeId}`);
      }
    }
  });

  // The time it takes is bench:sim's figure (no timed assertions in tests).
  it('writes the files of 10,000 runtimes', async () => {
    const big = generateLandscape({ seed: 2, profile: 'mixed', runtimes: 10_000 });
    const base = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/istio-migrate-files-') : tmp;
    const dir = path.join(base, 'big');
    await writeSimFiles(dir, big, context(1));
    const written = ENVS.reduce((n, env) => n + readdirSync(path.join(dir, 'kubeconfigs', env)).length, 0);
    expect(written).toBe(big.runtimes.filter((r) => r.scenario !== 'skr-no-secret' && r.scenario !== 'suspended').length + 2 * ENVS.length);
    expect(statSync(path.join(dir, 'runtimes.json')).size).toBeGreaterThan(1_000_000);
    if (base !== tmp) rmSync(base, { recursive: true, force: true });
  });
});

describe('src/config/landscape', () => {
  const env = {
    kcp: { kubeconfig: '/x/kcp.yaml' },
    gardener: { kubeconfig: '/x/gardener.yaml', namespace: 'garden-kyma-dev' },
    keb: { url: 'http://127.0.0.1:1/keb/dev', tokenFile: '/x/dev-keb.token' },
  };

  it('fills in defaults for a minimal real config', () => {
    const config = landscapeConfigSchema.parse({ environments: { dev: env } });
    expect(config).toEqual({ simulated: false, timeScale: 1, timing: { deadlineSeconds: 510, pollIntervalSeconds: 5 }, environments: { dev: { ...env, targets: {} } } });
  });

  it.each([
    ['a typo key', { environments: { dev: { ...env, kcp: { kubeconfg: '/x' } } } }, ['environments', 'dev', 'kcp'], /kubeconfg/],
    ['a typo at the top', { environment: {} }, [], /environment/],
    ['no environment', { environments: {} }, ['environments'], /at least one environment/],
    ['a relative path', { environments: { dev: { ...env, kcp: { kubeconfig: 'kcp.yaml' } } } }, ['environments', 'dev', 'kcp', 'kubeconfig'], /absolute/],
    ['an empty target set', { environments: { dev: { ...env, targets: { canary: [] } } } }, ['environments', 'dev', 'targets', 'canary'], /too small|>=1/i],
  ])('rejects %s with its path', (_name, input, where, message) => {
    const r = landscapeConfigSchema.safeParse(input);
    expect(r.success).toBe(false);
    const issue = r.error!.issues.find((i) => JSON.stringify(i.path) === JSON.stringify(where));
    expect(issue).toBeDefined();
    expect(`${issue!.message} ${JSON.stringify(issue)}`).toMatch(message);
  });
});
