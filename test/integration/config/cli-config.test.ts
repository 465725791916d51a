import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { runtimesOf, startTestSim, type TestSim } from '../../helpers/sim.js';
import { runBin } from '../../helpers/built-bin.js';
import { openJournal } from '../../../src/journal/open-journal.js';

// The configuration as the shell sees it (DESIGN.md §3, C3, C6), through the built binary (`npm test` builds
// dist/ before jest runs).

const FIXTURES = path.resolve('test/fixtures/config');

/** Runs the binary with a clean environment (no ISTIO_MIGRATE_CONFIG unless given, no jest NODE_OPTIONS). */
const cli = (args: string[], opts: { cwd: string; env?: Record<string, string> }) => runBin(args, { cwd: opts.cwd, env: { ISTIO_MIGRATE_USER: 'sre-1', ...opts.env } });

const tmpDir = () => mkdtempSync(path.join(os.tmpdir(), 'istio-migrate-cli-config-'));

/** The bearer token of a cluster, from a kubeconfig the simulator wrote. */
function tokenOf(kubeconfig: string): string {
  return (YAML.parse(readFileSync(kubeconfig, 'utf8')) as { users: Array<{ user: { token: string } }> }).users[0].user.token;
}

describe('src/main.ts and src/app/services.ts: the configuration in the shell', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = tmpDir();
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('exits 2 on an invalid --config and prints every problem on stderr before touching anything', async () => {
    const cwd = dir();
    const r = await cli(['plan', 'dev', 'all', '--config', path.join(FIXTURES, 'many-problems.yaml')], { cwd });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(path.join(FIXTURES, 'many-problems.yaml'));
    for (const p of ['environments.dev.kcp.kubeconfig', 'environments.dev.keb.url', 'environments.dev.targets.Kyma_Test', 'environments.dev.skrAccess', 'environments.dev.limits.concurrency', 'environments.dev.onConflict']) {
      expect(r.stderr).toContain(`${p}: `);
    }
    expect(r.stderr).toContain('one of "hold", "proceed"');
    // Nothing was started or written: no embedded landscape, no journal.
    expect(r.stderr).not.toMatch(/embedded/);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('exits 2 on unknown keys and on a file that is not YAML or does not exist', async () => {
    const cwd = dir();
    const typos = await cli(['plan', 'stage', 'all', '--config', path.join(FIXTURES, 'typos.yaml')], { cwd });
    expect(typos.code).toBe(2);
    expect(typos.stderr).toMatch(/unknown key "enviroments"/);
    expect(typos.stderr).toMatch(/environments\.stage: unknown key "limts"/);
    expect(typos.stderr).toMatch(/environments\.stage\.kcp: unknown key "kubeconfg"/);

    const malformed = await cli(['status', '--config', path.join(FIXTURES, 'malformed.yaml')], { cwd });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/not valid YAML/);

    const missing = await cli(['status', '--config', path.join(cwd, 'nope.yaml')], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the file \(ENOENT\)/);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('reads ISTIO_MIGRATE_CONFIG when no --config is given', async () => {
    const cwd = dir();
    const r = await cli(['status', '--json'], { cwd, env: { ISTIO_MIGRATE_CONFIG: path.join(FIXTURES, 'bad-budget.yaml') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('environments.prod.budgets.wave');
    expect(r.stderr).toContain('globalBudget');
  });

  it('without any configuration, says it uses the embedded simulated landscape and works in ./data (its journal made by the first plan, not by status)', async () => {
    const cwd = dir();
    const r = await cli(['status', '--json'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/embedded simulated landscape/);
    expect((JSON.parse(r.stdout) as { error: string }).error).toContain(`no journal at ${path.join(cwd, 'data', 'journal.db')}`);
    expect(readdirSync(cwd)).toEqual(['data']);
    expect(readdirSync(path.join(cwd, 'data'))).toEqual(['sim']);
    const planned = await cli(['plan', 'dev', 'all', '--json'], { cwd });
    expect(planned.code).toBe(0);
    expect(planned.stderr).toContain(`created a new, empty journal at ${path.join(cwd, 'data', 'journal.db')}`);
    const again = await cli(['status', '--json'], { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('{"waves":[],"frozen":[]}\n');
    expect(readdirSync(path.join(cwd, 'data'))).toEqual(expect.arrayContaining(['journal.db', 'sim']));
  });

  describe('with a simulated landscape', () => {
    let sim: TestSim;
    let configFile: string;
    let cwd: string;
    beforeAll(async () => {
      sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
      cwd = dir();
      const cfg = YAML.parse(readFileSync(path.join(sim.out, 'config.yaml'), 'utf8')) as Record<string, unknown>;
      cfg.journal = { sqlite: { file: path.join(cwd, 'journal.db') } };
      configFile = path.join(cwd, 'config.yaml');
      writeFileSync(configFile, YAML.stringify(cfg));
      // The journal exists, as after a first plan: `status` reads an existing journal only.
      await (await openJournal({ kind: 'sqlite', file: path.join(cwd, 'journal.db') })).close();
    });
    afterAll(async () => {
      await sim.close();
    });

    it('prefers --config over ISTIO_MIGRATE_CONFIG', async () => {
      const r = await cli(['status', '--json', '--config', configFile], { cwd, env: { ISTIO_MIGRATE_CONFIG: path.join(FIXTURES, 'many-problems.yaml') } });
      expect(r.stderr).not.toMatch(/invalid configuration/);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('{"waves":[],"frozen":[]}\n');
    });

    it('never prints a secret: neither the KEB token nor a kubeconfig token appears in a plan --json run', async () => {
      const r = await cli(['plan', 'dev', 'all', '--json', '--config', configFile], { cwd });
      expect(r.stderr).not.toMatch(/invalid configuration/);
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      const doc = JSON.parse(lines[0]) as { hash: string; env: string; runtimes: unknown[] };
      expect(doc.env).toBe('dev');
      expect(doc.runtimes.length).toBeGreaterThan(0);

      const secrets = [
        ...(['dev', 'stage', 'prod'] as const).map((env) => readFileSync(path.join(sim.out, 'tokens', `${env}-keb.token`), 'utf8').trim()),
        ...(['dev', 'stage', 'prod'] as const).flatMap((env) => (['kcp', 'gardener'] as const).map((c) => tokenOf(path.join(sim.out, 'kubeconfigs', env, `${c}.yaml`)))),
        ...runtimesOf(sim.out)
          .filter((rt) => rt.env === 'dev' && rt.kubeconfig)
          .map((rt) => tokenOf(rt.kubeconfig!)),
      ];
      expect(secrets.every((s) => s.length >= 16)).toBe(true);
      const printed = r.stdout + r.stderr;
      expect(secrets.filter((s) => printed.includes(s))).toEqual([]);
    });
  });
});
