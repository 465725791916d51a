/**
 * Issue 14 finding 9: a malformed kubeconfig's parse error never quotes its content (a token would end up in the
 * result's detail, the journal, Slack and the CSV export), and `sim --out` leaves its kubeconfig and token files at
 * 0600 even when it re-runs into a folder whose older files are looser. Through the built binary (`migrate`,
 * C3) and the simulator's own file writer.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simJson, startTestSim } from '../../helpers/sim.js';
import { builtBin } from '../../helpers/built-bin.js';

const BIN = builtBin();
const TOKEN = 'sk-SECRET-abcdef0123456789';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'secret-files-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ISTIO_MIGRATE_CONFIG: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('src/clients/kube-client.ts — a malformed kubeconfig', () => {
  it.each([
    ['an unterminated quoted token', `apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: "${TOKEN}\n  bad: [\nclusters: {`],
    ['a token in an unclosed flow mapping', `users:\n- name: x\n  user: {token: ${TOKEN}\n`],
  ])('with %s: migrate --json reports where it broke, never its content', async (_what, content) => {
    const file = path.join(tmp(), 'skr.yaml');
    writeFileSync(file, content, { mode: 0o600 });
    const r = await runCli(['migrate', '--kubeconfig', file, '--json', '--timeout', '5']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]) as { outcome: string; reason: string; detail: string };
    expect(result).toMatchObject({ outcome: 'error', reason: 'kubeconfig-unavailable' });
    expect(result.detail).toMatch(/skr kubeconfig is not valid YAML \(parse error at line \d+, column \d+; content not shown\)/);
    for (const fragment of [TOKEN, 'SECRET', 'abcdef', 'token:']) {
      expect(r.stdout).not.toContain(fragment);
      expect(r.stderr).not.toContain(fragment);
    }
  });
});

describe('src/sim/landscape/files.ts — sim --out into an existing folder', () => {
  it('tightens older kubeconfig and token files to 0600, also those of an earlier, larger landscape it does not rewrite', async () => {
    const out = tmp();
    // A previous run's files, left looser (as an older version, a copy or a umask would leave them).
    mkdirSync(path.join(out, 'kubeconfigs', 'prod'), { recursive: true });
    mkdirSync(path.join(out, 'tokens'), { recursive: true });
    const leftover = path.join(out, 'kubeconfigs', 'prod', 'old-runtime.yaml');
    const leftoverToken = path.join(out, 'tokens', 'old-env-keb.token');
    for (const f of [path.join(out, 'kubeconfigs', 'prod', 'kcp.yaml'), path.join(out, 'tokens', 'prod-keb.token'), leftover, leftoverToken]) {
      writeFileSync(f, 'old');
      chmodSync(f, 0o644);
    }
    const sim = await startTestSim({ out });
    try {
      const secretFiles = [
        ...['dev', 'stage', 'prod'].flatMap((env) => readdirSync(path.join(out, 'kubeconfigs', env)).map((f) => path.join(out, 'kubeconfigs', env, f))),
        ...readdirSync(path.join(out, 'tokens')).map((f) => path.join(out, 'tokens', f)),
      ];
      expect(secretFiles.length).toBeGreaterThan(10);
      expect(secretFiles).toEqual(expect.arrayContaining([leftover, leftoverToken]));
      expect((statSync(leftover).mode & 0o777).toString(8)).toBe('600');
      expect((statSync(leftoverToken).mode & 0o777).toString(8)).toBe('600');
      const loose = secretFiles.filter((f) => (statSync(f).mode & 0o777) !== 0o600).map((f) => `${path.relative(out, f)} ${(statSync(f).mode & 0o777).toString(8)}`);
      expect(loose).toEqual([]);
    } finally {
      await sim.close();
    }
  });

  it("the kept state of a landscape (its clusters, KCP's kubeconfig Secrets with bearer tokens among them) is written 0600", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'secret-files-state-'));
    dirs.push(dir);
    const stateDir = path.join(dir, 'state');
    const sim = await startTestSim({ out: path.join(dir, 'out'), stateDir });
    // A cluster is kept once it changed: a write to a KCP (which holds the SKRs' kubeconfig Secrets).
    const res = await simJson(sim, 'dev-kcp', 'POST', '/api/v1/namespaces/kcp-system/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'touched' }, data: { a: 'b' } });
    expect(res.status).toBe(201);
    await sim.close();
    const files = readdirSync(path.join(stateDir, 'clusters')).map((f) => path.join(stateDir, 'clusters', f));
    expect(files.length).toBeGreaterThanOrEqual(1);
    expect(files.some((f) => readFileSync(f, 'utf8').includes('kubeconfig-'))).toBe(true);
    expect(files.filter((f) => (statSync(f).mode & 0o777) !== 0o600).map((f) => `${path.basename(f)} ${(statSync(f).mode & 0o777).toString(8)}`)).toEqual([]);
  });
});
