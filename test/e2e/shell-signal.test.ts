/**
 * Ctrl-C or SIGTERM of a shell `run` (the built binary against the simulator): the wave stops as the bot's SIGTERM
 * stops it — no new starts, in-flight runtimes stopped with their checkpoints kept, the wave `interrupted` with
 * its lease released — and the output says how to continue; the exit code is the shell's 128 + the signal's
 * number. `resume` then finishes the wave with every runtime patched once. A signal while no wave runs here
 * (e.g. at the confirmation question) leaves at once.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { SqliteJournal } from '../../src/journal/sqlite/sqlite-journal.js';
import type { WaveStatus } from '../../src/rollout/wave-status.js';
import { runBin } from '../helpers/built-bin.js';
import { runtimesOf, startTestSim, writeSimConfig, type TestSim } from '../helpers/sim.js';
import path from 'node:path';

/** taskrun's eligibility (DESIGN.md §5). */
const ELIGIBLE = ['succeeded', 'error', 'updating', 'upgrading'];

describe('test/e2e/shell-signal (src/main.ts: signals during a shell run)', () => {
  const sims: TestSim[] = [];
  afterAll(async () => {
    for (const s of sims) await s.close();
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s during `run` interrupts the wave gracefully (exit %i, lease released, resume named); resume finishes it, each runtime patched once', async (signal, code) => {
    const sim = await startTestSim({ profile: 'existing-default', runtimes: 90, seed: 5, timeScale: 0.05 });
    sims.push(sim);
    const cfg = writeSimConfig(sim, `shell-${signal}`, (c) => {
      c.environments.dev.limits = { ...(c.environments.dev.limits as object | undefined), concurrency: 3 };
    });
    const journalFile = path.join(path.dirname(cfg), 'journal.db');
    let sent = false;
    const r = await runBin(['run', 'dev', 'all', '--yes', '--config', cfg], {
      env: { ISTIO_MIGRATE_USER: 'sre-signal' },
      onStderr: (text, kill) => {
        // Piped, each finished runtime is a `[N/M]` line: signal once two have finished, with others in flight.
        if (!sent && /^\[2\//m.test(text)) {
          sent = true;
          kill(signal);
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(code);
    const waveId = /wave (\S+) started/.exec(r.stderr)?.[1];
    expect(waveId).toBeDefined();
    expect(r.stderr).toContain(`${signal}: stopping the wave gracefully`);
    // The summary names the state and the next command.
    expect(r.stdout).toMatch(new RegExp(`${waveId} interrupted`));
    expect(r.stdout).toContain(`resume ${waveId} --yes continues it`);

    const journal = SqliteJournal.open(journalFile);
    try {
      const wave = (await journal.getWave(waveId!))!;
      expect(wave.state).toBe('interrupted');
      // Released: the next runner on any host may take it at once (not after the lease's TTL).
      const lease = await journal.getLease(waveId!);
      expect(lease === undefined || Date.parse(lease.expiresAt) <= Date.now()).toBe(true);
      const rows = await journal.listWaveRuntimes(waveId!);
      expect(rows.filter((w) => w.state === 'finished').length).toBeGreaterThanOrEqual(2);
      expect(rows.filter((w) => w.state === 'pending').length).toBeGreaterThan(0);
    } finally {
      await journal.close();
    }

    const resumed = await runBin(['resume', waveId!, '--yes', '--json', '--config', cfg], { env: { ISTIO_MIGRATE_USER: 'sre-signal' } });
    expect(resumed.code).toBe(0);
    const status = JSON.parse(resumed.stdout.trim()) as WaveStatus;
    const dev = runtimesOf(sim.out).filter((rt) => rt.env === 'dev' && ELIGIBLE.includes(rt.state));
    expect(status.state).toBe('finished');
    expect(status.counts.migrated).toBe(dev.length);
    const writes = sim.sim.getStats().kymaWrites;
    expect(dev.filter((rt) => (writes[rt.runtimeId] ?? 0) !== 1).map((rt) => rt.runtimeId)).toEqual([]);
  }, 120_000);
});
