/**
 * Shared by the ops tests: the real `istio-migrate bot` (and other commands) as child processes, their pino JSON
 * logs parsed line by line, and a bot config for a test simulator with its own journal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { expect } from '@jest/globals';
import type { Journal } from '../../../src/journal/journal.js';
import type { SimAndSlack } from '../../helpers/sim-services.js';
import { runtimesOf, writeSimConfig, type SimConfigDoc, type TestSim } from '../../helpers/sim.js';
import { builtBin, cleanEnv } from '../../helpers/built-bin.js';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const BIN = builtBin();
export const BOT_TOKEN = 'xoxb-ops-test-bot-token-7f3a9c';
export const APP_TOKEN = 'xapp-ops-test-app-token-51be02';
export const SIGNING_SECRET = 'ops-test-signing-secret-c0ffee42';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LogLine = Record<string, any>;

/** The simulator's config with a journal of its own; `edit` adjusts the parsed YAML. */
export function writeConfig(sim: TestSim, edit: (cfg: SimConfigDoc) => void = () => undefined): { dir: string; configFile: string; journalFile: string } {
  let dir = '';
  const configFile = writeSimConfig(sim, 'ops-test', (cfg, d) => {
    dir = d;
    edit(cfg);
  });
  return { dir, configFile, journalFile: path.join(dir, 'journal.db') };
}

export interface Proc {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** stderr's JSON lines (pino); other lines are skipped. */
  logs(): LogLine[];
  /** Resolves with the first log line matching, or rejects after `ms`. */
  waitForLog(pred: (l: LogLine) => boolean, ms?: number): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function start(args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const logs = () =>
    err
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as LogLine];
        } catch {
          return [];
        }
      });
  let done = false;
  void exited.then(() => {
    done = true;
    for (const w of waiters.splice(0)) w();
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    logs,
    exited,
    async waitForLog(pred, ms = 30_000) {
      const until = Date.now() + ms;
      for (;;) {
        const hit = logs().find(pred);
        if (hit) return hit;
        if (done) throw new Error(`the process ended without the expected log line; stderr:\n${err.slice(-3000)}`);
        if (Date.now() > until) throw new Error(`no expected log line within ${ms} ms; stderr:\n${err.slice(-3000)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
  };
}

/**
 * The process's log lines a failed expectation should show: warnings and errors, and the last `tail` lines (msg
 * and the fields that tell a wave's story), so that a failure in CI says what the process did.
 */
export function logStory(p: Proc, tail = 25): string[] {
  const lines = p.logs();
  const pick = (l: LogLine) => `${l.time as number} ${l.level as number} ${l.msg as string}${l.waveId ? ` wave=${l.waveId as string}` : ''}${l.state ? ` state=${l.state as string}` : ''}${l.err ? ` err=${String(l.err as string)}` : ''}`;
  const warned = lines.filter((l) => (l.level as number) >= 40);
  return [...warned.map(pick), '…', ...lines.slice(-tail).map(pick)];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET on 127.0.0.1. */
export async function get(port: number, urlPath: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`);
  return { status: res.status, text: await res.text() };
}

/** Resolves with the exit of `p`, or kills it and fails naming `what` (e.g. "frozen?") when it takes over `ms`. */
export async function exitWithin(p: Proc, ms: number, what: string): Promise<{ code: number | null }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  const r = await Promise.race([p.exited, late]).finally(() => clearTimeout(timer));
  if (r === 'late') {
    p.child.kill('SIGKILL');
    throw new Error(`the process did not end within ${ms} ms (${what}); stderr:\n${p.stderr().slice(-2000)}`);
  }
  return r;
}

/** Runtimes the simulator's Kyma CRs were written for. */
export const patchedCount = (sim: TestSim) => Object.values(sim.sim.getStats().kymaWrites).filter((n) => n > 0).length;

/**
 * A Dev wave at concurrency 2 started by `run` and killed with -9 after three runtimes were patched: the wave
 * exists, its runner is gone. Returns the config and the runtimes the wave must end with.
 */
export async function killedDevRun(f: SimAndSlack, env: Record<string, string>) {
  const { dir, configFile, journalFile } = writeConfig(f.sim, (cfg) => {
    cfg.environments.dev.limits = { concurrency: 2 };
    cfg.environments.dev.budgets = { wave: 100 };
  });
  f.dirs.push(dir);
  const eligible = runtimesOf(f.sim.out).filter((r) => r.env === 'dev' && ['succeeded', 'error', 'updating', 'upgrading'].includes(r.state)); // taskrun's eligibility
  expect(eligible.length).toBeGreaterThanOrEqual(15);
  const run = start(['run', 'dev', 'all', '--yes', '--force', '--config', configFile], env);
  while (patchedCount(f.sim) < 3) await sleep(20);
  run.child.kill('SIGKILL');
  await run.exited;
  return { configFile, journalFile, eligible, run };
}

/** The wave finished with exactly `eligible`, each migrated (or found migrated), and no runtime patched twice. */
export async function expectFinishedOnce(journal: Journal, waveId: string, eligible: { runtimeId: string }[], sim: TestSim): Promise<void> {
  expect((await journal.getWave(waveId))?.state).toBe('finished');
  const rows = await journal.listWaveRuntimes(waveId);
  expect(rows.map((r) => r.runtimeId).sort()).toEqual(eligible.map((r) => r.runtimeId).sort());
  expect(rows.every((r) => r.state === 'finished' && (r.result?.outcome === 'migrated' || r.result?.outcome === 'already-migrated'))).toBe(true);
  expect(Object.entries(sim.sim.getStats().kymaWrites).filter(([, n]) => n > 1)).toEqual([]);
}
