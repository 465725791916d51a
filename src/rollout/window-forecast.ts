/**
 * The plan's view of maintenance windows and the freeze calendar: when each runtime can start (a greedy run of the
 * wave at its concurrency, each runtime taking about `perRuntimeMs`, a start allowed only where start-gate.ts would
 * allow it), hence the ETA, how many runtimes start in which night, and the calendar entries the wave will meet.
 */
import type { WindowsPolicy } from '../config/schedule.js';
import type { PlannedRuntime } from '../journal/journal.js';
import { entriesMet, entryText, forEnv, type CalendarEntry } from './freeze-calendar.js';
import { startTime } from './start-gate.js';
import { DAY_MS, openingAt, windowOrNull, type DailyWindow } from './windows.js';

export interface ScheduleForecast {
  /** The environment's windows policy. */
  windows: WindowsPolicy;
  /** Expected wall time in seconds, windows and calendar included. */
  eta: number;
  /** Runtimes by the day (from the plan's time, 24 h each) in which they are expected to start. */
  byDay: number[];
  /** Runtimes whose window is open at plan time (with `prefer` they go first). */
  insideNow: number;
  /** Runtimes whose shoot has no (readable) maintenance window: windows do not hold them. */
  withoutWindow: number;
  /** Runtimes whose window is shorter than the deadline: they start at its opening and may run past its end. */
  shortWindow: number;
  /** Calendar entries the wave meets, by start. */
  calendar: { name: string; reason?: string; from: string; to: string; regions?: string[] }[];
}

interface Input {
  runtimes: Pick<PlannedRuntime, 'region' | 'maintenance'>[];
  env: string;
  windows: WindowsPolicy;
  calendar: CalendarEntry[];
  now: number;
  concurrency: number;
  perRuntimeMs: number;
  deadlineMs: number;
}

/** Undefined when nothing holds the wave: `windows: ignore` and no calendar entry for the environment. */
export function forecastSchedule(o: Input): ScheduleForecast | undefined {
  const entries = forEnv(o.calendar, o.env);
  if (o.windows === 'ignore' && !entries.length) return undefined;
  const rts = o.runtimes.map((r) => ({ region: r.region, w: windowOrNull(r.maintenance) }));
  const rule = (r: (typeof rts)[number]) => ({ policy: o.windows, entries, w: r.w, region: r.region, durationMs: o.deadlineMs });
  const slots = Array.from({ length: Math.max(1, Math.min(o.concurrency, rts.length || 1)) }, () => o.now);
  let queue = rts.map((r) => ({ r, at: startTime(rule(r), o.now) }));
  const starts: number[] = [];
  // Greedy in time order: each runtime takes the slot free first; a start that no longer fits (its window closed or
  // a freeze began meanwhile) is put back at its next possible time. Rounds end when none is put back.
  for (let round = 0; queue.length && round < 60; round++) {
    queue.sort((a, b) => (o.windows === 'prefer' ? Number(!insideAt(b.r.w, o.now)) - Number(!insideAt(a.r.w, o.now)) : 0) || a.at - b.at);
    const later: typeof queue = [];
    for (const q of queue) {
      if (!Number.isFinite(q.at)) continue;
      const i = slots.indexOf(Math.min(...slots));
      const at = Math.max(q.at, slots[i]);
      if (startTime(rule(q.r), at) !== at) later.push({ r: q.r, at: startTime(rule(q.r), at) });
      else {
        starts.push(at);
        slots[i] = at + o.perRuntimeMs;
      }
    }
    queue = later;
  }
  const byDay: number[] = [];
  for (const s of starts) {
    const d = Math.floor((s - o.now) / DAY_MS);
    while (byDay.length <= d) byDay.push(0);
    byDay[d]++;
  }
  const end = starts.length ? Math.max(...starts) + o.perRuntimeMs : o.now;
  return {
    windows: o.windows,
    eta: Math.ceil((end - o.now) / 1000),
    byDay,
    insideNow: rts.filter((r) => insideAt(r.w, o.now)).length,
    withoutWindow: rts.filter((r) => !r.w).length,
    shortWindow: rts.filter((r) => r.w && r.w.lengthMs < o.deadlineMs).length,
    calendar: entriesMet(entries, new Set(rts.map((r) => r.region)), o.now, end).map((e) => ({ name: e.name, ...(e.reason && { reason: e.reason }), from: new Date(e.from).toISOString(), to: new Date(e.to).toISOString(), ...(e.regions && { regions: e.regions }) })),
  };
}

const insideAt = (w: DailyWindow | null, t: number) => !!w && !!openingAt(w, t);

const num = (n: number) => n.toLocaleString('en-US');

/** "~2 nights: 1,840 runtimes in tonight's windows, 412 tomorrow". */
export function nightsText(byDay: number[]): string {
  const days = byDay.filter((n) => n > 0).length;
  const parts = byDay.flatMap((n, d) => (n ? [d === 0 ? `${num(n)} runtime${n === 1 ? '' : 's'} in tonight's windows` : d === 1 ? `${num(n)} tomorrow` : `${num(n)} in ${d} days`] : []));
  return `~${days} night${days === 1 ? '' : 's'}: ${parts.join(', ') || 'nothing to start'}`;
}

/** The plan's lines about windows and the calendar (none when the forecast is absent). */
export function scheduleLines(s: ScheduleForecast | undefined, now: number): string[] {
  if (!s) return [];
  const notes = [
    s.windows === 'prefer' ? `${num(s.insideNow)} inside their window now go first` : '',
    s.withoutWindow ? `${num(s.withoutWindow)} without a window are not held by one` : '',
    s.shortWindow ? `${num(s.shortWindow)} with a window shorter than the deadline start at its opening` : '',
  ].filter(Boolean);
  const line = s.windows === 'require' ? nightsText(s.byDay) : s.windows === 'prefer' ? 'runtimes inside their window start first' : 'not used (windows: ignore)';
  const met = s.calendar.map((e) => `  calendar: ${entryText({ ...e, from: Date.parse(e.from), to: Date.parse(e.to) }, now)}`);
  return [`  maintenance windows: ${s.windows} — ${line}${notes.length ? ` (${notes.join('; ')})` : ''}`, ...(met.length ? met : [`  calendar: no freeze met by this wave`])];
}
