/**
 * Time for the window and calendar paths of the runner: `now()` and `sleep(ms)`. The system clock is the real one;
 * `ManualClock` is a simulated one for tests (and simulations) in which nothing really waits: a sleep registers a
 * timer, and whenever the process has nothing else to do (a turn of the event loop), time jumps to the earliest timer
 * and wakes it. Time only moves forward, and only to a time some sleeper asked for.
 */
import { sleep } from '../clients/retry.js';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now(), sleep: (ms) => sleep(ms) };

interface Timer {
  at: number;
  seq: number;
  wake: () => void;
}

export class ManualClock implements Clock {
  private t: number;
  private timers: Timer[] = [];
  private seq = 0;
  private scheduled = false;

  constructor(start: number) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      this.timers.push({ at: this.t + Math.max(0, ms), seq: this.seq++, wake });
      this.schedule();
    });
  }

  /** Moves time forward by `ms` at once (timers due by then wake in order). */
  advance(ms: number): void {
    this.t += ms;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || !this.timers.length) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.fire();
    });
  }

  /** Wakes the earliest timers (all due at the same time), moving time to them. */
  private fire(): void {
    if (!this.timers.length) return;
    const at = Math.min(...this.timers.map((x) => x.at));
    this.t = Math.max(this.t, at);
    const due = this.timers.filter((x) => x.at <= this.t).sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.timers = this.timers.filter((x) => x.at > this.t);
    for (const x of due) x.wake();
    this.schedule();
  }
}
