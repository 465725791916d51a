/**
 * When a wave may start runtimes, in the config: each environment's maintenance-window policy (`windows`) and the
 * freeze calendar (`calendar`: release freezes, public holidays — over every environment, or some, or some regions).
 */
import { z } from 'zod';

/**
 * How a wave treats the shoots' Gardener maintenance windows: `ignore` (default) starts runtimes whenever the queue
 * reaches them; `prefer` starts runtimes inside their window first; `require` starts a runtime only inside its window
 * and only when its whole deadline fits before the window closes. Part of the plan hash unless `ignore`.
 */
export const windowsPolicySchema = z.enum(['ignore', 'prefer', 'require']);
export type WindowsPolicy = z.infer<typeof windowsPolicySchema>;

/** A date-time with an offset (`2026-12-24T00:00:00Z`), or a whole day in UTC (`2026-12-24`). */
const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()], {
  error: 'a time is an ISO date-time with an offset (e.g. 2026-12-24T18:00:00Z) or a day (e.g. 2026-12-24, a whole day in UTC)',
});

/** Epoch ms of an instant: a day is its 00:00 UTC as `from`, the next day's 00:00 UTC as `to` (the day included). */
export function instantMs(v: string, as: 'from' | 'to'): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return Date.parse(`${v}T00:00:00Z`) + (as === 'to' ? 86_400_000 : 0);
  return Date.parse(v);
}

export const calendarEntrySchema = z
  .object({
    /** What the operators call it, e.g. "release freeze 2026-12" or "Diwali (ap-south-1)". */
    name: z.string().min(1),
    reason: z.string().min(1).optional(),
    /** First moment of the freeze; a day means its 00:00 UTC. */
    from: instant,
    /** End of the freeze; a day means the end of that day (inclusive). */
    to: instant,
    /** The environments it freezes; absent: all. */
    environments: z.array(z.enum(['dev', 'stage', 'prod'])).min(1).optional(),
    /** Only runtimes of these regions (e.g. a public holiday); absent: every region. */
    regions: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict()
  .refine((e) => instantMs(e.from, 'from') < instantMs(e.to, 'to'), { message: 'a calendar entry ends after it begins (e.g. from: 2026-12-20, to: 2026-12-27)' });

export type CalendarEntryConfig = z.infer<typeof calendarEntrySchema>;

export const calendarSchema = z.array(calendarEntrySchema);
