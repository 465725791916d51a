/**
 * Gardener maintenance windows (a shoot's `spec.maintenance.timeWindow`): `begin`/`end` as `HHMMSS+ZZZZ`, e.g.
 * `220000+0000`/`230000+0000`. A window recurs every day; it may cross midnight (`230000+0000`/`010000+0000`) and
 * its times may carry any UTC offset (`220000+0100` is 21:00 UTC). Pure functions over epoch milliseconds.
 */

export const DAY_MS = 86_400_000;

/** A daily window in UTC: it opens `beginMs` after midnight UTC and stays open `lengthMs` (at most a day). */
export interface DailyWindow {
  beginMs: number;
  lengthMs: number;
}

/** One opening of a window: [start, end) in epoch ms. */
export interface Opening {
  start: number;
  end: number;
}

const FORMAT = /^([01]\d|2[0-3])([0-5]\d)([0-5]\d)([+-])(\d\d)([0-5]\d)$/;

export class WindowFormatError extends Error {
  readonly code = 'window-format';
  constructor(readonly value: string) {
    super(`maintenance window time ${JSON.stringify(value)} is not HHMMSS+ZZZZ (e.g. 220000+0000, or 230000-0130)`);
  }
}

/** Milliseconds after midnight UTC of one `HHMMSS+ZZZZ` time. */
export function parseWindowTime(value: string): number {
  const m = FORMAT.exec(value);
  if (!m) throw new WindowFormatError(value);
  const [, hh, mm, ss, sign, oh, om] = m;
  const local = ((+hh * 60 + +mm) * 60 + +ss) * 1000;
  const offset = (sign === '-' ? -1 : 1) * (+oh * 60 + +om) * 60_000;
  return mod(local - offset, DAY_MS);
}

/** A shoot's window; `begin` equal to `end` is a window of a whole day. */
export function parseWindow(w: { begin: string; end: string }): DailyWindow {
  const beginMs = parseWindowTime(w.begin);
  const endMs = parseWindowTime(w.end);
  const lengthMs = mod(endMs - beginMs, DAY_MS) || DAY_MS;
  return { beginMs, lengthMs };
}

/** The window, or null when it is absent or malformed (such a runtime is not held by windows). */
export function windowOrNull(w: { begin: string; end: string } | undefined): DailyWindow | null {
  if (!w) return null;
  try {
    return parseWindow(w);
  } catch {
    return null;
  }
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** The opening that contains `t`, or undefined when the window is closed at `t`. */
export function openingAt(w: DailyWindow, t: number): Opening | undefined {
  const start = t - mod(t - w.beginMs, DAY_MS); // the latest opening at or before t
  return t < start + w.lengthMs ? { start, end: start + w.lengthMs } : undefined;
}

/** The opening that contains `t`, else the next one after `t`. */
export function nextOpening(w: DailyWindow, t: number): Opening {
  const open = openingAt(w, t);
  if (open) return open;
  const start = t - mod(t - w.beginMs, DAY_MS) + DAY_MS;
  return { start, end: start + w.lengthMs };
}

/** Whether a runtime that takes up to `durationMs` may start at `t`: the window is open and stays open that long. */
export function fitsAt(w: DailyWindow, t: number, durationMs: number): boolean {
  const open = openingAt(w, t);
  return !!open && t + durationMs <= open.end;
}

/**
 * The earliest time ≥ `t` at which a runtime taking `durationMs` may start inside its window: `t` itself when it fits,
 * else the start of the next opening; Infinity when the window is shorter than the duration (it never fits).
 */
export function earliestFit(w: DailyWindow, t: number, durationMs: number): number {
  if (w.lengthMs < durationMs) return Infinity;
  if (fitsAt(w, t, durationMs)) return t;
  const open = openingAt(w, t);
  return open ? open.start + DAY_MS : nextOpening(w, t).start;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "22:00 UTC" within a day after `now`, else (or without `now`) "Tue 8 Dec 22:00 UTC". */
export function utcText(t: number, now?: number): string {
  const d = new Date(t);
  const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
  if (now !== undefined && t >= now && t - now < DAY_MS) return hm;
  const day = d.toLocaleDateString('en-GB', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' }).replace(',', '');
  return `${day} ${hm}`;
}
