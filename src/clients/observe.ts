/**
 * Every request the remote clients send (KubeClient: KCP, Gardener, SKRs; KebClient) and every failure they
 * classify, told to whoever observes the process's remote calls (the bot's Prometheus metrics). Counted at the
 * client, once per attempt, so that plans, previews, verifications, tasks and migrations all count, retries
 * included. Expected answers (a 404 read as "not there yet") and our own cancellations are not errors here.
 */
import type { FailureKind } from './retry.js';

export interface RemoteCallObserver {
  request(system: string): void;
  error(system: string, kind: FailureKind): void;
}

const observers = new Set<RemoteCallObserver>();

/** Starts telling `o` about every remote call; returns the function that stops it. */
export function observeRemoteCalls(o: RemoteCallObserver): () => void {
  observers.add(o);
  return () => void observers.delete(o);
}

export function noteRemoteRequest(system: string): void {
  for (const o of observers) o.request(system);
}

export function noteRemoteError(system: string, kind: FailureKind): void {
  for (const o of observers) o.error(system, kind);
}
