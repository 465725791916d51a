/**
 * Shared by the benchmarks that run the simulator in ANOTHER process (`istio-migrate sim`), so that its CPU and memory
 * are not counted as the bot's: starting it, its request counts, another process's CPU and peak RSS, and a
 * PostgreSQL journal in a schema of its own (dropped afterwards).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import pg from 'pg';
import type { Journal } from '../src/journal/journal.js';
import { openJournal } from '../src/journal/open-journal.js';

export const PG_URL = process.env.ISTIO_MIGRATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** bin/ relative to this file, in the source tree and in dist/bench alike. */
const BIN = path.resolve(import.meta.dirname, '..', ...(import.meta.dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []), 'bin', 'istio-migrate.js');

export interface Ready {
  ready: true;
  port: number;
  out: string;
  runtimes: number;
}

/**
 * Starts `istio-migrate sim --out OUT --profile fresh --seed 1 ARGS…` and resolves with its ready line (C1). Its logs go
 * to our stderr (`quiet`: only the last 4,000 characters are kept, for the error when it exits early). `nodeArgs`: node
 * flags for it (e.g. `--cpu-prof`).
 */
export function startSimProcess(out: string, args: string[], o: { nodeArgs?: string[]; quiet?: boolean } = {}): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), BIN, 'sim', '--out', out, '--profile', 'fresh', '--seed', '1', ...args], {
    stdio: ['ignore', 'pipe', o.quiet ? 'pipe' : 'inherit'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the simulator exited (${code}) before it was ready${stderr ? `: ${stderr}` : ''}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      try {
        resolve({ child, ready: JSON.parse(line) as Ready });
      } catch (e) {
        reject(new Error(`the simulator's first line is not its ready line: ${line}`, { cause: e }));
      }
    });
  });
}

/** Stops the simulator process and waits for it to exit. */
export async function stopSimProcess(child: ChildProcess): Promise<void> {
  child.removeAllListeners('exit');
  child.kill('SIGTERM');
  await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
}

/** The simulator's request counts (`/sim/stats`), per cluster id (C1). */
export async function simStats<T extends { requests: number; byCluster: Record<string, number> }>(port: number): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}/sim/stats`);
  return (await res.json()) as T;
}

/** CPU time (user + system) of another process in ms (Linux: /proc/PID/stat), or null. */
export function cpuMsOf(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of stat (11 and 12 after "pid (comm) "), in clock ticks (100 Hz on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** Peak RSS of another process in MB (Linux: VmHWM), or null. */
export function peakRssMbOf(pid: number | undefined): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/**
 * Runs `fn` with a PostgreSQL journal in a schema of its own (`<prefix>_<pid>_<random>`), dropped afterwards; the
 * `skipped` answer when no server is reachable.
 */
export async function withPgJournal<T>(prefix: string, fn: (j: Journal) => Promise<T>): Promise<T | { skipped: string }> {
  const schema = `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
  let journal: Journal;
  try {
    journal = await openJournal({ kind: 'postgres', url: PG_URL, schema });
  } catch (e) {
    return { skipped: `no PostgreSQL reachable (${(e as Error).message})` };
  }
  try {
    return await fn(journal);
  } finally {
    await journal.close();
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => c.end());
  }
}
