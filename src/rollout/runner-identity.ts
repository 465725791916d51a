/**
 * Who runs a wave: the lease holder of a runner is `<host>:<pid>:<runner>` — unique per runner, not per process, so
 * that two runners of one wave in one process (two `resume W` at once) never both hold its lease.
 *
 * Whether a holder is alive can be known only on its own host: in this process, from the runners registered on the
 * process's `WaveEvents`; in another process of this host, from whether its pid exists. On another host it is
 * unknown — then the lease decides (a live runner renews it, a dead one lets it lapse).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';

/** This process, as the prefix of its runners' holders (`host:pid`). */
export function processHolder(): string {
  return `${os.hostname()}:${process.pid}`;
}

/** A fresh holder for one runner of this process. */
export function newRunnerHolder(processId: string = processHolder()): string {
  return `${processId}:${randomBytes(4).toString('hex')}`;
}

export type Liveness = 'alive' | 'dead' | 'unknown';

/**
 * Whether the runner `holder` is alive, as far as this host can tell. `localRunners`: the holders of the runners
 * alive in this process. A holder written by an older version (`host:pid`, no runner part) is judged by its pid.
 */
export function runnerLiveness(holder: string, localRunners: ReadonlySet<string>, host: string = os.hostname(), pid: number = process.pid): Liveness {
  const m = /^(.*):(\d+)(?::([0-9a-f]+))?$/.exec(holder);
  if (!m || m[1] !== host) return 'unknown';
  const holderPid = Number(m[2]);
  if (holderPid === pid) return m[3] === undefined || localRunners.has(holder) ? 'alive' : 'dead';
  return pidAlive(holderPid) ? 'alive' : 'dead';
}

/**
 * Whether `holder` is a runner of another process of this host whose process is gone (killed, Ctrl-C): then its
 * wave runs nowhere, whatever its lease says. False for this process's own runners and for other hosts.
 */
export function holderProcessGone(holder: string, host: string = os.hostname(), pid: number = process.pid): boolean {
  const m = /^(.*):(\d+)(?::([0-9a-f]+))?$/.exec(holder);
  if (!m || m[1] !== host || Number(m[2]) === pid) return false;
  return !pidAlive(Number(m[2]));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but is not ours to signal.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
