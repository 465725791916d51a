/** Issue 20: the freeze calendar — entries per environment and region, whole days, chained entries, entries met. */
import { describe, expect, it } from '@jest/globals';
import { calendarSchema } from '../../../src/config/schedule.js';
import { calendarOf, entriesMet, entryText, forEnv, freeFrom, holdingAt } from '../../../src/rollout/freeze-calendar.js';

const at = (iso: string) => Date.parse(iso);

const calendar = calendarOf(
  calendarSchema.parse([
    { name: 'release freeze', reason: 'year-end release', from: '2026-12-20', to: '2026-12-27' },
    { name: 'Diwali', reason: 'public holiday', from: '2026-11-08', to: '2026-11-08', regions: ['ap-south-1'] },
    { name: 'prod change stop', from: '2026-12-27T00:00:00Z', to: '2026-12-28T06:00:00+01:00', environments: ['prod'] },
  ]),
);

describe('src/rollout/freeze-calendar.ts', () => {
  it('a day means the whole day in UTC: from its 00:00 to the next 00:00, the last day included', () => {
    expect(calendar[0].from).toBe(at('2026-12-20T00:00:00Z'));
    expect(calendar[0].to).toBe(at('2026-12-28T00:00:00Z'));
    expect(calendar[1].to - calendar[1].from).toBe(86_400_000);
  });

  it('holds runtimes of every region in every environment for an unscoped entry, only its region for a scoped one', () => {
    const stage = forEnv(calendar, 'stage');
    expect(holdingAt(stage, 'eu-central-1', at('2026-12-24T12:00:00Z'))?.name).toBe('release freeze');
    expect(holdingAt(stage, 'eu-central-1', at('2026-12-28T00:00:00Z'))).toBeUndefined();
    expect(holdingAt(stage, 'ap-south-1', at('2026-11-08T23:59:59Z'))?.name).toBe('Diwali');
    expect(holdingAt(stage, 'eu-central-1', at('2026-11-08T12:00:00Z'))).toBeUndefined();
    expect(holdingAt(stage, 'ap-south-1', at('2026-11-09T00:00:00Z'))).toBeUndefined();
  });

  it('an environment-scoped entry holds only that environment; chained entries end at the last one', () => {
    expect(forEnv(calendar, 'stage').map((e) => e.name)).toEqual(['release freeze', 'Diwali']);
    expect(forEnv(calendar, 'prod').map((e) => e.name)).toEqual(['release freeze', 'Diwali', 'prod change stop']);
    expect(freeFrom(forEnv(calendar, 'stage'), 'eu-central-1', at('2026-12-24T00:00:00Z'))).toBe(at('2026-12-28T00:00:00Z'));
    expect(freeFrom(forEnv(calendar, 'prod'), 'eu-central-1', at('2026-12-24T00:00:00Z'))).toBe(at('2026-12-28T05:00:00Z'));
    expect(freeFrom(forEnv(calendar, 'prod'), 'eu-central-1', at('2026-12-29T00:00:00Z'))).toBe(at('2026-12-29T00:00:00Z'));
  });

  it('lists the entries a wave meets: overlapping its time and concerning one of its regions', () => {
    const prod = forEnv(calendar, 'prod');
    expect(entriesMet(prod, ['eu-central-1'], at('2026-11-01T00:00:00Z'), at('2026-11-10T00:00:00Z'))).toEqual([]);
    expect(entriesMet(prod, ['eu-central-1', 'ap-south-1'], at('2026-11-01T00:00:00Z'), at('2026-11-10T00:00:00Z')).map((e) => e.name)).toEqual(['Diwali']);
    expect(entriesMet(prod, ['eu-central-1'], at('2026-12-19T00:00:00Z'), at('2026-12-27T01:00:00Z')).map((e) => e.name)).toEqual(['release freeze', 'prod change stop']);
    expect(entryText(calendar[1], at('2026-11-01T00:00:00Z'))).toBe('Diwali (public holiday) Sun 8 Nov 00:00 UTC → Mon 9 Nov 00:00 UTC, regions ap-south-1');
  });

  it('the config refuses an entry that ends before it begins, or a time without an offset, with an example', () => {
    const bad = (entry: object) => calendarSchema.safeParse([entry]).error?.issues.map((i) => i.message).join('; ');
    expect(bad({ name: 'x', from: '2026-12-27', to: '2026-12-20' })).toContain('a calendar entry ends after it begins (e.g. from: 2026-12-20, to: 2026-12-27)');
    expect(bad({ name: 'x', from: '2026-12-20T10:00:00', to: '2026-12-21' })).toContain('e.g. 2026-12-24T18:00:00Z');
    expect(bad({ name: 'x', from: '2026-12-20', to: '2026-12-21', environments: ['qa'] })).toBeDefined();
  });
});
