/**
 * What holds a wave's concurrency now, and why (issue "say why"): the runner computes it at each start decision
 * (wave-runner.ts), emits it as a `limit` event for the live message, and keeps the latest in the journal (setting
 * `wave-limit:<waveId>`) so that `status` — from any process — shows it while the wave runs.
 */
import type { Journal } from '../journal/journal.js';
import type { MigrationResult } from '../migration/result.js';
import { rateText, type GuardDecision } from './budget-guard.js';
import type { LmLimiter } from './lm-limiter.js';

export interface WaveLimit {
  /** Runtimes in flight now. */
  inFlight: number;
  /** How many may be in flight now. */
  limit: number;
  /** The requested concurrency. */
  requested: number;
  /** Why the limit is what it is ("held at 3 by the budget guard: …", "backing off: LM latency ×2.1"). */
  cause: string;
}

export function limitCause(o: { requested: number; guard: GuardDecision; limiter?: LmLimiter; globalHeld: boolean }): string {
  const g = o.guard;
  const lm = o.limiter?.limit ?? Infinity;
  if (g.limit < o.requested && g.limit <= lm) {
    if (g.limit === 0) return 'held at 0 by the budget guard: no failures left';
    return `held at ${g.limit} by the budget guard: ${g.left} failure${g.left === 1 ? '' : 's'} left, ${rateText(g)}`;
  }
  if (lm < o.requested) return `held at ${lm}: ${o.limiter?.causeText() ?? "following LM's pace"}`;
  if (o.globalHeld) return 'held by the global error budget (over all running waves)';
  return 'at the requested concurrency';
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

const key = (waveId: string) => `wave-limit:${waveId}`;

export async function saveLimit(journal: Journal, waveId: string, limit: WaveLimit | null): Promise<void> {
  await journal.setSetting(key(waveId), limit ? JSON.stringify(limit) : null);
}

/** The running wave's latest limit, or undefined (not running, or a runner from before this field). */
export async function readLimit(journal: Journal, waveId: string): Promise<WaveLimit | undefined> {
  const raw = await journal.getSetting(key(waveId));
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as WaveLimit;
  } catch {
    return undefined;
  }
}
