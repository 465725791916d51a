/**
 * Issue 20: Gardener maintenance windows (`HHMMSS+ZZZZ`) — parsing, offsets, windows crossing midnight, and whether a
 * runtime's whole deadline fits before the window closes.
 */
import { describe, expect, it } from '@jest/globals';
import { DAY_MS, earliestFit, fitsAt, nextOpening, openingAt, parseWindow, parseWindowTime, utcText, windowOrNull, WindowFormatError } from '../../../src/rollout/windows.js';

const at = (iso: string) => Date.parse(iso);
const H = 3_600_000;

describe('src/rollout/windows.ts', () => {
  it('parses HHMMSS+ZZZZ into UTC, with positive and negative offsets wrapping around midnight', () => {
    expect(parseWindowTime('220000+0000')).toBe(22 * H);
    expect(parseWindowTime('220000+0100')).toBe(21 * H);
    expect(parseWindowTime('003000+0100')).toBe(23.5 * H); // 00:30 at +01:00 is 23:30 UTC the day before
    expect(parseWindowTime('230000-0200')).toBe(1 * H); // 23:00 at -02:00 is 01:00 UTC the next day
    expect(parseWindowTime('101530+0530')).toBe(4 * H + 45 * 60_000 + 30_000);
  });

  it('refuses malformed times, naming the value and showing the format', () => {
    for (const bad of ['22:00', '2200+0000', '240000+0000', '226000+0000', '220000Z', '220000+00']) {
      expect(() => parseWindowTime(bad)).toThrow(WindowFormatError);
    }
    expect(() => parseWindowTime('22:00')).toThrow('maintenance window time "22:00" is not HHMMSS+ZZZZ (e.g. 220000+0000');
    expect(windowOrNull({ begin: 'x', end: '230000+0000' })).toBeNull();
    expect(windowOrNull(undefined)).toBeNull();
  });

  it('a window crossing midnight is open late in the evening and early in the morning, closed at noon', () => {
    const w = parseWindow({ begin: '230000+0000', end: '010000+0000' });
    expect(w).toEqual({ beginMs: 23 * H, lengthMs: 2 * H });
    expect(openingAt(w, at('2026-12-06T23:30:00Z'))).toEqual({ start: at('2026-12-06T23:00:00Z'), end: at('2026-12-07T01:00:00Z') });
    expect(openingAt(w, at('2026-12-07T00:59:59Z'))).toEqual({ start: at('2026-12-06T23:00:00Z'), end: at('2026-12-07T01:00:00Z') });
    expect(openingAt(w, at('2026-12-07T01:00:00Z'))).toBeUndefined(); // the end is not inside
    expect(openingAt(w, at('2026-12-07T12:00:00Z'))).toBeUndefined();
    expect(nextOpening(w, at('2026-12-07T12:00:00Z')).start).toBe(at('2026-12-07T23:00:00Z'));
  });

  it('applies offsets to containment: 22:00–23:00 at +0100 is 21:00–22:00 UTC', () => {
    const w = parseWindow({ begin: '220000+0100', end: '230000+0100' });
    expect(openingAt(w, at('2026-12-06T21:30:00Z'))).toBeDefined();
    expect(openingAt(w, at('2026-12-06T22:30:00Z'))).toBeUndefined();
    // begin and end with different offsets: 22:00 UTC to 01:00 at +0200 (23:00 UTC)
    expect(parseWindow({ begin: '220000+0000', end: '010000+0200' })).toEqual({ beginMs: 22 * H, lengthMs: H });
    // begin equal to end: open all day
    expect(parseWindow({ begin: '000000+0000', end: '000000+0000' }).lengthMs).toBe(DAY_MS);
  });

  it('a start fits only when the whole deadline ends before the window closes; else the next opening', () => {
    const w = parseWindow({ begin: '220000+0000', end: '230000+0000' });
    const deadline = 510_000; // 8.5 min
    expect(fitsAt(w, at('2026-12-06T22:00:00Z'), deadline)).toBe(true);
    expect(fitsAt(w, at('2026-12-06T22:51:30Z'), deadline)).toBe(true); // ends exactly at 23:00
    expect(fitsAt(w, at('2026-12-06T22:51:31Z'), deadline)).toBe(false);
    expect(fitsAt(w, at('2026-12-06T21:59:59Z'), deadline)).toBe(false);
    expect(earliestFit(w, at('2026-12-06T22:10:00Z'), deadline)).toBe(at('2026-12-06T22:10:00Z'));
    expect(earliestFit(w, at('2026-12-06T22:55:00Z'), deadline)).toBe(at('2026-12-07T22:00:00Z'));
    expect(earliestFit(w, at('2026-12-06T08:00:00Z'), deadline)).toBe(at('2026-12-06T22:00:00Z'));
    expect(earliestFit(w, at('2026-12-06T08:00:00Z'), 2 * H)).toBe(Infinity); // never fits a 1 h window
  });

  it('shows times in UTC, with the day when it is not within the next 24 h', () => {
    expect(utcText(at('2026-12-06T22:00:00Z'), at('2026-12-06T10:00:00Z'))).toBe('22:00 UTC');
    expect(utcText(at('2026-12-08T22:00:00Z'), at('2026-12-06T10:00:00Z'))).toBe('Tue 8 Dec 22:00 UTC');
  });
});
