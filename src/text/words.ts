/** Numbers in words people read: counts with their noun in the right number, durations rounded. */

/** `1 runtime`, `3 runtimes`, `0 runtimes`; `plural` for nouns that do not just take an s. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** Seconds as people write them: `5.1 s`, `45 s`, `0.4 s` — one decimal below 10 s, whole seconds above. */
export function seconds(s: number): string {
  if (!Number.isFinite(s)) return `${s} s`;
  const shown = Math.abs(s) < 10 ? Math.round(s * 10) / 10 : Math.round(s);
  return `${shown} s`;
}

/** A duration for an ETA: `40 s`, `3 min`, `1 h 20 min`. */
export function duration(s: number): string {
  if (s < 90) return seconds(Math.max(0, s));
  const min = Math.round(s / 60);
  return min < 90 ? `${min} min` : `${Math.floor(min / 60)} h ${min % 60} min`;
}

/**
 * A wave's state as words. A wave that ended `finished` with runtimes never started was drained (C5 has no state
 * of its own for it): say so, with what was left, instead of "finished … 40 pending".
 */
export function waveStateWords(state: string, pending: number): string {
  return state === 'finished' && pending > 0 ? `drained (${count(pending, 'runtime')} not started)` : state;
}

/**
 * What the `running` count of a wave's counts (C5) is, in words: runtimes in flight while a runner has the wave
 * (running, paused, draining); once it stopped (aborted, interrupted, budget-stopped), runtimes it left unfinished —
 * some perhaps past their patch — that `resume` re-checks by state. Not "running": nothing runs them. `active`: the
 * word while a runner has it (`running`, or `in flight` where the sentence needs it).
 */
export function runningWord(state: string, active = 'running'): string {
  return state === 'running' || state === 'paused' || state === 'draining' ? active : 'left unfinished';
}

/**
 * A wave's counts as words (`migrated 3, error 1, left unfinished 1`): the non-zero ones, `running` as
 * {@link runningWord} says, and `pending` left out where {@link waveStateWords} already names it (drained).
 */
export function countsWords(state: string, counts: Readonly<Record<string, number>>): string {
  const drained = waveStateWords(state, counts.pending ?? 0) !== state;
  return Object.entries(counts)
    .filter(([k, n]) => n > 0 && !(k === 'pending' && drained))
    .map(([k, n]) => `${k === 'running' ? runningWord(state) : k} ${n}`)
    .join(', ');
}
