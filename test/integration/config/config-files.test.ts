/**
 * src/app/services.ts checkConfigFiles, through the built binary (issue 17 §7): a configuration naming kubeconfig or
 * token files that do not exist reports every one at once, with its path and a hint, exit 2 — no raw ENOENT. And the
 * plan's "run it:" hint keeps the --config it was made with.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestSim, writeSimConfig, type TestSim } from '../../helpers/sim.js';
import { runBin } from '../../helpers/built-bin.js';


const cli = (args: string[], cwd: string) => runBin(args, { cwd, env: { ISTIO_MIGRATE_USER: 'sre-1' } });

describe('src/app/services.ts: files a configuration names', () => {
  let sim: TestSim;
  let cwd: string;
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
    cwd = mkdtempSync(path.join(os.tmpdir(), 'config-files-'));
  });
  afterAll(async () => {
    await sim?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('a missing kubeconfig and a missing token file: every problem at once, with its path and a hint, exit 2', async () => {
    const file = writeSimConfig(sim, 'config-files', (cfg, dir) => {
      (cfg.environments.dev.kcp as { kubeconfig: string }).kubeconfig = path.join(dir, 'nowhere', 'kcp.yaml');
      (cfg.environments.stage.keb as { tokenFile: string }).tokenFile = path.join(dir, 'nowhere', 'keb.token');
    });
    const r = await cli(['plan', 'dev', 'all', '--config', file], cwd);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`invalid configuration ${file}`);
    expect(r.stderr).toMatch(/environments\.dev\.kcp\.kubeconfig: the KCP kubeconfig of dev \S+nowhere\/kcp\.yaml does not exist \(.+\)/);
    expect(r.stderr).toMatch(/environments\.stage\.keb\.tokenFile: the KEB token file of stage \S+nowhere\/keb\.token does not exist \(.+\)/);
    expect(r.stderr).not.toMatch(/ENOENT/);
    expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
  });

  it('a schema problem and a missing file: both in the one report (not the file only after the schema is fixed)', async () => {
    const file = writeSimConfig(sim, 'config-files-both', (cfg, dir) => {
      (cfg.environments.dev.kcp as { kubeconfig: string }).kubeconfig = path.join(dir, 'nowhere', 'kcp.yaml');
      cfg.environments.stage.budgets = { wave: 'many' };
    });
    const r = await cli(['plan', 'dev', 'all', '--config', file], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('environments.stage.budgets.wave');
    expect(r.stderr).toMatch(/environments\.dev\.kcp\.kubeconfig: the KCP kubeconfig of dev \S+nowhere\/kcp\.yaml does not exist/);
  });

  it('with --json, the same problems also as the one JSON line on stdout (C3)', async () => {
    const file = writeSimConfig(sim, 'config-files-json', (cfg, dir) => {
      (cfg.environments.dev.kcp as { kubeconfig: string }).kubeconfig = path.join(dir, 'nowhere', 'kcp.yaml');
    });
    const r = await cli(['status', '--json', '--config', file], cwd);
    expect(r.code).toBe(2);
    expect(r.stdout.split('\n')).toHaveLength(2); // one line and its newline
    const { error } = JSON.parse(r.stdout) as { error: string };
    expect(error).toContain(`invalid configuration ${file}`);
    expect(error).toMatch(/environments\.dev\.kcp\.kubeconfig: the KCP kubeconfig of dev \S+nowhere\/kcp\.yaml does not exist/);
  });

  it('the plan\'s "run it:" hint keeps the --config it was made with', async () => {
    const file = writeSimConfig(sim, 'config-files-hint');
    const r = await cli(['plan', 'dev', 'all', '--config', file], cwd);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`run it: istio-migrate run --plan [0-9a-f]{12} --config ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
  });
});
