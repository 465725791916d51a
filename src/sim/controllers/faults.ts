/**
 * Seeded faults (C1): every decision is a pure function of (seed, clusterId, that cluster's request index), so
 * the same seed gives the same fault sequence per cluster whatever the interleaving of clusters.
 *
 * - `flaky` SKRs: 5xx, 429 with Retry-After, added latency, and connection resets — some after the write was
 *   applied (the client then cannot know whether its patch landed).
 * - `skr-down` SKRs: every request is reset; the API never answers.
 */
import { createHash } from 'node:crypto';
import { errors } from '../k8s/errors.js';
import type { Interceptor } from '../http-server.js';
import type { Simulator } from '../simulator.js';

export interface FaultOptions {
  /** Probability that a request to a `flaky` SKR fails (split over 5xx, 429 and resets). */
  flakyRate: number;
  /** Added latency for `flaky` requests that pass, up to this many ms (scaled by the time scale). */
  flakyLatencyMs: number;
  /** Retry-After the 429s carry, in seconds (the header is whole seconds, so at least 1). */
  retryAfterSeconds: number;
}

export const DEFAULT_FAULTS: FaultOptions = { flakyRate: 0.3, flakyLatencyMs: 200, retryAfterSeconds: 1 };

/** A uniform number in [0, 1) from (seed, clusterId, index, salt). */
export function faultDice(seed: number, clusterId: string, index: number, salt = ''): number {
  const h = createHash('sha256').update(`${seed}|${clusterId}|${index}|${salt}`).digest();
  return h.readUInt32BE(0) / 2 ** 32;
}

export type FaultDecision = 'none' | '500' | '503' | '429' | 'reset' | 'reset-after-apply';

/** The fault for request `index` of a flaky cluster. */
export function flakyDecision(seed: number, clusterId: string, index: number, rate: number): FaultDecision {
  const d = faultDice(seed, clusterId, index);
  if (d >= rate) return 'none';
  const kind = d / rate; // uniform in [0, 1) again
  if (kind < 0.3) return '500';
  if (kind < 0.45) return '503';
  if (kind < 0.75) return '429';
  if (kind < 0.9) return 'reset';
  return 'reset-after-apply';
}

export function faultInterceptor(sim: Simulator, opts: FaultOptions, timeScale: number): Interceptor {
  const counters = new Map<string, number>();
  return (req) => {
    const rt = sim.runtimesById.get(req.target);
    if (!rt) return undefined;
    if (rt.scenario === 'skr-down') return { kind: 'reset' };
    if (rt.scenario !== 'flaky') return undefined;
    const index = counters.get(req.target) ?? 0;
    counters.set(req.target, index + 1);
    const decision = flakyDecision(sim.options.seed, req.target, index, opts.flakyRate);
    const latency = Math.floor(faultDice(sim.options.seed, req.target, index, 'latency') * opts.flakyLatencyMs * timeScale);
    const isWrite = req.method !== 'GET';
    switch (decision) {
      case 'none':
        return latency > 0 ? { kind: 'delay', ms: latency } : undefined;
      case '500':
        return { kind: 'respond', result: { kind: 'json', status: 500, body: errors.internal('etcdserver: request timed out').toStatus() } };
      case '503':
        return { kind: 'respond', result: { kind: 'json', status: 503, body: errors.unavailable('the server is currently unable to handle the request').toStatus() } };
      case '429':
        return {
          kind: 'respond',
          result: { kind: 'json', status: 429, body: errors.tooManyRequests(opts.retryAfterSeconds).toStatus(), headers: { 'Retry-After': String(opts.retryAfterSeconds) } },
        };
      case 'reset':
        return { kind: 'reset' };
      case 'reset-after-apply':
        return isWrite ? { kind: 'reset', afterApply: true } : { kind: 'reset' };
    }
  };
}
