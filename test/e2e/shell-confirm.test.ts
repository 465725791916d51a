/**
 * C5 at a real terminal: the built binary under a pseudo-TTY (util-linux `script`) asks "Proceed? [y/N]" on
 * stderr before `run` without --yes changes clusters; only y/yes goes ahead, anything else exits 1 "not confirmed".
 * Without a TTY and without --yes it refuses without asking.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeWith, requireCommand } from '../helpers/needs.js';
import { runtimeOf, startTestSim, type TestSim } from '../helpers/sim.js';
import { builtBin } from '../helpers/built-bin.js';

const BIN = builtBin();

function sh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Runs the binary with `args`; `tty`: under `script` (stdin, stdout and stderr a terminal), typing `input`. */
function runBin(args: string[], opts: { tty: boolean; input: string }): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ISTIO_MIGRATE_USER: 'sre-1' };
    const child = opts.tty
      ? spawn('script', ['-qefc', [process.execPath, BIN, ...args].map(sh).join(' '), '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
    child.stdin.end(opts.input);
  });
}

// Needs util-linux `script` for the pseudo-TTY: fails under CI=true without it, skips visibly elsewhere.
describeWith(requireCommand('script', ['--version'], 'install util-linux (apt-get install util-linux) for `script`'), 'istio-migrate run at a terminal without --yes (C5)', () => {
  let sim: TestSim;
  let cfg: string;
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
    cfg = path.join(sim.out, 'config.yaml');
    appendFileSync(cfg, `\njournal: {sqlite: {file: ${JSON.stringify(path.join(mkdtempSync(path.join(os.tmpdir(), 'confirm-')), 'journal.db'))}}}\n`);
  });
  afterAll(async () => {
    await sim.close();
  });

  it('asks, and anything but y/yes exits 1 "not confirmed" without a wave', async () => {
    const rt = runtimeOf(sim.out, 'dev', 'fresh').runtimeId;
    const r = await runBin(['run', 'dev', `runtime-id=${rt}`, '--config', cfg], { tty: true, input: 'n\n' });
    expect(r.out).toContain(`run dev runtime-id=${rt}: migrate 1 runtime as a new wave`);
    expect(r.out).toContain('Proceed? [y/N]');
    expect(r.out).toContain('run: not confirmed');
    expect(r.code).toBe(1);
    expect(Object.keys(sim.sim.getStats().kymaWrites)).toHaveLength(0);
  });

  it('without a terminal and without --yes: refused, nothing asked', async () => {
    const rt = runtimeOf(sim.out, 'dev', 'fresh').runtimeId;
    const r = await runBin(['run', 'dev', `runtime-id=${rt}`, '--config', cfg], { tty: false, input: 'y\n' });
    expect(r.code).toBe(1);
    expect(r.out).toContain('confirm with --yes (no terminal to ask)');
    expect(r.out).not.toContain('Proceed?');
  });

  it('y runs the wave', async () => {
    const rt = runtimeOf(sim.out, 'dev', 'fresh').runtimeId;
    const r = await runBin(['run', 'dev', `runtime-id=${rt}`, '--config', cfg], { tty: true, input: 'y\n' });
    expect(r.out).toContain('Proceed? [y/N]');
    expect(r.out).toMatch(/dev-\d{8}-1 finished — migrated 1/);
    expect(r.code).toBe(0);
    expect(sim.sim.getStats().kymaWrites[rt]).toBe(1);
  });
});
