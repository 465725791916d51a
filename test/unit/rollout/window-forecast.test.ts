/** Issue 20: the plan's forecast over maintenance windows and the freeze calendar (nights, ETA, entries met). */
import { describe, expect, it } from '@jest/globals';
import { calendarOf } from '../../../src/rollout/freeze-calendar.js';
import { forecastSchedule, nightsText, scheduleLines } from '../../../src/rollout/window-forecast.js';

const NOW = Date.parse('2026-12-07T10:00:00Z');
const MIN = 60_000;
const late = { begin: '220000+0000', end: '230000+0000' };
const base = { env: 'prod', now: NOW, concurrency: 1, perRuntimeMs: 20 * MIN, deadlineMs: 8.5 * MIN, calendar: [] };

describe('src/rollout/window-forecast.ts', () => {
  it('require: a window takes what fits before it closes, deadline included; the rest waits for the next night', () => {
    const f = forecastSchedule({ ...base, windows: 'require', runtimes: Array.from({ length: 4 }, () => ({ region: 'eu', maintenance: late })) })!;
    // 22:00, 22:20, 22:40 (ends 22:48:30 ≤ 23:00); 23:00 is outside: the 4th starts at 22:00 the next day.
    expect(f.byDay).toEqual([3, 1]);
    expect(f.eta).toBe((Date.parse('2026-12-08T22:20:00Z') - NOW) / 1000);
    expect(nightsText(f.byDay)).toBe("~2 nights: 3 runtimes in tonight's windows, 1 tomorrow");
    expect(scheduleLines(f, NOW)).toEqual(["  maintenance windows: require — ~2 nights: 3 runtimes in tonight's windows, 1 tomorrow", '  calendar: no freeze met by this wave']);
  });

  it('ignore with no calendar entry for the environment: no forecast (the plan stays as it was)', () => {
    expect(forecastSchedule({ ...base, windows: 'ignore', runtimes: [{ region: 'eu', maintenance: late }] })).toBeUndefined();
    const stageOnly = calendarOf([{ name: 'x', from: '2026-12-07', to: '2026-12-08', environments: ['stage'] }]);
    expect(forecastSchedule({ ...base, windows: 'ignore', calendar: stageOnly, runtimes: [{ region: 'eu' }] })).toBeUndefined();
  });

  it('a freeze over tonight moves the runtimes of its region to the first window after it, and is listed', () => {
    const calendar = calendarOf([{ name: 'Diwali', reason: 'public holiday', from: '2026-12-07', to: '2026-12-07', regions: ['ap-south-1'] }]);
    const f = forecastSchedule({ ...base, windows: 'require', calendar, runtimes: [{ region: 'eu', maintenance: late }, { region: 'ap-south-1', maintenance: late }] })!;
    expect(f.byDay).toEqual([1, 1]);
    expect(f.calendar).toEqual([{ name: 'Diwali', reason: 'public holiday', from: '2026-12-07T00:00:00.000Z', to: '2026-12-08T00:00:00.000Z', regions: ['ap-south-1'] }]);
    expect(scheduleLines(f, NOW)[1]).toBe('  calendar: Diwali (public holiday) now → Tue 8 Dec 00:00 UTC, regions ap-south-1');
  });

  it('prefer counts the runtimes inside their window now; windows shorter than the deadline and missing ones are noted', () => {
    const f = forecastSchedule({ ...base, windows: 'prefer', runtimes: [{ region: 'eu', maintenance: { begin: '093000+0000', end: '103000+0000' } }, { region: 'eu', maintenance: { begin: '100000+0000', end: '100500+0000' } }, { region: 'eu' }] })!;
    expect(f).toMatchObject({ insideNow: 2, withoutWindow: 1, shortWindow: 1 });
    expect(scheduleLines(f, NOW)[0]).toBe('  maintenance windows: prefer — runtimes inside their window start first (2 inside their window now go first; 1 without a window are not held by one; 1 with a window shorter than the deadline start at its opening)');
  });
});
