/**
 * Crash-resume (DESIGN.md §5, C5): the real binary runs a 300+-runtime Prod wave in a child process and is
 * SIGKILLed at seeded random points — before the wave exists, while runtimes are being patched, while they
 * wait for LM, and during a resume — then resumed. At least 3 kills per wave must land while runtimes are in
 * flight (read from the dead runner's journal). Nothing may be patched twice, lost, or reported
 * `already-migrated` because of this wave's own patch.
 *
 * Cost: one 312-runtime wave takes ~10 s of CPU on 2 cores, so the 10 kills are spread over 2 waves (5 kills
 * each, every resume but the last killed too) rather than 10 separate waves: the same crash points, within
 * the time budget, and crashes of a resumed runner are covered as well.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seededRandom } from '../../../src/targets/resolve.js';
import { afterAll, describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import { SqliteJournal } from '../../../src/journal/sqlite/sqlite-journal.js';
import type { WaveStatus } from '../../../src/rollout/wave-status.js';
import { C4_OUTCOMES, expectedOf } from '../../helpers/outcomes.js';
import { runtimesOf, startTestSim, type TestSim } from '../../helpers/sim.js';
import { builtBin } from '../../helpers/built-bin.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const BIN = builtBin();
const WAVES = 2;
const KILLS_PER_WAVE = 5;
const LEASE_TTL_MS = 1500;
/**
 * Mostly runtimes that get patched (where a crash can strike between checkpoints), plus the scenarios that end
 * without a patch — a held customer CR, one already migrated before the wave (must stay `already-migrated`, not
 * be confused with this wave's own patch), no Kyma, no template — and two Kymas (patched: only `default`), so that every outcome class crosses
 * the crashes. The migrate deadline is far away, so nothing here times out.
 */
const PROFILE = 'fresh=45,existing-default=25,with-keda=10,custom-cr=5,already-migrated=5,no-kyma=4,two-kymas=3,no-template=3';
/** C2 (test/helpers/outcomes.ts): each scenario's outcome, and whether this wave writes its Kyma (once). */
const EXPECTED = expectedOf;

/** The kill points are seeded, so a failing trial can be replayed. */
const rng = seededRandom;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Child {
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  kill(): void;
}

function cli(args: string[], configFile: string): Child {
  const child = spawn(process.execPath, [BIN, ...args, '--config', configFile], {
    cwd: ROOT,
    env: { ...process.env, ISTIO_MIGRATE_LEASE_TTL_MS: String(LEASE_TTL_MS), ISTIO_MIGRATE_USER: 'sre-crash' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { exited, kill: () => child.kill('SIGKILL') };
}

async function cliJson<T>(args: string[], configFile: string): Promise<T> {
  const r = await cli([...args, '--json'], configFile).exited;
  const line = r.stdout.trim();
  if (!line) throw new Error(`istio-migrate ${args.join(' ')} printed nothing (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(line) as T;
}

async function writeConfig(sim: TestSim, dir: string): Promise<{ configFile: string; journalFile: string }> {
  const cfg = YAML.parse(readFileSync(path.join(sim.out, 'config.yaml'), 'utf8')) as { environments: Record<string, Record<string, unknown>>; journal?: unknown };
  const prod = cfg.environments.prod;
  prod.budgets = { wave: 1000 };
  prod.limits = { ...(prod.limits as object | undefined), concurrency: 50 };
  prod.approval = { required: false };
  const journalFile = path.join(dir, 'journal.db');
  cfg.journal = { sqlite: { file: journalFile } };
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(configFile, YAML.stringify(cfg));
  // The journal exists before the first child runs: `status`, polled while it starts, never creates one.
  const created = SqliteJournal.open(journalFile);
  await created.migrate();
  await created.close();
  return { configFile, journalFile };
}

/**
 * Runtimes of the (only) wave the journal holds that a runner had started but not finished — read right after a
 * SIGKILL, these were in flight when it landed. 0 when the wave does not exist yet.
 */
async function inFlightIn(journalFile: string): Promise<number> {
  if (!existsSync(journalFile)) return 0;
  const journal = SqliteJournal.open(journalFile);
  try {
    const [wave] = await journal.listWaves();
    if (!wave) return 0;
    return (await journal.listWaveRuntimes(wave.waveId)).filter((r) => r.state !== 'pending' && r.state !== 'finished').length;
  } finally {
    await journal.close();
  }
}

/** Runtimes given a Kyma patch so far (the simulator counts client writes to each SKR's Kyma). */
function patchedSoFar(sim: TestSim): number {
  return Object.values(sim.sim.getStats().kymaWrites).filter((n) => n > 0).length;
}

describe('test/integration/rollout/crash-resume (src/rollout/wave-runner, commands/control resume)', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it.each(Array.from({ length: WAVES }, (_, w) => w))(
    `crash-resume: SIGKILL a real child process at random points of a 300-runtime wave (wave %i: ${KILLS_PER_WAVE} kills), then resume — at least 3 kills land with runtimes in flight; zero runtimes with kymaWrites > 1, zero lost, identical final counts`,
    async (w) => {
      const sim = await startTestSim({ profile: PROFILE, runtimes: 520, seed: 11 + w, timeScale: 0.01 });
      const dir = mkdtempSync(path.join(os.tmpdir(), 'crash-resume-'));
      dirs.push(dir);
      try {
        const eligible = runtimesOf(sim.out).filter((r) => r.env === 'prod' && ['succeeded', 'error', 'updating', 'upgrading'].includes(r.state)); // taskrun's eligibility (DESIGN.md §5)
        expect(eligible.length).toBeGreaterThanOrEqual(300);
        const N = eligible.length;
        const willPatch = eligible.filter((r) => EXPECTED(r.scenario).patched).length;
        const { configFile, journalFile } = await writeConfig(sim, dir);
        const rand = rng(1000 + w);
        // Cumulative progress points (fractions of runtimes patched) at which to kill; the first kill is by time
        // only, so it may land before the wave exists or while the first runtimes start.
        const points = Array.from({ length: KILLS_PER_WAVE - 1 }, () => 0.03 + rand() * 0.9).sort((a, b) => a - b);
        let waveId: string | undefined;
        const kills: string[] = [];
        /** How many runtimes were in flight when each SIGKILL landed. */
        const inFlightAtKill: number[] = [];
        for (let k = 0; k < KILLS_PER_WAVE; k++) {
          const child = cli(waveId ? ['resume', waveId, '--yes', '--json'] : ['run', 'prod', 'all', '--yes', '--force', '--json'], configFile);
          let done = false;
          void child.exited.then(() => (done = true));
          const started = Date.now();
          if (k === 0) await sleep(300 + rand() * 1500);
          else {
            const target = Math.ceil(points[k - 1] * willPatch);
            while (!done && patchedSoFar(sim) < target && Date.now() - started < 60_000) await sleep(10);
            await sleep(rand() * 250); // somewhere between two checkpoints
          }
          child.kill();
          const r = await child.exited;
          const inFlight = r.signal === 'SIGKILL' ? await inFlightIn(journalFile) : 0;
          kills.push(`${k}: ${r.signal ?? `exit ${r.code}`} after ${Date.now() - started} ms, ${patchedSoFar(sim)}/${N} patched, ${inFlight} in flight`);
          if (r.signal !== 'SIGKILL') break; // it finished before the kill point: nothing more to interrupt
          inFlightAtKill.push(inFlight);
          // The dead runner's lease lapses after the TTL; `status` then says interrupted.
          for (let i = 0; i < 40; i++) {
            await sleep(LEASE_TTL_MS / 3);
            const st = await cliJson<{ waves: WaveStatus[] }>(['status'], configFile);
            waveId = st.waves[0]?.waveId;
            if (!st.waves[0] || st.waves[0].state === 'interrupted') break;
          }
        }
        const final = waveId ? await cliJson<WaveStatus & { error?: string }>(['resume', waveId, '--yes'], configFile) : undefined;
        // If even the first run finished before its kill (a very fast machine), that run is the result.
        const status = final ?? (await cliJson<{ waves: WaveStatus[] }>(['status'], configFile)).waves[0];
        expect({ kills, status: status.state }).toEqual({ kills, status: 'finished' });
        // The crashes really struck mid-wave: at least 3 SIGKILLs landed while runtimes were in flight (started, not
        // finished, in the journal of the dead runner). Without this the test could pass without a crash.
        expect({ kills, atLeast3LandedMidWave: inFlightAtKill.filter((n) => n > 0).length >= 3 }).toEqual({ kills, atLeast3LandedMidWave: true });
        // Identical to an uninterrupted run: each runtime ends as its scenario does (C2) — in particular a runtime
        // this wave patched before a crash is `migrated`, never `already-migrated` (C5).
        const expectedCounts: Record<string, number> = { ...Object.fromEntries(C4_OUTCOMES.map((o) => [o, 0])), pending: 0, running: 0 };
        for (const r of eligible) expectedCounts[EXPECTED(r.scenario).outcome!]++;
        expect(expectedCounts['already-migrated'] * expectedCounts['multiple-istio-crs'] * expectedCounts['kyma-cr-missing']).toBeGreaterThan(0);
        expect(status.counts).toEqual(expectedCounts);
        // Zero lost: every runtime of the plan has a result in the journal.
        const journal = SqliteJournal.open(journalFile);
        try {
          const rows = await journal.listWaveRuntimes(status.waveId);
          expect(rows.map((r) => r.runtimeId).sort()).toEqual(eligible.map((r) => r.runtimeId).sort());
          expect(rows.filter((r) => r.state !== 'finished' || !r.result)).toEqual([]);
          // Each runtime's own outcome is its scenario's, not just the totals.
          const scenarioOf = new Map(eligible.map((r) => [r.runtimeId, r.scenario]));
          expect(rows.filter((r) => r.result?.outcome !== EXPECTED(scenarioOf.get(r.runtimeId)!).outcome).map((r) => [r.runtimeId, scenarioOf.get(r.runtimeId), r.result?.outcome])).toEqual([]);
          // Resumed runtimes that were patched really went through the wait, with evidence.
          const resumed = rows.filter((r) => r.attempts > 1 && EXPECTED(scenarioOf.get(r.runtimeId)!).patched);
          expect(resumed.every((r) => r.result?.outcome === 'migrated' && r.result.patched)).toBe(true);
        } finally {
          await journal.close();
        }
        // Never patched twice: every runtime to migrate exactly once, the others never.
        const writes = sim.sim.getStats().kymaWrites;
        expect(eligible.filter((r) => (writes[r.runtimeId] ?? 0) !== (EXPECTED(r.scenario).patched ? 1 : 0)).map((r) => [r.runtimeId, r.scenario, writes[r.runtimeId] ?? 0])).toEqual([]);
      } finally {
        await sim.close();
      }
    },
    120_000,
  );
});
