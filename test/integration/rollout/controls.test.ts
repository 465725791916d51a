/**
 * Wave controls from ANOTHER process (DESIGN.md §5, C4, C5): the wave runs here through `dispatch(ctx, 'run')`,
 * the controls are the real binary (`pause`, `resume`, `drain`, `abort`, `set-concurrency`, `freeze`,
 * `unfreeze`) in child processes; the runner must obey (asserted on the events, with generous deadlines; no
 * "nothing happened for N ms" windows: a paused stretch is checked from its `paused` to its next `running`). Budgets stop new starts exactly; with PostgreSQL, one wave never has two runners.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { dispatch } from '../../../commands/index.js';
import type { CommandContext, CommandResult } from '../../../commands/types.js';
import { Services } from '../../../src/app/services.js';
import type { WaveEvent } from '../../../src/rollout/wave-runner.js';
import type { WaveStatus } from '../../../src/rollout/wave-status.js';
import { describeWith, requirePostgres, TEST_PG_URL } from '../../helpers/needs.js';
import { startTestSim, writeSimConfig, type TestSim } from '../../helpers/sim.js';
import { builtBin } from '../../helpers/built-bin.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const BIN = builtBin();
const PG_URL = TEST_PG_URL;
/** Needs PostgreSQL (test/helpers/needs.ts): fails under CI=true without one, skips visibly elsewhere. */
const pgNeed = await requirePostgres(PG_URL);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dirs: string[] = [];

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], configFile: string, env: NodeJS.ProcessEnv = {}): { exited: Promise<Exit>; kill: () => void } {
  const child = spawn(process.execPath, [BIN, ...args, '--config', configFile], { cwd: ROOT, env: { ...process.env, ISTIO_MIGRATE_USER: 'sre-2', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { exited: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))), kill: () => child.kill('SIGKILL') };
}

/** A control command in another process; it must succeed. */
async function control(configFile: string, ...args: string[]): Promise<Exit> {
  const r = await cli(args, configFile).exited;
  if (r.code !== 0) throw new Error(`istio-migrate ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r;
}

type Journal = { sqlite: { file: string } } | { postgres: { urlEnv: string; schema: string } };

function writeConfig(sim: TestSim, opts: { budget?: number | string; concurrency?: number; journal?: Journal } = {}): string {
  return writeSimConfig(sim, 'controls', (cfg, dir) => {
    dirs.push(dir);
    for (const env of ['dev', 'stage', 'prod']) {
      cfg.environments[env].budgets = { wave: opts.budget ?? 1000 };
      cfg.environments[env].approval = { required: false };
      if (opts.concurrency) cfg.environments[env].limits = { ...(cfg.environments[env].limits as object | undefined), concurrency: opts.concurrency };
    }
    if (opts.journal) cfg.journal = opts.journal;
  });
}

/** A wave running in this process, with its event log and the number of runtimes in flight. */
interface Running {
  ctx: CommandContext;
  done: Promise<CommandResult>;
  events: WaveEvent[];
  waveId: () => string;
  inFlight: () => number;
  maxInFlightSince: (i: number) => number;
  /** Polls until `pred` holds (generous window: the runner obeys within a second, the machine may be busy). */
  until: (what: string, pred: () => boolean, ms?: number) => Promise<void>;
  /** Index of the first event matching, or -1. */
  indexOf: (pred: (e: WaveEvent) => boolean) => number;
}

async function startWave(configFile: string, argv: string[]): Promise<Running> {
  const ctx: CommandContext = { user: 'sre-1', via: 'shell', interactive: false, services: await Services.create({ configFile }) };
  const events: WaveEvent[] = [];
  const flight: number[] = []; // in flight after each event
  let n = 0;
  ctx.services.events.on('event', (e) => {
    if (e.type === 'runtime-started') n++;
    if (e.type === 'runtime-finished') n--;
    events.push(e);
    flight.push(n);
  });
  const done = dispatch(ctx, 'run', argv);
  const until = async (what: string, pred: () => boolean, ms = 20_000) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for: ${what}; events: ${events.map((e) => e.type + ('state' in e ? `:${e.state}` : '')).slice(-20).join(' ')}`);
      await sleep(20);
    }
  };
  let ended: CommandResult | undefined;
  void done.then((r) => (ended = r), () => undefined);
  await until('wave-started', () => {
    if (ended && !events.some((e) => e.type === 'wave-started')) throw new Error(`run ended without starting: ${ended.text}`);
    return events.some((e) => e.type === 'wave-started');
  });
  const started = events.find((e) => e.type === 'wave-started')!;
  return {
    ctx,
    done,
    events,
    waveId: () => started.waveId,
    inFlight: () => n,
    maxInFlightSince: (i) => Math.max(0, ...flight.slice(i)),
    until,
    indexOf: (pred) => events.findIndex(pred),
  };
}

const startsAfter = (events: WaveEvent[], i: number) => events.slice(i + 1).filter((e) => e.type === 'runtime-started').length;
/** Runtimes started after event `i` and before the wave next went `running` again: the whole paused stretch. */
const startsWhilePaused = (events: WaveEvent[], i: number) => {
  const rest = events.slice(i + 1);
  const back = rest.findIndex((e) => e.type === 'state' && e.state === 'running');
  return (back < 0 ? rest : rest.slice(0, back)).filter((e) => e.type === 'runtime-started').length;
};
const finishedCount = (events: WaveEvent[]) => events.filter((e) => e.type === 'runtime-finished').length;
const isState = (s: string) => (e: WaveEvent) => e.type === 'state' && e.state === s;

describe('test/integration/rollout/controls (src/rollout/wave-runner, commands/control)', () => {
  const sims: TestSim[] = [];
  /** A landscape of `fresh` runtimes (Stage: 30), each taking about a second (LM ≈ 1 min × 0.02). */
  const freshSim = async () => {
    const s = await startTestSim({ profile: 'fresh', runtimes: 100, timeScale: 0.02 });
    sims.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of sims) await s.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('pause from another process: no new starts, in-flight finish, state paused; resume continues to the end', async () => {
    const sim = await freshSim();
    const cfg = writeConfig(sim, { concurrency: 3 });
    const w = await startWave(cfg, ['stage', 'all', '--yes', '--force']);
    try {
      await w.until('a first runtime finished', () => finishedCount(w.events) >= 1);
      // The answer waits for the runner to act (it reads controls every 250 ms): it shows the wave paused.
      const pausing = await control(cfg, 'pause', w.waveId(), '--json');
      expect((JSON.parse(pausing.stdout) as WaveStatus).state).toBe('paused');
      await w.until('state paused', () => w.indexOf(isState('paused')) >= 0);
      const paused = w.indexOf(isState('paused'));
      await w.until('in-flight runtimes finished', () => w.inFlight() === 0);
      const st = (await dispatch(w.ctx, 'status', [w.waveId()])).json as WaveStatus;
      expect(st.state).toBe('paused');
      expect(st.counts.running).toBe(0);
      expect(st.counts.pending).toBeGreaterThan(0);
      // The limit it shows follows the paused wave too (the in-flight count is told at most once a second).
      let limit = st.limit;
      for (const by = Date.now() + 20_000; limit?.inFlight !== 0 && Date.now() < by; await sleep(100)) limit = ((await dispatch(w.ctx, 'status', [w.waveId()])).json as WaveStatus).limit;
      expect(limit).toMatchObject({ inFlight: 0, cause: 'paused: nothing new starts; the runtimes in flight finish' });
      const resumed = await control(cfg, 'resume', w.waveId());
      expect(resumed.stdout).toContain(w.ctx.services.holder); // it says which runner continues
      expect(resumed.stdout).toMatch(/ resumed: its runner /); // and that it did
      const res = (await w.done).json as WaveStatus;
      // Nothing started in the whole paused stretch (from `paused` until the wave went `running` again).
      expect(w.indexOf(isState('running'))).toBeGreaterThan(paused);
      expect(startsWhilePaused(w.events, paused)).toBe(0);
      expect(res.state).toBe('finished');
      expect(res.counts).toMatchObject({ migrated: 30, pending: 0, running: 0 });
    } finally {
      await dispatch(w.ctx, 'abort', [w.waveId()]); // a failed expectation above leaves it paused: end it
      await w.done.catch(() => undefined);
      await w.ctx.services.close();
    }
  });

  it('drain: in-flight runtimes finish, nothing new starts, the wave ends with the rest pending', async () => {
    const sim = await freshSim();
    const cfg = writeConfig(sim, { concurrency: 3 });
    const w = await startWave(cfg, ['stage', 'all', '--yes', '--force']);
    try {
      await w.until('a first runtime finished', () => finishedCount(w.events) >= 1);
      await control(cfg, 'drain', w.waveId());
      await w.until('state draining', () => w.indexOf(isState('draining')) >= 0);
      const ended = await w.done;
      const res = ended.json as WaveStatus;
      expect(startsAfter(w.events, w.indexOf(isState('draining')))).toBe(0);
      expect(res.state).toBe('finished');
      expect(res.counts.running).toBe(0);
      expect(res.counts.pending).toBeGreaterThan(0);
      expect(res.counts.migrated + res.counts.pending).toBe(30);
      // Ended before its end: exit 3, and the hints are ones the commands take (a drained wave is not resumed).
      expect(ended.exitCode).toBe(3);
      expect(ended.text).toContain(`its ${res.counts.pending} runtimes never started (drained): plan stage all again for them`);
      const retry = await dispatch(w.ctx, 'retry-failed', [w.waveId(), '--yes']);
      expect(retry.text).toContain(`of its runtimes ${res.counts.pending} never started: plan stage all again for them`);
      expect((await dispatch(w.ctx, 'resume', [w.waveId(), '--yes'])).exitCode).toBe(1);
      // A drained wave is no done runbook step (Canary = all of Stage here): verify records it failed and says why,
      // in the same report that says ATTENTION; the runbook names it drained, not done (the shell, another process).
      const verify = await control(cfg, 'verify', 'stage');
      expect(verify.stdout).toContain('ATTENTION');
      expect(verify.stdout).toContain(`${w.waveId()}=failed (${res.counts.pending} runtimes never started (drained))`);
      const book = await control(cfg, 'runbook', 'stage');
      expect(book.stdout).toContain(`… 3. the whole Canary landscape — ${w.waveId()} drained, not done: ${res.counts.pending} runtimes never started (drained)`);
      expect(book.stdout).not.toContain('✓');
    } finally {
      await w.done.catch(() => undefined);
      await w.ctx.services.close();
    }
  });

  it('abort: stops at once with state aborted, in-flight left at their checkpoints; resume finishes them without a second patch', async () => {
    const sim = await freshSim();
    const cfg = writeConfig(sim, { concurrency: 3 });
    const w = await startWave(cfg, ['stage', 'all', '--yes', '--force']);
    try {
      await w.until('two runtimes finished', () => finishedCount(w.events) >= 2);
      await control(cfg, 'abort', w.waveId());
      const res = (await w.done).json as WaveStatus;
      expect(res.state).toBe('aborted');
      expect(res.counts.running).toBeGreaterThanOrEqual(1); // left in flight, resumable
      expect(res.counts.pending).toBeGreaterThan(0);
      const again = (await dispatch(w.ctx, 'resume', [w.waveId(), '--yes'])).json as WaveStatus;
      expect(again.state).toBe('finished');
      expect(again.counts).toMatchObject({ migrated: 30, 'already-migrated': 0, pending: 0, running: 0 });
      expect(Object.values(sim.sim.getStats().kymaWrites).filter((n) => n > 1)).toEqual([]);
    } finally {
      await w.done.catch(() => undefined);
      await w.ctx.services.close();
    }
  });

  it('set-concurrency from another process: the number in flight follows, up and down', async () => {
    const sim = await freshSim();
    const cfg = writeConfig(sim, { concurrency: 2 });
    const w = await startWave(cfg, ['stage', 'all', '--yes', '--force']);
    try {
      await w.until('a first runtime finished', () => finishedCount(w.events) >= 1);
      expect(w.maxInFlightSince(0)).toBeLessThanOrEqual(2);
      const up = w.events.length;
      await control(cfg, 'set-concurrency', w.waveId(), '6');
      await w.until('6 in flight', () => w.inFlight() === 6, 10_000);
      await control(cfg, 'set-concurrency', w.waveId(), '1');
      await w.until('at most 1 in flight', () => w.inFlight() <= 1, 10_000);
      const down = w.events.length;
      const res = (await w.done).json as WaveStatus;
      expect(w.maxInFlightSince(up)).toBe(6);
      expect(w.maxInFlightSince(down)).toBeLessThanOrEqual(1);
      expect(res.counts).toMatchObject({ migrated: 30, pending: 0 });
    } finally {
      await w.done.catch(() => undefined);
      await w.ctx.services.close();
    }
  });

  it('freeze from another process: no new starts anywhere; unfreeze lets the wave go on', async () => {
    const sim = await freshSim();
    const cfg = writeConfig(sim, { concurrency: 3 });
    const w = await startWave(cfg, ['stage', 'all', '--yes', '--force']);
    try {
      await w.until('a first runtime finished', () => finishedCount(w.events) >= 1);
      await control(cfg, 'freeze', 'all');
      await w.until('state paused', () => w.indexOf(isState('paused')) >= 0);
      const frozen = w.indexOf(isState('paused'));
      await w.until('in-flight runtimes finished', () => w.inFlight() === 0);
      await control(cfg, 'unfreeze', 'all');
      const res = (await w.done).json as WaveStatus;
      // Nothing started in the whole frozen stretch (from `paused` until the wave went `running` again).
      expect(startsWhilePaused(w.events, frozen)).toBe(0);
      expect(w.events.slice(frozen).some(isState('running'))).toBe(true);
      expect(res.state).toBe('finished');
      expect(res.counts).toMatchObject({ migrated: 30, pending: 0 });
    } finally {
      await w.done.catch(() => undefined);
      await w.ctx.services.close();
    }
  });

  it.each([
    ['dev', 10, 1], // 5 % of 10 = 0.5 → at least 1
    ['stage', 30, 1], // 1.5 → 1
    ['prod', 60, 3],
  ])('a "5%%" budget of %s (%i runtimes, all failing) lets exactly %i start', async (env, n, budget) => {
    let sim = sims.find((s) => s.out.includes('nokyma'));
    if (!sim) {
      sim = await startTestSim({ profile: 'no-kyma', runtimes: 100, timeScale: 0.02, out: mkdtempSync(path.join(os.tmpdir(), 'nokyma-')) });
      sims.push(sim);
      dirs.push(sim.out);
    }
    const cfg = writeConfig(sim, { budget: '5%', concurrency: 50 });
    const ctx: CommandContext = { user: 'sre-1', via: 'shell', interactive: false, services: await Services.create({ configFile: cfg }) };
    try {
      const res = await dispatch(ctx, 'run', [env, 'all', '--yes', '--force']);
      const st = res.json as WaveStatus;
      expect(st.state).toBe('budget-stopped');
      expect(st.counts['kyma-cr-missing']).toBe(budget);
      expect(st.counts.pending).toBe(n - budget);
    } finally {
      await ctx.services.close();
    }
  });

  describeWith(pgNeed, 'with PostgreSQL', () => {
    it('two processes on one wave never both run it; the second says who holds it', async () => {
      const schema = `controls_${process.pid}_${Date.now()}`;
      const sim = await freshSim();
      process.env.ISTIO_MIGRATE_TEST_PG_URL = PG_URL; // Services and the children read the URL from it
      const cfg = writeConfig(sim, { concurrency: 4, journal: { postgres: { urlEnv: 'ISTIO_MIGRATE_TEST_PG_URL', schema } } });
      const env = { ISTIO_MIGRATE_LEASE_TTL_MS: '1500' };
      try {
        // A first runner dies mid-wave (SIGKILL), leaving an interrupted wave.
        const first = cli(['run', 'stage', 'all', '--yes', '--force', '--json'], cfg, env);
        const t0 = Date.now();
        while (Object.keys(sim.sim.getStats().kymaWrites).length < 5 && Date.now() - t0 < 30_000) await sleep(20);
        first.kill();
        expect((await first.exited).signal).toBe('SIGKILL');
        const ctx: CommandContext = { user: 'sre-1', via: 'shell', interactive: false, services: await Services.create({ configFile: cfg }) };
        try {
          let st: { waves: WaveStatus[] } = { waves: [] };
          const end = Date.now() + 20_000;
          do {
            await sleep(300);
            st = (await dispatch(ctx, 'status', [])).json as { waves: WaveStatus[] };
          } while (st.waves[0]?.state !== 'interrupted' && Date.now() < end);
          expect(st.waves[0]?.state).toBe('interrupted');
          const waveId = st.waves[0].waveId;
          // Two processes resume it at the same moment: exactly one runs it.
          const [a, b] = await Promise.all([cli(['resume', waveId, '--yes', '--json'], cfg, env).exited, cli(['resume', waveId, '--yes', '--json'], cfg, env).exited]);
          const docs = [a, b].map((r) => JSON.parse(r.stdout.trim()) as WaveStatus & { error?: string; runner?: string });
          const ran = docs.filter((d) => d.state === 'finished');
          const other = docs.filter((d) => d.state !== 'finished');
          expect(ran).toHaveLength(1);
          expect(other).toHaveLength(1);
          // The loser either lost the lease race (refused, exit 1) or saw the live runner (exit 0); both name it
          // (a runner is `host:pid:<runner>`: unique per runner, not per process).
          const loser = [a, b][docs.indexOf(other[0])];
          expect(loser.stdout).toMatch(/being run by [^ ]+:\d+:[0-9a-f]+|"runner":"[^"]+:\d+:[0-9a-f]+"/);
          expect(ran[0].counts).toMatchObject({ migrated: 30, 'already-migrated': 0, pending: 0, running: 0 });
          expect(Object.values(sim.sim.getStats().kymaWrites).filter((n) => n > 1)).toEqual([]);
          // And a resume while a runner holds the lease refuses to run a second one.
          const live = await startWave(cfg, ['dev', 'all', '--yes', '--force']);
          try {
            // Hold it still first: paused, its runner keeps the lease, so the resume below meets a live runner
            // however fast this machine finishes a 10-runtime wave (the resume answers that its runner continues).
            await dispatch(live.ctx, 'pause', [live.waveId()]);
            const pausedBy = Date.now() + 20_000;
            while (((await dispatch(live.ctx, 'status', [live.waveId(), '--json'])).json as WaveStatus).state !== 'paused') {
              if (Date.now() > pausedBy) throw new Error(`${live.waveId()} did not pause`);
              await sleep(50);
            }
            const r = await cli(['resume', live.waveId(), '--yes', '--json'], cfg, env).exited;
            expect(r.stdout).toContain(live.ctx.services.holder);
            expect((await live.done).json).toMatchObject({ state: 'finished' });
          } finally {
            await live.done.catch(() => undefined);
            await live.ctx.services.close();
          }
        } finally {
          await ctx.services.close();
        }
      } finally {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      }
    }, 90_000);
  });
});
