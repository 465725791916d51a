/**
 * The freeze calendar: configured periods (release freezes, public holidays) during which a wave starts nothing in
 * an environment — or, for an entry scoped to regions, nothing of those regions. Pure: the runner asks which entries
 * hold a runtime now, the plan asks which entries the wave will meet. The ad-hoc `freeze` command is separate and
 * keeps working beside it.
 */
import { instantMs, type CalendarEntryConfig } from '../config/schedule.js';
import { utcText } from './windows.js';

export interface CalendarEntry {
  name: string;
  reason?: string;
  /** [from, to) in epoch ms. */
  from: number;
  to: number;
  /** Undefined: every environment. */
  environments?: string[];
  /** Undefined: every region. */
  regions?: string[];
}

export function calendarOf(config: CalendarEntryConfig[] | undefined): CalendarEntry[] {
  return (config ?? []).map((e) => ({ name: e.name, reason: e.reason, from: instantMs(e.from, 'from'), to: instantMs(e.to, 'to'), environments: e.environments, regions: e.regions }));
}

/** The entries of the calendar that concern an environment at all. */
export function forEnv(calendar: CalendarEntry[], env: string): CalendarEntry[] {
  return calendar.filter((e) => !e.environments || e.environments.includes(env));
}

const inRegion = (e: CalendarEntry, region: string) => !e.regions || e.regions.includes(region);

/** The entry that holds a runtime of `region` at `t` (of entries already narrowed to its environment), if any. */
export function holdingAt(entries: CalendarEntry[], region: string, t: number): CalendarEntry | undefined {
  return entries.find((e) => e.from <= t && t < e.to && inRegion(e, region));
}

/** The first moment ≥ `t` at which no entry holds a runtime of `region` (entries may chain or overlap). */
export function freeFrom(entries: CalendarEntry[], region: string, t: number): number {
  for (let held = holdingAt(entries, region, t); held; held = holdingAt(entries, region, t)) t = held.to;
  return t;
}

/** Entries of the environment that overlap [from, to) and concern at least one of `regions`, by start. */
export function entriesMet(entries: CalendarEntry[], regions: Iterable<string>, from: number, to: number): CalendarEntry[] {
  const rs = [...regions];
  return entries.filter((e) => e.from < to && from < e.to && rs.some((r) => inRegion(e, r))).sort((a, b) => a.from - b.from);
}

/** "release freeze (no changes before the release) 20 Dec 00:00 UTC → 27 Dec 00:00 UTC, regions eu-de-1". */
export function entryText(e: CalendarEntry, now: number): string {
  const when = `${e.from <= now ? 'now' : utcText(e.from)} → ${utcText(e.to)}`;
  return `${e.name}${e.reason ? ` (${e.reason})` : ''} ${when}${e.regions ? `, regions ${e.regions.join(', ')}` : ''}`;
}
