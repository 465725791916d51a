/**
 * Shared by the ops tests: the real `istio-migrate bot` (and other commands) as child processes, their pino JSON
 * logs parsed line by line, and a bot config for a test simulator with its own journal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { writeSimConfig, type SimConfigDoc, type TestSim } from '../../helpers/sim.js';
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

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET on 127.0.0.1. */
export async function get(port: number, urlPath: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`);
  return { status: res.status, text: await res.text() };
}
