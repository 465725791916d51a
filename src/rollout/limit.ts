/**
 * What holds a wave's concurrency now, and why (issue "say why"): the runner computes it at each start decision
 * (wave-runner.ts), emits it as a `limit` event for the live message, and keeps the latest in the journal
 * (`setWaveLimit`) so that `status` — from any process — shows it while the wave runs. Each change of the limit or its
 * cause is also appended to a bounded history (`setWaveLimitHistory`, at most LIMIT_HISTORY_MAX points, thinned in
 * its older half when full) that outlives the run: the wave page plots it.
 */
import type { Journal, LimitPoint, WaveLimit } from '../journal/journal.js';
import { ENDED_WAVE_STATES } from '../journal/ids-and-states.js';
import type { MigrationResult } from '../migration/result.js';
import { rateText, type GuardDecision } from './budget-guard.js';
import type { LmLimiter } from './lm-limiter.js';

export type { LimitPoint, WaveLimit };

export function limitCause(o: { requested: number; guard: GuardDecision; limiter?: LmLimiter; globalHeld: boolean }): string {
  const g = o.guard;
  const lm = o.limiter?.limit ?? Infinity;
  if (g.limit < o.requested && g.limit <= lm) {
    if (g.limit === 0) return 'held at 0 by the budget guard: no failures left';
    return `held at ${g.limit} by the budget guard: ${g.left} failure${g.left === 1 ? '' : 's'} left, ${rateText(g)}`;
  }
  if (lm < o.requested) return `held at ${lm}: ${o.limiter?.causeText() ?? FOLLOWING_LM}`;
  if (o.globalHeld) return 'held by the global error budget (over all running waves)';
  return AT_REQUESTED;
}

const FOLLOWING_LM = "following LM's pace";
const AT_REQUESTED = 'at the requested concurrency';

/**
 * What a limit point says of LM's pace (the inverse of `limitCause` for LM's part): the limiter's `held at N: …`
 * counts N, `at the requested concurrency` the requested one; a budget, a window or the global budget say nothing.
 */
function lmLevelOf(p: LimitPoint): number | undefined {
  if (p.cause === AT_REQUESTED) return p.requested;
  return p.cause === `held at ${p.limit}: ${FOLLOWING_LM}` || p.cause.startsWith(`held at ${p.limit}: backing off`) ? p.limit : undefined;
}

/**
 * A migrated runtime's patch → Manifest Ready time, from its transitions (undefined when it was not patched by this
 * run or never seen Ready): the limiter's latency sample.
 */
export function patchToReadyMs(r: MigrationResult): number | undefined {
  if (r.outcome !== 'migrated' || !r.patched) return undefined;
  const patched = r.transitions.find((t) => t.object.startsWith('kyma/') && t.state === 'patched');
  if (!patched) return undefined;
  const ready = r.transitions.find((t) => t.object.startsWith('manifest/') && t.state === 'Ready' && t.at >= patched.at);
  const end = ready ? Date.parse(ready.at) : Date.parse(r.finishedAt);
  const ms = end - Date.parse(patched.at);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** At most this many points per wave are kept (a few kB of JSON in one row). */
export const LIMIT_HISTORY_MAX = 300;

/** Appends `p` unless the last point has the same limit and cause; when full, drops every other point of the older half. */
export function appendLimitPoint(history: LimitPoint[], p: LimitPoint, max = LIMIT_HISTORY_MAX): LimitPoint[] {
  const last = history.at(-1);
  if (last && last.limit === p.limit && last.requested === p.requested && last.cause === p.cause) return history;
  let out = [...history, p];
  if (out.length > max) {
    const half = Math.floor(out.length / 2);
    // Keep the first point (where the wave began) and thin 1..half to every second one; the recent half stays whole.
    out = [...out.slice(0, half).filter((_, i) => i === 0 || i % 2 === 0), ...out.slice(half)];
  }
  return out;
}

/**
 * Saves the running wave's limit (null: the wave's run ended, no limit to show) and, on a change of limit or cause,
 * appends it to the wave's limit history (kept after the run).
 */
export async function saveLimit(journal: Journal, waveId: string, limit: WaveLimit | null, now = Date.now()): Promise<void> {
  await journal.setWaveLimit(waveId, limit);
  if (!limit) return;
  const before = await readLimitHistory(journal, waveId);
  const after = appendLimitPoint(before, { t: Math.floor(now / 1000), limit: limit.limit, requested: limit.requested, cause: limit.cause });
  if (after !== before) await journal.setWaveLimitHistory(waveId, after);
}

/** The wave's limit history, oldest first (empty: never run, or run before the history was kept). */
export function readLimitHistory(journal: Pick<Journal, 'waveLimitHistory'>, waveId: string): Promise<LimitPoint[]> {
  return journal.waveLimitHistory(waveId);
}

/** The running wave's latest limit, or undefined (not running, or a runner from before this field). */
export function readLimit(journal: Pick<Journal, 'waveLimit'>, waveId: string): Promise<WaveLimit | undefined> {
  return journal.waveLimit(waveId);
}

/**
 * What LM allowed in the environment's last ended wave (its limit history; `exclude` the wave itself): the median of
 * LM's limit over the second half of that wave's points — a `held at N: …` of the limiter counts N, `at the requested
 * concurrency` counts the requested one; points held by a budget or a window say nothing of LM. Undefined without
 * such a wave. The limiter starts there instead of at 8: LM's pace is a property of the environment, not of a wave.
 */
export async function learnedLmStart(journal: Pick<Journal, 'listWaves' | 'waveLimitHistory'>, env: string, exclude?: string): Promise<number | undefined> {
  const ended = (await journal.listWaves({ env, states: [...ENDED_WAVE_STATES] })).filter((w) => w.waveId !== exclude).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  for (const w of ended) {
    const history = await journal.waveLimitHistory(w.waveId);
    const levels = history.slice(Math.floor(history.length / 2)).flatMap((p) => lmLevelOf(p) ?? []);
    if (!levels.length) continue;
    const sorted = levels.sort((a, b) => a - b);
    return Math.max(1, sorted[Math.floor((sorted.length - 1) / 2)]); // the lower median: the cautious side
  }
  return undefined;
}
