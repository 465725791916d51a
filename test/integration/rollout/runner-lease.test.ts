/**
 * One runner per wave, and `resume` tells the truth about it (issue 14, findings 5 and 6):
 *
 * - two `resume W --yes` at once in ONE process: exactly one runs the wave (the lease holder is a runner, not a
 *   process); every runtime is started once and patched at most once;
 * - after kill -9 of the process running a wave, `resume W --yes` on the same host takes the dead runner's lease
 *   over at once and runs the wave to its end — it never answers that a runner "continues";
 * - a lease held by a runner on another host: `resume` waits, saying so, for the lease to be renewed (then that
 *   runner continues) or to lapse (then it runs the wave here).
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import type { CommandContext, CommandResult } from '../../../commands/types.js';
import { Services } from '../../../src/app/services.js';
import { SqliteJournal } from '../../../src/journal/sqlite/sqlite-journal.js';
import type { WaveStatus } from '../../../src/rollout/wave-status.js';
import { runtimesOf, startTestSim, writeSimConfig, type TestSim } from '../../helpers/sim.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const BIN = path.join(ROOT, 'bin/istio-migrate.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dirs: string[] = [];

function config(sim: TestSim): { configFile: string; journalFile: string } {
  let journalFile = '';
  const configFile = writeSimConfig(sim, 'runner-lease', (cfg, dir) => {
    for (const env of ['dev', 'stage', 'prod']) {
      cfg.environments[env].budgets = { wave: 1000 };
      cfg.environments[env].approval = { required: false };
      cfg.environments[env].limits = { ...(cfg.environments[env].limits as object | undefined), concurrency: 4 };
    }
    journalFile = path.join(dir, 'journal.db');
    dirs.push(dir);
  });
  return { configFile, journalFile };
}

const ctxOf = async (configFile: string, progress?: string[]): Promise<CommandContext> => ({
  user: 'sre-1',
  via: 'shell',
  interactive: false,
  services: await Services.create({ configFile }),
  progress: progress && ((l) => progress.push(l)),
});

/** A Stage wave of every eligible Stage runtime, created as an interrupted one (state running, no lease). */
async function interruptedWave(sim: TestSim, journalFile: string): Promise<{ waveId: string; ids: string[] }> {
  const rts = runtimesOf(sim.out).filter((r) => r.env === 'stage' && r.state === 'succeeded' && ['fresh', 'existing-default', 'with-keda'].includes(r.scenario));
  const j = SqliteJournal.open(journalFile);
  await j.migrate();
  try {
    const wave = await j.createWave(
      { env: 'stage', target: 'all', planHash: 'h', state: 'running', concurrency: 4, requestedBy: 'sre-1', approvedBy: null },
      rts.map((r) => ({ runtimeId: r.runtimeId, shootName: r.shootName, globalAccountId: r.globalAccountId, subaccountId: r.subaccountId, plan: r.plan, region: r.region })),
    );
    return { waveId: wave.waveId, ids: rts.map((r) => r.runtimeId) };
  } finally {
    await j.close();
  }
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('src/rollout/wave-runner.ts + commands/control.ts resume: one runner per wave', () => {
  it('two resumes of one interrupted wave in one process: exactly one runs it, no runtime started or patched twice', async () => {
    const sim = await startTestSim({ profile: 'fresh=50,existing-default=30,with-keda=20', runtimes: 80, seed: 5, timeScale: 0.01 });
    const { configFile, journalFile } = config(sim);
    const { waveId, ids } = await interruptedWave(sim, journalFile);
    expect(ids.length).toBeGreaterThan(10);
    const ctx = await ctxOf(configFile);
    try {
      const results = await Promise.all([dispatch(ctx, 'resume', [waveId, '--yes']), dispatch(ctx, 'resume', [waveId, '--yes'])]);
      const ran = results.filter((r) => r.exitCode === 0);
      const refused = results.filter((r) => r.exitCode === 1);
      expect({ ran: ran.length, refused: refused.length, texts: results.map((r) => r.text) }).toEqual({ ran: 1, refused: 1, texts: expect.any(Array) });
      expect(refused[0].text).toMatch(/being run by|continues/);
      const rows = await (await ctx.services.journal()).listWaveRuntimes(waveId);
      expect(rows.filter((r) => r.attempts !== 1).map((r) => [r.runtimeId, r.attempts])).toEqual([]);
      expect(rows.filter((r) => r.result?.outcome !== 'migrated').map((r) => [r.runtimeId, r.result?.outcome])).toEqual([]);
      const writes = sim.sim.getStats().kymaWrites;
      expect(ids.filter((id) => writes[id] !== 1).map((id) => [id, writes[id] ?? 0])).toEqual([]);
    } finally {
      await ctx.services.close();
      await sim.close();
    }
  }, 90_000);

  it('after kill -9 of the runner, resume on the same host takes its lease over at once and runs the wave to its end', async () => {
    const sim = await startTestSim({ profile: 'fresh=60,existing-default=40', runtimes: 150, seed: 6, timeScale: 0.02 });
    const { configFile, journalFile } = config(sim);
    // A long lease: waiting for it to lapse is not how this resume may get the wave.
    const env = { ...process.env, ISTIO_MIGRATE_LEASE_TTL_MS: '600000', ISTIO_MIGRATE_USER: 'sre-1' };
    const child = spawn(process.execPath, [BIN, 'run', 'stage', 'all', '--yes', '--force', '--json', '--config', configFile], { cwd: ROOT, env, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_c, signal) => resolve(signal)));
    const t0 = Date.now();
    while (Object.keys(sim.sim.getStats().kymaWrites).length < 5 && Date.now() - t0 < 60_000) await sleep(20);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const j = SqliteJournal.open(journalFile);
    const [wave] = await j.listWaves();
    const lease = await j.getLease(wave.waveId);
    await j.close();
    expect(Date.parse(lease!.expiresAt)).toBeGreaterThan(Date.now() + 60_000); // the dead runner's lease is still valid

    const progress: string[] = [];
    const ctx = await ctxOf(configFile, progress);
    try {
      const without = await dispatch(ctx, 'resume', [wave.waveId]);
      expect(without.exitCode).toBe(1);
      expect(without.text).toMatch(/is gone.*confirm with --yes/);
      const res: CommandResult = await dispatch(ctx, 'resume', [wave.waveId, '--yes']);
      expect(res.text).not.toMatch(/continues/);
      const st = res.json as WaveStatus;
      expect({ exit: res.exitCode, state: st.state, pending: st.counts.pending, running: st.counts.running }).toEqual({ exit: 0, state: 'finished', pending: 0, running: 0 });
      expect(progress.join('\n')).toMatch(/is gone .*taken over at once/);
      const writes = sim.sim.getStats().kymaWrites;
      expect(Object.entries(writes).filter(([, n]) => n > 1)).toEqual([]);
    } finally {
      await ctx.services.close();
      await sim.close();
    }
  }, 120_000);

  it.each([
    ['lapses: resume waits for it, saying so, then runs the wave here', false],
    ['is renewed: resume says that runner continues, and runs nothing here', true],
  ])('a lease held on another host that %s', async (_what, renewing) => {
    const sim = await startTestSim({ profile: 'fresh=100', runtimes: 40, seed: 7, timeScale: 0.01 });
    const { configFile, journalFile } = config(sim);
    const { waveId } = await interruptedWave(sim, journalFile);
    const other = 'another-host.example:4242:0badcafe';
    const j = SqliteJournal.open(journalFile);
    await j.acquireLease(waveId, other, 2_000);
    const renew = renewing ? setInterval(() => void j.acquireLease(waveId, other, 2_000), 500) : undefined;
    const progress: string[] = [];
    const ctx = await ctxOf(configFile, progress);
    try {
      const res = await dispatch(ctx, 'resume', [waveId, '--yes']);
      expect(progress.join('\n')).toMatch(/another host; waiting for it to renew its lease or for the lease to lapse/);
      const st = res.json as WaveStatus;
      if (renewing) {
        expect(res.text).toMatch(new RegExp(`runner ${other} continues \\(it renewed its lease`));
        expect(st.counts.pending).toBeGreaterThan(0);
        expect(Object.keys(sim.sim.getStats().kymaWrites)).toEqual([]);
      } else {
        expect(res.text).not.toMatch(/continues/);
        expect({ exit: res.exitCode, state: st.state, pending: st.counts.pending }).toEqual({ exit: 0, state: 'finished', pending: 0 });
      }
    } finally {
      clearInterval(renew);
      await j.close();
      await ctx.services.close();
      await sim.close();
    }
  }, 90_000);
});
