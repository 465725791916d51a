/**
 * A wave's status as C5 shows it: `{waveId, env, target, state, counts}` with every outcome plus `pending` and
 * `running`, zeros included. A wave whose state says running but whose runner's lease has lapsed, or whose runner
 * was a process of this host that is gone, is reported `interrupted` (its process died; `resume` continues it).
 */
import type { Journal, Wave, WaveRuntime, WaveState } from '../journal/journal.js';
import { ENDED_WAVE_STATES } from '../journal/ids-and-states.js';
import { classOf, OUTCOMES, type Outcome } from '../migration/outcomes.js';
import { readLimit, type WaveLimit } from './limit.js';
import { holderProcessGone } from './runner-identity.js';

export type Counts = Record<Outcome | 'pending' | 'running', number>;

/** The runtimes of `counts` that failed on the platform side (C4 class `platform`): what the error budget counts. */
export function platformFailuresOf(counts: Readonly<Counts>): number {
  return OUTCOMES.filter((o) => classOf(o) === 'platform').reduce((n, o) => n + counts[o], 0);
}

/** What status and the wave page show of a wave's record, with its effective state and counts. */
export interface WaveSummary {
  waveId: string;
  env: string;
  target: string;
  state: WaveState;
  counts: Counts;
  planHash: string;
  concurrency: number;
  requestedBy: string;
  approvedBy: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface WaveStatus extends WaveSummary {
  /** While the wave runs: runtimes in flight, the limit now and its cause (limit.ts). */
  limit?: WaveLimit;
}

export function waveSummary(wave: Wave, state: WaveState, counts: Counts): WaveSummary {
  const { waveId, env, target, planHash, concurrency, requestedBy, approvedBy, createdAt, finishedAt } = wave;
  return { waveId, env, target, state, counts, planHash, concurrency, requestedBy, approvedBy, createdAt, finishedAt };
}

/** Counts from the journal's aggregate (what status and chat render; no need to read every runtime). */
export async function waveCounts(journal: Journal, waveId: string): Promise<{ counts: Counts; total: number }> {
  const counts = Object.fromEntries([...OUTCOMES, 'pending', 'running'].map((k) => [k, 0])) as Counts;
  let total = 0;
  for (const row of await journal.countWaveRuntimes(waveId)) {
    total += row.n;
    if (row.state === 'finished' && row.outcome) counts[row.outcome as Outcome] += row.n;
    else if (row.state === 'pending') counts.pending += row.n;
    else counts.running += row.n;
  }
  return { counts, total };
}

export function countRuntimes(runtimes: WaveRuntime[]): Counts {
  const counts = Object.fromEntries([...OUTCOMES, 'pending', 'running'].map((k) => [k, 0])) as Counts;
  for (const r of runtimes) {
    if (r.state === 'finished' && r.result) counts[r.result.outcome]++;
    else if (r.state === 'pending') counts.pending++;
    else counts.running++;
  }
  return counts;
}

/**
 * The state to show: a "live" state without a live runner is `interrupted` — no lease, a lapsed lease, or a lease
 * held by a process of this host that is gone (a Ctrl-C'd or killed `run`: its lease would otherwise say running
 * until it lapses).
 */
export async function effectiveState(journal: Journal, wave: Wave, now = Date.now()): Promise<WaveState> {
  if (!['running', 'paused', 'draining'].includes(wave.state)) return wave.state;
  const lease = await journal.getLease(wave.waveId);
  if (!lease) return 'interrupted';
  return Date.parse(lease.expiresAt) < now || holderProcessGone(lease.holder) ? 'interrupted' : wave.state;
}

export async function waveStatus(journal: Journal, wave: Wave): Promise<WaveStatus> {
  const { counts } = await waveCounts(journal, wave.waveId);
  const state = await effectiveState(journal, wave);
  const limit = LIVE_STATES.has(state) ? await readLimit(journal, wave.waveId) : undefined;
  return {
    ...waveSummary(wave, state, counts),
    ...(limit ? { limit } : {}),
  };
}

const LIVE_STATES = new Set<WaveState>(['running', 'paused', 'draining']);

/** "in flight 3, limit 3 of 8: held at 3 by the budget guard: 2 failures left, failure rate ≤ 4.9 % at 99 %". */
export function limitText(l: WaveLimit): string {
  return `in flight ${l.inFlight}, limit ${l.limit} of ${l.requested}: ${l.cause}`;
}

/**
 * How a wave starts running: `new` — none of its runtimes began yet; `recovery` — its runner was gone (the process
 * stopped or died: `interrupted`, or a live state whose runner is gone) and it continues where it stood; `resume` —
 * a person resumed it after it stopped (its budget, an abort); `retry` — `retry-failed` put its runtimes that failed
 * on the platform side back (`RunnerDeps.retry`).
 */
export type WaveStart = 'new' | 'recovery' | 'resume' | 'retry';

/** Stored states a wave stops in on purpose (a person resumes it); any other left unfinished lost its runner. */

/** How the wave starts (`WaveStart`), from its stored state before the runner took it and its runtimes' states. */
export function waveStart(stored: WaveState, runtimes: readonly Pick<WaveRuntime, 'state'>[], retry = false): WaveStart {
  if (retry) return 'retry';
  if (runtimes.every((r) => r.state === 'pending')) return 'new';
  return (ENDED_WAVE_STATES as readonly WaveState[]).includes(stored) ? 'resume' : 'recovery';
}
