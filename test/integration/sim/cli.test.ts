import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { runtimesOf } from '../../helpers/sim.js';
import { SCENARIOS, type Env } from '../../../src/sim/types.js';
import { builtBin } from '../../helpers/built-bin.js';

// The `istio-migrate sim` process contract (DESIGN.md C1), through the built binary (`npm test` builds dist/
// before jest runs).

const BIN = builtBin();

interface SimProcess {
  child: ChildProcess;
  /** The parsed ready line; rejects when the process exits first. */
  ready: Promise<Record<string, unknown>>;
  /** Resolves with the exit code and everything printed. */
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function runSim(args: string[]): SimProcess {
  const child = spawn(process.execPath, [BIN, 'sim', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      const nl = stdout.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(stdout.slice(0, nl)) as Record<string, unknown>);
    });
    void exited.then((r) => reject(new Error(`sim exited with ${r.code} before it was ready: ${r.stderr}`)));
  });
  ready.catch(() => undefined); // callers that only expect an exit never await it
  return { child, ready, exited };
}

function tmpDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'istio-migrate-cli-'));
}

/** The bearer token of a cluster, from the kubeconfig the simulator wrote. */
function tokenOf(kubeconfig: string): string {
  return (YAML.parse(readFileSync(kubeconfig, 'utf8')) as { users: Array<{ user: { token: string } }> }).users[0].user.token;
}

describe('src/main.ts sim (the C1 process contract)', () => {
  describe('with defaults', () => {
    let dir: string;
    let proc: SimProcess;
    let ready: Record<string, unknown>;
    beforeAll(async () => {
      dir = tmpDir();
      proc = runSim(['--out', dir]);
      ready = await proc.ready;
    });
    afterAll(async () => {
      if (proc.child.exitCode === null) proc.child.kill('SIGTERM');
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    });

    it('prints one ready line with port, absolute out, seed 1, profile mixed and 60 runtimes split 6/18/36', () => {
      expect(ready).toEqual({ ready: true, port: expect.any(Number), out: dir, seed: 1, profile: 'mixed', runtimes: 60 });
      expect(ready.port).toBeGreaterThan(0);
      const count = (env: Env) => runtimesOf(dir).filter((r) => r.env === env).length;
      expect([count('dev'), count('stage'), count('prod')]).toEqual([6, 18, 36]);
      // config.yaml carries time scale 1 (the default) and unscaled deadlines.
      // With a journal of its own beside it: `plan … --config DIR/config.yaml` from any folder (the repository's,
      // where `npm start` keeps the embedded landscape's journal under data/) neither meets another landscape's
      // journal nor leaves one in the working folder.
      expect(YAML.parse(readFileSync(path.join(dir, 'config.yaml'), 'utf8'))).toMatchObject({ simulated: true, timeScale: 1, timing: { deadlineSeconds: 510 }, journal: { sqlite: { file: path.join(path.resolve(dir), 'journal.db') } } });
    });

    it('exits 0 on SIGTERM, having printed nothing else on stdout', async () => {
      proc.child.kill('SIGTERM');
      const r = await proc.exited;
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
    });
  });

  describe('--profile scenarios', () => {
    let dir: string;
    let proc: SimProcess;
    let ready: Record<string, unknown>;
    let base: string;
    beforeAll(async () => {
      dir = tmpDir();
      proc = runSim(['--out', dir, '--profile', 'scenarios', '--time-scale', '0.01', '--seed', '7']);
      ready = await proc.ready;
      base = `http://127.0.0.1:${ready.port as number}`;
    });
    afterAll(async () => {
      proc.child.kill('SIGTERM');
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    });

    const get = (url: string, token?: string, init: RequestInit = {}) =>
      fetch(`${base}${url}`, { ...init, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) } });
    const stats = async () => (await (await fetch(`${base}/sim/stats`)).json()) as { requests: number; byCluster: Record<string, number>; kymaWrites: Record<string, number> };

    it('raises N to 180 for the profile (the stderr note is checked at exit)', () => {
      expect(ready).toMatchObject({ profile: 'scenarios', runtimes: 180, seed: 7 });
      expect(runtimesOf(dir)).toHaveLength(180);
    });

    it('writes config.yaml, the kubeconfigs and runtimes.json with every field, kubeconfig null where none exists', () => {
      expect(existsSync(path.join(dir, 'config.yaml'))).toBe(true);
      const runtimes = runtimesOf(dir);
      for (const env of ['dev', 'stage', 'prod'] as const) {
        for (const f of ['kcp.yaml', 'gardener.yaml']) expect(existsSync(path.join(dir, 'kubeconfigs', env, f))).toBe(true);
        expect(new Set(runtimes.filter((r) => r.env === env).map((r) => r.scenario))).toEqual(new Set(SCENARIOS));
      }
      for (const r of runtimes) {
        expect(Object.keys(r).sort()).toEqual(['env', 'globalAccountId', 'instanceId', 'kubeconfig', 'plan', 'region', 'runtimeId', 'scenario', 'shootName', 'state', 'subaccountId'].sort());
        if (r.scenario === 'skr-no-secret' || r.scenario === 'suspended') expect(r.kubeconfig).toBeNull();
        else {
          expect(r.kubeconfig).toBe(path.join(dir, 'kubeconfigs', r.env, `${r.runtimeId}.yaml`));
          expect(existsSync(r.kubeconfig!)).toBe(true);
        }
      }
      const kcp = YAML.parse(readFileSync(path.join(dir, 'kubeconfigs', 'dev', 'kcp.yaml'), 'utf8'));
      expect(kcp.clusters[0].cluster).toEqual({ server: `https://127.0.0.1:${ready.port as number}/clusters/dev-kcp`, 'insecure-skip-tls-verify': true });
    });

    it('answers 401 to a missing or wrong bearer token', async () => {
      const kcp = path.join(dir, 'kubeconfigs', 'dev', 'kcp.yaml');
      expect((await get('/clusters/dev-kcp/version')).status).toBe(401);
      const wrong = await get('/clusters/dev-kcp/version', 'not-the-token');
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
      // A token is per cluster: KCP's does not open Gardener.
      expect((await get('/clusters/dev-gardener/version', tokenOf(kcp))).status).toBe(401);
      expect((await get('/clusters/dev-kcp/version', tokenOf(kcp))).status).toBe(200);
    });

    it('counts requests per cluster (discovery and /version included) and client writes of SKR Kymas only', async () => {
      const fresh = runtimesOf(dir).find((r) => r.env === 'dev' && r.scenario === 'fresh')!;
      const token = tokenOf(fresh.kubeconfig!);
      const kcpToken = tokenOf(path.join(dir, 'kubeconfigs', 'dev', 'kcp.yaml'));
      const kyma = `/clusters/${fresh.runtimeId}/apis/operator.kyma-project.io/v1beta2/namespaces/kyma-system/kymas`;
      const merge = (url: string, tok: string, body: unknown) =>
        get(url, tok, { method: 'PATCH', body: JSON.stringify(body), headers: { 'Content-Type': 'application/merge-patch+json' } });

      // C1's three fields exactly; `reconciles` (controller passes, added after C1) is checked in behaviour-lm/-operator.
      const c1 = ({ reconciles, ...rest }: Record<string, unknown>) => {
        expect(typeof reconciles).toBe('object');
        return rest;
      };
      expect(c1(await (await fetch(`${base}/sim/stats/reset`, { method: 'POST' })).json())).toEqual({ requests: 0, byCluster: {}, kymaWrites: {} });
      await get(`/clusters/${fresh.runtimeId}/version`, token);
      await get(`/clusters/${fresh.runtimeId}/apis`, token);
      await get(`/clusters/${fresh.runtimeId}/api/v1`, token);
      await get('/keb/dev/runtimes', readFileSync(path.join(dir, 'tokens', 'dev-keb.token'), 'utf8').trim());
      expect(c1(await stats())).toEqual({ requests: 4, byCluster: { [fresh.runtimeId]: 3, 'keb-dev': 1 }, kymaWrites: {} });

      expect((await merge(`${kyma}/default`, token, { metadata: { labels: { team: 'sre' } } })).status).toBe(200); // counts
      expect((await merge(`${kyma}/default/status`, token, { status: { state: 'Ready' } })).status).toBe(200); // status: not counted
      const created = await get(kyma, token, { method: 'POST', body: JSON.stringify({ metadata: { name: 'second' }, spec: { channel: 'fast' } }), headers: { 'Content-Type': 'application/json' } });
      expect(created.status).toBe(201); // counts
      expect((await merge(`${kyma}/missing`, token, {})).status).toBe(404); // failed: not counted
      const istios = `/clusters/${fresh.runtimeId}/apis/operator.kyma-project.io/v1alpha2/namespaces/kyma-system/istios`;
      await get(istios, token, { method: 'POST', body: JSON.stringify({ metadata: { name: 'x' } }), headers: { 'Content-Type': 'application/json' } }); // another kind
      await merge(`/clusters/dev-kcp/apis/operator.kyma-project.io/v1beta2/namespaces/kcp-system/kymas/${fresh.runtimeId}`, kcpToken, { metadata: { labels: { a: 'b' } } }); // KCP
      const s = await stats();
      expect(s.kymaWrites).toEqual({ [fresh.runtimeId]: 2 });
      expect(s.requests).toBe(10);
      expect(s.byCluster).toEqual({ [fresh.runtimeId]: 8, 'dev-kcp': 1, 'keb-dev': 1 });

      await fetch(`${base}/sim/stats/reset`, { method: 'POST' });
      expect(c1(await stats())).toEqual({ requests: 0, byCluster: {}, kymaWrites: {} });
    });

    it('says on stderr that it raised N, and gives the same runtimes.json for the same seed, profile and N', async () => {
      proc.child.kill('SIGTERM');
      const first = await proc.exited;
      expect(first.code).toBe(0);
      expect(first.stderr).toMatch(/raised the runtime count from 60 to 180/);

      // Another process, the same seed, profile and N (here raised to 180 again; another seed is a unit test's job).
      const again = tmpDir();
      try {
        const same = runSim(['--out', again, '--profile', 'scenarios', '--seed', '7']);
        await same.ready;
        same.child.kill('SIGTERM');
        expect((await same.exited).code).toBe(0);
        // kubeconfig paths name the output directory; everything else must be byte-identical.
        const read = (d: string) => readFileSync(path.join(d, 'runtimes.json'), 'utf8').split(d).join('<out>');
        expect(read(again)).toBe(read(dir));
      } finally {
        rmSync(again, { recursive: true, force: true });
      }
    });
  });

  // Concurrent: each is a process start, and they share nothing.
  it.concurrent.each([
    ['--runtimes abc', ['--runtimes', 'abc'], /--runtimes must be an integer/],
    ['--profile nope', ['--profile', 'nope'], /unknown profile or scenario "nope"/],
    ['--time-scale -1', ['--time-scale', '-1'], /--time-scale must be a positive number/],
    ['an unknown flag', ['--bogus'], /unknown option '--bogus'/],
    ['--kcp 2024', ['--kcp', '2024'], /--kcp[\s\S]*2024[\s\S]*2023, current/],
  ])('exits 2 with the reason on stderr for %s', async (_name, args, reason) => {
    const dir = tmpDir();
    try {
      const r = await runSim(['--out', dir, ...args]).exited;
      expect(r).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(reason) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // --kcp (an addition to C1): today's LM serves ModuleReleaseMetas; the ready line stays as C1 has it.
  it.concurrent('--kcp current stands up today\'s Lifecycle Manager (ModuleReleaseMeta on KCP); the default is 2023', async () => {
    const dirs = [tmpDir(), tmpDir()];
    const procs = [runSim(['--out', dirs[0], '--runtimes', '10', '--kcp', 'current']), runSim(['--out', dirs[1], '--runtimes', '10'])];
    try {
      const statuses: number[] = [];
      for (const [i, p] of procs.entries()) {
        const ready = await p.ready;
        expect(Object.keys(ready).sort()).toEqual(['out', 'port', 'profile', 'ready', 'runtimes', 'seed']);
        const kc = path.join(dirs[i], 'kubeconfigs', 'dev', 'kcp.yaml');
        const res = await fetch(`http://127.0.0.1:${ready.port as number}/clusters/dev-kcp/apis/operator.kyma-project.io/v1beta2/namespaces/kcp-system/modulereleasemetas`, { headers: { authorization: `Bearer ${tokenOf(kc)}` } });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([200, 404]);
    } finally {
      for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGTERM');
      await Promise.all(procs.map((p) => p.exited));
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });

  it.concurrent('exits 2 without --out', async () => {
    const r = await runSim([]).exited;
    expect(r).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/required option '--out <dir>' not specified/) });
  });
});
