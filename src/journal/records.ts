/**
 * What both journal implementations share beyond the interface: the waveId and taskId formats, which task
 * states count as active (one active task per runtime), which wave states end a wave, and the journal's error.
 */
import type { TaskState, WaveState } from './journal.js';

/**
 * Task states in which a task still asks something of someone. A runtime has at most one task in these states
 * (a partial unique index in both schemas); `openTask` returns that one instead of opening a second.
 */
export const ACTIVE_TASK_STATES = ['open', 'agreed', 'renaming', 'rename-failed'] as const satisfies readonly TaskState[];

/** Wave states after which nothing more happens to a wave; `setWaveState` stamps `finishedAt` on entering one. */
export const FINAL_WAVE_STATES = ['finished', 'aborted'] as const satisfies readonly WaveState[];

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

/** `createWave({ exclusive: true })` refused: the environment already has an active wave. */
export class WaveActiveError extends Error {
  readonly code = 'wave-active';
  constructor(
    readonly env: string,
    readonly waveId: string,
    readonly state: WaveState,
  ) {
    super(`environment ${env} already has an active wave: ${waveId} (${state}); one wave per environment at a time`);
    this.name = 'WaveActiveError';
  }
}

/** A write addressed a wave, runtime or task the journal does not hold. */
export class JournalNotFoundError extends Error {
  readonly code = 'journal-not-found';
  constructor(what: string) {
    super(`journal has no ${what}`);
    this.name = 'JournalNotFoundError';
  }
}

/** `createWave({ consumeApproval })` refused: the approval was used by another wave (or command) in the meantime. */
export class ApprovalUsedError extends Error {
  readonly code = 'approval-used';
  constructor(readonly approvalId: number) {
    super(`approval ${approvalId} was used already: each wave needs an approval of its own`);
    this.name = 'ApprovalUsedError';
  }
}

/**
 * A runner's write to a runtime of a wave was refused: `not-lease-holder` — the writer does not hold the wave's lease
 * (it lost it, or another runner holds it); `finished` — the runtime has a final result, which is never overwritten.
 */
export class RuntimeWriteRefusedError extends Error {
  readonly code = 'runtime-write-refused';
  constructor(
    readonly waveId: string,
    readonly runtimeId: string,
    readonly reason: 'not-lease-holder' | 'finished',
    readonly holder?: string,
  ) {
    super(
      reason === 'finished'
        ? `runtime ${runtimeId} of wave ${waveId} is already finished: its result is never overwritten`
        : holder
          ? `runner ${holder} does not hold the lease of wave ${waveId}: its write to runtime ${runtimeId} is refused`
          : `wave ${waveId} has a lease: a write to runtime ${runtimeId} without its holder is refused (pass the lease holder, e.g. "host:1234:ab12")`,
    );
    this.name = 'RuntimeWriteRefusedError';
  }
}

/**
 * The journal cannot be reached (connection refused, lost or timed out; the server shutting down). Nothing is known
 * to have been written by the statement that failed. `reason` says which, in a few words (never a raw driver
 * message); `waveId`: the wave whose runner stopped because of it.
 */
export class JournalUnavailableError extends Error {
  readonly code = 'journal-unavailable';
  constructor(
    readonly reason: string,
    cause: unknown,
    readonly waveId?: string,
  ) {
    super(
      waveId
        ? `the journal (PostgreSQL) is unreachable (${reason}): wave ${waveId} stopped — it started nothing more, and its runtimes in flight were left at their last checkpoints (re-checked by state on resume, never patched twice). Once the journal answers again: istio-migrate resume ${waveId} --yes`
        : `the journal (PostgreSQL) is unreachable (${reason}); check the database and the network to it, then try again`,
      { cause },
    );
    this.name = 'JournalUnavailableError';
  }

  /** The same failure, as the reason wave `waveId` stopped. */
  forWave(waveId: string): JournalUnavailableError {
    return new JournalUnavailableError(this.reason, this.cause, waveId);
  }
}
