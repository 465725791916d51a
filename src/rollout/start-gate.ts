/**
 * Which pending runtime a wave may start now, under its environment's maintenance-window policy and freeze calendar
 * (windows.ts, freeze-calendar.ts), and what the wave is waiting for when it may start none. The runner asks `take`
 * instead of taking the queue's head; with `windows: ignore` and no calendar entry it is exactly the queue's head.
 * Runtimes already in flight when a wave resumes are never held (they were started inside their window).
 */
import type { WaveRuntime } from '../journal/journal.js';
import type { WindowsPolicy } from '../config/schedule.js';
import type { Clock } from './clock.js';
import { forEnv, freeFrom, holdingAt, type CalendarEntry } from './freeze-calendar.js';
import { earliestFit, fitsAt, nextOpening, openingAt, utcText, windowOrNull, type DailyWindow } from './windows.js';

/** An environment's start rules: the window policy and the freeze calendar (all environments' entries). */
export interface Schedule {
  windows: WindowsPolicy;
  calendar: CalendarEntry[];
}

/** What holds the runtimes that may not start now. */
export interface Waiting {
  /** Runtimes held by their window or the calendar. */
  runtimes: number;
  /** When the first of them may start (epoch ms), or null when none ever may. */
  nextStart: number | null;
  /** "waiting for window: 312 runtimes, the next window opens 22:00 UTC". */
  text: string;
}

type Held = 'calendar' | 'window' | null;

/**
 * When a runtime taking `durationMs` with window `w` may start at or after `t` under `policy` and the calendar
 * `entries` (of its environment) for its `region`. A window shorter than the duration never fits: such a runtime
 * starts at its window's opening (inside it, though it may run past the end).
 */
export function startTime(o: { policy: WindowsPolicy; entries: CalendarEntry[]; w: DailyWindow | null; region: string; durationMs: number }, t: number): number {
  for (let i = 0; i < 100; i++) {
    const free = freeFrom(o.entries, o.region, t);
    if (o.policy !== 'require' || !o.w) return free;
    const fit = o.w.lengthMs < o.durationMs ? (openingAt(o.w, free) ? free : nextOpening(o.w, free).start) : earliestFit(o.w, free, o.durationMs);
    if (fit === free) return free;
    t = fit;
  }
  return t;
}

export class StartGate {
  private readonly windows = new Map<string, DailyWindow | null>();
  private readonly entries: CalendarEntry[];
  private readonly policy: WindowsPolicy;
  private now: number;

  constructor(
    schedule: Schedule | undefined,
    env: string,
    private readonly durationMs: number,
    private readonly clock: Clock,
  ) {
    this.policy = schedule?.windows ?? 'ignore';
    this.entries = forEnv(schedule?.calendar ?? [], env);
    this.now = clock.now();
  }

  /** Whether anything can hold a runtime (otherwise `take` is the queue's head). */
  get active(): boolean {
    return this.policy !== 'ignore' || this.entries.length > 0;
  }

  /** Reads the clock: decisions until the next tick are for this moment. */
  tick(): void {
    this.now = this.clock.now();
  }

  private windowOf(r: WaveRuntime): DailyWindow | null {
    let w = this.windows.get(r.runtimeId);
    if (w === undefined) this.windows.set(r.runtimeId, (w = windowOrNull(r.runtime.maintenance)));
    return w;
  }

  private held(r: WaveRuntime): Held {
    if (r.state !== 'pending') return null;
    if (holdingAt(this.entries, r.runtime.region, this.now)) return 'calendar';
    if (this.policy !== 'require') return null;
    const w = this.windowOf(r);
    if (!w) return null;
    return (w.lengthMs < this.durationMs ? openingAt(w, this.now) : fitsAt(w, this.now, this.durationMs)) ? null : 'window';
  }

  private inside(r: WaveRuntime): boolean {
    const w = this.windowOf(r);
    return !!w && !!openingAt(w, this.now);
  }

  /** Takes the runtime to start next out of `pending`, or undefined when every pending one is held now. */
  take(pending: WaveRuntime[]): WaveRuntime | undefined {
    if (!this.active) return pending.shift();
    let i = this.policy === 'prefer' ? pending.findIndex((r) => this.held(r) === null && this.inside(r)) : -1;
    if (i < 0) i = pending.findIndex((r) => this.held(r) === null);
    return i < 0 ? undefined : pending.splice(i, 1)[0];
  }

  /** What holds the pending runtimes that may not start now; undefined when none is held. */
  waiting(pending: WaveRuntime[]): Waiting | undefined {
    if (!this.active) return undefined;
    let byWindow = 0;
    const byEntry = new Map<CalendarEntry, number>();
    let next = Infinity;
    for (const r of pending) {
      const why = this.held(r);
      if (!why) continue;
      if (why === 'window') byWindow++;
      else {
        const e = holdingAt(this.entries, r.runtime.region, this.now)!;
        byEntry.set(e, (byEntry.get(e) ?? 0) + 1);
      }
      next = Math.min(next, startTime({ policy: this.policy, entries: this.entries, w: this.windowOf(r), region: r.runtime.region, durationMs: this.durationMs }, this.now));
    }
    const held = byWindow + [...byEntry.values()].reduce((a, b) => a + b, 0);
    if (!held) return undefined;
    const parts = [...byEntry].map(([e, n]) => `frozen by the calendar: ${e.name}${e.reason ? ` (${e.reason})` : ''} until ${utcText(e.to, this.now)}, ${n} runtime${n === 1 ? '' : 's'}`);
    const opens = Number.isFinite(next) ? `, the next window opens ${utcText(next, this.now)}` : '';
    if (byWindow) parts.push(`waiting for window: ${byWindow} runtime${byWindow === 1 ? '' : 's'}${opens}`);
    return { runtimes: held, nextStart: Number.isFinite(next) ? next : null, text: parts.join('; ') };
  }
}
