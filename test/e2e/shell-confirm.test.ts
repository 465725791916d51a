/**
 * C5 at a real terminal: the built binary under a pseudo-TTY (util-linux `script`) asks "Proceed? [y/N]" on
 * stderr before `run` without --yes changes clusters; only y/yes goes ahead, anything else exits 1 "not confirmed".
 * Without a TTY and without --yes it refuses without asking.
 * Issue 17 item 8: at a terminal a live progress line (counts, in flight, ETA, budget left) then the summary;
 * piped, plain `[N/M]` lines instead.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeWith, requireCommand } from '../helpers/needs.js';
import { runtimeOf, runtimesOf, startTestSim, type TestSim } from '../helpers/sim.js';
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
    cfg = path.join(sim.out, 'config.yaml'); // with the landscape's own journal beside it
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

  // Issue 17 item 8: at a terminal one live line `<wave> N/M done · K in flight · ETA … · budget X of Y left`
  // redrawn in place (\r, erase line), cleared before the summary; piped, plain `[N/M] <runtime> …` lines.
  it('at a terminal: a live progress line with counts, redrawn in place, then the summary', async () => {
    const rts = (['with-keda', 'existing-default', 'custom-cr'] as const).map((sc) => runtimeOf(sim.out, 'dev', sc).runtimeId);
    const r = await runBin(['run', 'dev', ...rts.map((rt) => `runtime-id=${rt}`), '--yes', '--config', cfg], { tty: true, input: '' });
    // custom-cr needs the customer (an older Istio CR): exit 3 (C5), and its line is printed above the live line.
    expect(r.code).toBe(3);
    expect(r.out).toMatch(new RegExp(`\\r\\x1b\\[K${rts[2]} [a-z-]+(/[a-z-]+)?: [^\\r\\n]+\\r?\\n`));
    const lines = [...r.out.matchAll(new RegExp(`\\r\\x1b\\[K(dev-\\d{8}-\\d+ \\d+/3 done · \\d+ in flight · ETA [^·]+ · budget \\d+ of \\d+ left)`, 'g'))].map((m) => m[1]);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^dev-\d{8}-\d+ [0-3]\/3 done · [0-3] in flight · ETA (…|—|~.+) · budget \d+ of \d+ left$/);
    // Counts move: the line showed runtimes in flight, and its last state is all done with nothing in flight.
    expect(lines.some((l) => !/ 0 in flight/.test(l))).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/ 3\/3 done · 0 in flight · ETA — · /);
    // The summary follows the cleared line: the wave, how it ended, its counts and the runtimes of the run.
    const waveId = lines[0].split(' ')[0];
    const end = r.out.slice(r.out.lastIndexOf('\r\x1b[K'));
    expect(end).toMatch(new RegExp(`^\\r\\x1b\\[K(\\r?\\n)*${waveId} finished — .*\\(3 runtimes, [^)]* here\\)`, 'm'));
    // No plain per-runtime counter lines at a terminal.
    expect(r.out).not.toMatch(/\[\d+\/3\] /);
  });

  it('piped (no terminal): plain lines with counts, no live line, then the summary', async () => {
    const rts = (['fresh', 'with-keda', 'existing-default'] as const).map((sc) => runtimesOf(sim.out).filter((x) => x.env === 'dev' && x.scenario === sc).at(-1)!.runtimeId);
    const r = await runBin(['run', 'dev', ...rts.map((rt) => `runtime-id=${rt}`), '--yes', '--config', cfg], { tty: false, input: '' });
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('\x1b[');
    expect(r.out).not.toContain('\r');
    expect(r.out).not.toContain(' in flight · ETA');
    const plain = r.out.split('\n').filter((l) => /^\[\d\/3\] /.test(l));
    expect(plain.map((l) => l.slice(0, 5)).sort()).toEqual(['[1/3]', '[2/3]', '[3/3]']);
    for (const rt of rts) expect(plain.some((l) => l.includes(rt))).toBe(true);
    expect(r.out).toMatch(/dev-\d{8}-\d+ finished — .*\(3 runtimes, [^)]* here\)/);
  });
});
