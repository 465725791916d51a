/**
 * Failures of remote calls, classified in one place (STYLE.md §7): by HTTP status and error code, never by
 * message text. The migration turns a RemoteError into an outcome; the retry policy reads its `kind`.
 */
import * as k8s from '@kubernetes/client-node';
import type { FailureKind } from './retry.js';

export class RemoteError extends Error {
  constructor(
    message: string,
    /** The system the call went to. */
    readonly system: string,
    readonly kind: FailureKind,
    /** HTTP status, when the server answered. */
    readonly status?: number,
    /** Network error code (ECONNRESET, …) when it did not. */
    readonly networkCode?: string,
    readonly retryAfterSeconds?: number,
    /** The Kubernetes Status reason (NotFound, Conflict, Invalid, …), when there was one. */
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

function networkCodeOf(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Maps anything a client call threw to a RemoteError. */
export function classifyRemoteError(e: unknown, system: string, what: string): RemoteError {
  if (e instanceof RemoteError) return e;
  if (e instanceof k8s.ApiException) {
    const code = e.code;
    const body = (typeof e.body === 'string' ? parseJsonOrText(e.body) : e.body) as { message?: string; reason?: string } | undefined;
    const retryAfter = Number(e.headers?.['retry-after'] ?? e.headers?.['Retry-After']);
    const kind: FailureKind = code === 429 ? 'throttled' : TRANSIENT_STATUS.has(code) ? 'transient' : 'permanent';
    const detail = body?.message ?? `HTTP ${code}`;
    return new RemoteError(`${what} on ${system}: ${detail}`, system, kind, code, undefined, Number.isFinite(retryAfter) ? retryAfter : undefined, body?.reason);
  }
  // Watch refusals carry statusCode; name 'AbortError' means our own signal.
  const statusCode = (e as { statusCode?: unknown })?.statusCode;
  if (typeof statusCode === 'number') {
    const kind: FailureKind = statusCode === 429 ? 'throttled' : TRANSIENT_STATUS.has(statusCode) ? 'transient' : 'permanent';
    return new RemoteError(`${what} on ${system}: HTTP ${statusCode}`, system, kind, statusCode);
  }
  if (e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError') && !networkCodeOf(e)) {
    return new RemoteError(`${what} on ${system}: ${e.name === 'TimeoutError' ? 'timed out' : 'aborted'}`, system, e.name === 'TimeoutError' ? 'transient' : 'permanent', undefined, e.name);
  }
  const net = networkCodeOf(e);
  if (net || (e instanceof TypeError && (e as { cause?: unknown }).cause !== undefined)) {
    return new RemoteError(`${what} on ${system}: connection failed (${net ?? 'network error'})`, system, 'transient', undefined, net ?? 'network');
  }
  return new RemoteError(`${what} on ${system}: ${e instanceof Error ? e.message : String(e)}`, system, 'permanent');
}

/** An answer's body: its JSON, or the text itself when it is not JSON (a proxy's HTML error page, say). */
export function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
