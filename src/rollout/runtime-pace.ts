/**
 * How long one runtime takes, for the plan's ETA: the mean time of the finished runtimes of the environment's last
 * ended wave (each runtime from its start to its result, as the journal has it), else of the environment before it
 * in the runbook (a Stage plan after a Dev wave). The mean, not the median: the wave's length is the sum of its
 * runtimes' times over the concurrency, and the slow ones (timeouts, retries) are part of that sum. Without such a
 * wave the plan falls back to LM's usual minute (scaled on a simulated landscape) and says so.
 */
import type { Journal } from '../journal/journal.js';
import { ENDED_WAVE_STATES } from '../journal/ids-and-states.js';
import { PREVIOUS_ENV } from './budget-guard.js';

/** A wave with fewer finished runtimes says too little about the pace. */
export const MIN_PACE_RUNTIMES = 3;

export interface RuntimePace {
  /** Mean seconds a runtime took. */
  seconds: number;
  /** The wave it was measured on, and how many of its runtimes finished. */
  waveId: string;
  runtimes: number;
}

export async function learnedRuntimePace(journal: Pick<Journal, 'listWaves' | 'listWaveRuntimes'>, env: string): Promise<RuntimePace | undefined> {
  for (const e of [env, PREVIOUS_ENV[env]]) {
    if (!e) continue;
    const ended = (await journal.listWaves({ env: e, states: [...ENDED_WAVE_STATES] })).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    for (const w of ended) {
      let sum = 0;
      let n = 0;
      for (const r of await journal.listWaveRuntimes(w.waveId)) {
        if (r.state !== 'finished' || !r.result || !(r.result.durationMs >= 0)) continue;
        sum += r.result.durationMs;
        n++;
      }
      if (n >= MIN_PACE_RUNTIMES) return { seconds: Math.max(0.1, Math.round(sum / n / 100) / 10), waveId: w.waveId, runtimes: n };
    }
  }
  return undefined;
}
