/**
 * The live ETA of a wave: one rule for the Slack message, the wave page and the shell's progress line, so that they
 * tell the same time. The runtimes left, at the pace of the last ten minutes (the runtimes whose results finished
 * in them; the wave's age when it is younger). Unknown (null) unless the wave is running, something is left and
 * something finished in that time: a paused or draining wave, a wave waiting for its maintenance window, or one that
 * has just started has no pace to go by, and an average over its whole life (pauses and nights included) would
 * mislead.
 *
 * Not the plan's forecast (window-forecast.ts), which is made before the start from the windows and the expected
 * time of a runtime.
 */

/** How far back the pace is taken. */
export const ETA_PACE_MS = 10 * 60_000;

/** Where the pace window starts: ten minutes ago, or when the wave (the shell: this run) started, if that is later. */
export function etaPaceStart(now: number, startedAtMs: number): number {
  return Math.max(now - ETA_PACE_MS, startedAtMs);
}

export interface EtaInput {
  /** The wave's state as shown (wave-status.ts effectiveState). */
  state: string;
  /** Runtimes pending or in flight. */
  left: number;
  /** Runtimes whose result finished at or after `paceStart`. */
  finishedInPace: number;
  now: number;
  /** `etaPaceStart(now, …)`: the caller counted `finishedInPace` from there. */
  paceStart: number;
}

/** Seconds until the wave is expected to end, or null when that cannot be told (see above). */
export function liveEtaSeconds(o: EtaInput): number | null {
  const paceMs = o.now - o.paceStart;
  if (o.state !== 'running' || o.left <= 0 || o.finishedInPace <= 0 || paceMs <= 0) return null;
  return Math.round((o.left * paceMs) / o.finishedInPace / 1000);
}
