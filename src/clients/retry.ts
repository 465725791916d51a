/**
 * The one place that decides whether a failed remote call is retried and how long to wait (STYLE.md §6):
 * jittered exponential backoff for transient failures (5xx, resets, timeouts), the server's `Retry-After` for
 * 429, nothing for everything else. Waits are abortable.
 */
import { followStop } from './stop-followers.js';

export interface RetryPolicy {
  /** Attempts per call, the first included. */
  attempts: number;
  /** First backoff in ms; doubles per attempt, with full jitter. */
  baseDelayMs: number;
  /** Cap of one backoff (and of a honoured Retry-After). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 250, maxDelayMs: 10_000 };

/** What a failure means for retrying. */
export type FailureKind = 'transient' | 'throttled' | 'permanent';

/** Seeded jitter would make runs reproducible, but real clients jitter randomly; tests do not depend on it. */
export function backoffDelay(policy: RetryPolicy, attempt: number, kind: FailureKind, retryAfterSeconds?: number): number {
  if (kind === 'throttled' && retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds)) {
    return Math.min(Math.max(retryAfterSeconds * 1000, 0), policy.maxDelayMs);
  }
  const exp = Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs);
  return Math.floor(exp / 2 + Math.random() * (exp / 2));
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      unfollow();
      resolve();
    }, ms);
    // Shared with everything else in flight under the signal (stop-followers.ts): a wave's backoffs are many.
    const unfollow = followStop(signal, {
      stop: () => {
        clearTimeout(timer);
        reject(signal!.reason as Error);
      },
    });
  });
}
