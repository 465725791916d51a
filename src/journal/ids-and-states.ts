/**
 * The journal's formats and state sets: the waveId and taskId formats, which task states count as active (one
 * active task per runtime), which wave states hold an environment or end a wave, which checkpoints a start keeps.
 */
import type { TaskState, WaveState } from './journal.js';

/**
 * Task states in which a task still asks something of someone. A runtime has at most one task in these states
 * (a partial unique index in both schemas); `openTask` returns that one instead of opening a second.
 */
export const ACTIVE_TASK_STATES = ['open', 'agreed', 'renaming', 'rename-failed'] as const satisfies readonly TaskState[];

/** Wave states after which nothing more happens to a wave; `setWaveState` stamps `finishedAt` on entering one. */
export const FINAL_WAVE_STATES = ['finished', 'aborted'] as const satisfies readonly WaveState[];

/** Wave states a wave's run ended in (a person may still resume a budget-stopped one): its figures are complete. */
export const ENDED_WAVE_STATES = ['finished', 'budget-stopped', 'aborted'] as const satisfies readonly WaveState[];

export function isFinalWaveState(state: WaveState): boolean {
  return (FINAL_WAVE_STATES as readonly WaveState[]).includes(state);
}

/**
 * `startRuntime` counts an attempt and sets `running`, except that a runtime whose last checkpoint is
 * `before-patch` or `patched` keeps it: a resumed runtime that crashes again before its next checkpoint must
 * still be known as possibly patched by this wave (C5: never `already-migrated`, never patched twice).
 */
export const START_KEEPS_CHECKPOINT = ['before-patch', 'patched'] as const;

/** The UTC day of a wave's creation, `yyyymmdd`. */
export function waveDay(now: Date): string {
  return now.toISOString().slice(0, 10).replaceAll('-', '');
}

/** `<env>-<yyyymmdd>-<n>`, n counted per environment and UTC day from 1 (C5). */
export function formatWaveId(env: string, day: string, n: number): string {
  return `${env}-${day}-${n}`;
}

/** Tasks are numbered by the store; the id shown in chat and on buttons is `task-<n>`. */
export function formatTaskId(seq: number): string {
  return `task-${seq}`;
}

/** The store's number of a taskId, or undefined when it is not one of ours (then no task has it). */
export function taskSeqOf(taskId: string): number | undefined {
  const m = /^task-([1-9][0-9]{0,14})$/.exec(taskId);
  return m ? Number(m[1]) : undefined;
}

/**
 * Wave states in which a wave still holds its environment (one wave per environment at a time): it runs, or waits
 * to be resumed, drained or aborted. `interrupted` counts: the bot resumes such a wave by itself. A wave whose stored
 * state is `running` but whose runner is gone is interrupted too, and is covered by `running`.
 */
export const ACTIVE_WAVE_STATES = ['running', 'paused', 'draining', 'interrupted'] as const satisfies readonly WaveState[];

/** The `usedBy` of an approval voided by a cancellation of its plan: `cancelled-by:<user>`. */
export const CANCELLED_BY = 'cancelled-by:';
