/**
 * A wave's status as C5 shows it: `{waveId, env, target, state, counts}` with every outcome plus `pending` and
 * `running`, zeros included. A wave whose state says running but whose runner's lease has lapsed is reported
 * `interrupted` (its process died; `resume` continues it).
 */
import type { Journal, Wave, WaveRuntime, WaveState } from '../journal/journal.js';
import { OUTCOMES, type Outcome } from '../migration/outcomes.js';

export type Counts = Record<Outcome | 'pending' | 'running', number>;

export interface WaveStatus {
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

/** The state to show: a "live" state without a live runner is `interrupted`. */
export async function effectiveState(journal: Journal, wave: Wave, now = Date.now()): Promise<WaveState> {
  if (!['running', 'paused', 'draining'].includes(wave.state)) return wave.state;
  const lease = await journal.getLease(wave.waveId);
  if (!lease) return 'interrupted';
  return Date.parse(lease.expiresAt) < now ? 'interrupted' : wave.state;
}

export async function waveStatus(journal: Journal, wave: Wave): Promise<WaveStatus> {
  const { counts } = await waveCounts(journal, wave.waveId);
  return {
    waveId: wave.waveId,
    env: wave.env,
    target: wave.target,
    state: await effectiveState(journal, wave),
    counts,
    planHash: wave.planHash,
    concurrency: wave.concurrency,
    requestedBy: wave.requestedBy,
    approvedBy: wave.approvedBy,
    createdAt: wave.createdAt,
    finishedAt: wave.finishedAt,
  };
}
