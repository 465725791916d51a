/**
 * A wave's progress as one line — `stage-20261125-1 12/48 done · 4 in flight · ETA ~40 s · budget 1 of 2 left` —
 * from the wave event stream (started/finished runtimes), for the shell's live line (run and resume at a terminal). Pure
 * bookkeeping: no I/O; the clock is passed in so that tests decide the time. The ETA follows the rule of the Slack
 * message and the wave page (src/rollout/eta.ts), over the runtimes that finished in this run.
 */
import { etaPaceStart, liveEtaSeconds } from '../src/rollout/eta.js';
import { duration } from '../src/text/words.js';

export interface WaveProgressStart {
  waveId: string;
  /** Runtimes of the wave. */
  total: number;
  /** Finished before this run started (a resume). */
  done: number;
  /** Platform failures so far, and the error budget (failures allowed). */
  failures: number;
  budget: number;
  now: number;
}

export class WaveProgress {
  private done: number;
  private inFlight = 0;
  private failures: number;
  /** When the runtimes that finished in this run did, oldest first (those older than the pace window dropped). */
  private readonly finishTimes: number[] = [];
  private readonly startedAt: number;
  /** The wave's state as the stream last told it (the ETA rule has none while it is not running). */
  private state = 'running';

  constructor(private readonly s: WaveProgressStart) {
    this.done = s.done;
    this.failures = s.failures;
    this.startedAt = s.now;
  }

  started(): void {
    this.inFlight++;
  }

  /** `at`: when the runtime's result finished (its `finishedAt`, the time the journal keeps). */
  finished(platformFailure: boolean, at: number): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.done++;
    this.finishTimes.push(at);
    if (platformFailure) this.failures++;
  }

  /** The wave's state changed (paused, draining, running again, …). */
  stateChanged(state: string): void {
    this.state = state;
  }

  /** `12/48` */
  get fraction(): string {
    return `${this.done}/${this.s.total}`;
  }

  /** Seconds left at the pace of this run's last ten minutes; null before a runtime finished in them. */
  etaSeconds(now: number): number | null {
    const paceStart = etaPaceStart(now, this.startedAt);
    while (this.finishTimes.length && this.finishTimes[0] < paceStart) this.finishTimes.shift();
    return liveEtaSeconds({ state: this.state, left: this.s.total - this.done, finishedInPace: this.finishTimes.length, now, paceStart });
  }

  line(now: number): string {
    const eta = this.etaSeconds(now);
    const left = Math.max(0, this.s.budget - this.failures);
    return [
      `${this.s.waveId} ${this.fraction} done`,
      `${this.inFlight} in flight`,
      this.done >= this.s.total ? 'ETA —' : eta === null ? 'ETA …' : `ETA ~${duration(eta)}`,
      `budget ${left} of ${this.s.budget} left`,
    ].join(' · ');
  }
}
