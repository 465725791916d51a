/**
 * What Bolt's HTTP receiver leaves open, closed in front of it (issue 14 finding 8). Bolt refuses a wrong signature
 * and a timestamp more than 5 minutes OLD, but accepts one far in the future, and accepts the same signed request
 * as often as it is sent within its window. This guard refuses, with 401 and before any listener runs:
 * - a request timestamp more than `maxFutureSeconds` (60) ahead of this host's clock;
 * - a signature seen before (a replay), remembered in the journal (`seenOnce`) for longer than a signature can be
 *   valid, so that it holds across replicas sharing a PostgreSQL journal;
 * - with 400, a signed body that parses to no object (`payload=null`, JSON `null`, a number): Bolt reads its
 *   properties unguarded and the process dies.
 *
 * Hook: the receiver's `requestListener` is wrapped. The guard buffers the body and verifies the signature with
 * Bolt's own `parseAndVerifyHTTPRequest` (the buffered body is left on the request, where Bolt's handler finds and
 * re-checks it), so only a request whose signature is valid is remembered — an attacker cannot burn a signature
 * Slack will send. Requests that fail Bolt's check are handed to Bolt to refuse as it does. Socket Mode payloads are
 * not signed (the WebSocket is authenticated) and do not pass here.
 *
 * Limitation: with the journal unreachable, signed requests are refused (503) rather than let through unchecked.
 */
import { createHash } from 'node:crypto';
import type http from 'node:http';
import bolt from '@slack/bolt';

const { HTTPModuleFunctions } = bolt;

/** Slack's window (5 minutes) plus the future allowance: a signature can be valid no longer than this. */
export const SIGNATURE_MEMORY_MS = (5 * 60 + 60) * 1000 + 30_000;

export interface RequestGuardOptions {
  signingSecret: string;
  /** The receiver's endpoints (POSTs there are Slack's requests). */
  endpoints: readonly string[];
  /** Journal `rememberOnce`: true the first time a key is seen within `ttlMs`. */
  seenOnce(key: string, ttlMs: number): Promise<boolean>;
  /** How far ahead of this clock a request timestamp may be (seconds; default 60). */
  maxFutureSeconds?: number;
  now?: () => number;
  log: { warn(obj: object, msg: string): void };
}

type Listener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

function refuse(res: http.ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}

/** Whether Bolt's own parser makes an object of the buffered body (one it cannot parse, Bolt answers itself: 400). */
function parsesToObject(req: http.IncomingMessage): boolean {
  try {
    const body: unknown = HTTPModuleFunctions.parseHTTPRequestBody(req as Parameters<typeof HTTPModuleFunctions.parseHTTPRequestBody>[0]);
    return body !== null && typeof body === 'object';
  } catch {
    return true;
  }
}

/** Wraps a receiver's request listener with the checks above; returns the wrapped listener. */
export function guardSlackRequests(inner: Listener, o: RequestGuardOptions): Listener {
  const now = o.now ?? Date.now;
  const maxFuture = o.maxFutureSeconds ?? 60;
  return (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (req.method?.toUpperCase() !== 'POST' || !o.endpoints.includes(pathname)) return inner(req, res);
    void (async () => {
      try {
        await HTTPModuleFunctions.parseAndVerifyHTTPRequest({ enabled: true, signingSecret: o.signingSecret, bodyLimit: HTTPModuleFunctions.defaultBodyLimit }, req);
      } catch (e) {
        // The body could not be read (too large, aborted): answered here, as Bolt would, without reading it again.
        if (HTTPModuleFunctions.isRawBodyError(e)) return refuse(res, e.type === 'entity.too.large' || e.statusCode === 413 ? 413 : 400);
        return inner(req, res); // a bad signature or age: Bolt refuses it (401) as it always did, from the buffered body
      }
      const ts = Number(req.headers['x-slack-request-timestamp']);
      const signature = String(req.headers['x-slack-signature'] ?? '');
      if (!signature.startsWith('v0=')) return inner(req, res); // ssl_check: no signature to remember, Bolt answers it
      if (ts * 1000 > now() + maxFuture * 1000) {
        o.log.warn({ aheadSeconds: Math.round(ts - now() / 1000) }, 'slack: request timestamp too far in the future; refused');
        return refuse(res, 401);
      }
      let first: boolean;
      try {
        first = await o.seenOnce(`slack-signature:${createHash('sha256').update(signature).digest('hex')}`, SIGNATURE_MEMORY_MS);
      } catch (e) {
        o.log.warn({ err: (e as Error).message }, 'slack: could not check the request against replays (journal); refused');
        return refuse(res, 503);
      }
      if (!first) {
        o.log.warn({ timestamp: ts }, 'slack: a signed request seen before (replay); refused');
        return refuse(res, 401);
      }
      if (!parsesToObject(req)) {
        o.log.warn({ contentType: req.headers['content-type'] }, 'slack: a signed request whose body is no object; refused');
        return refuse(res, 400);
      }
      inner(req, res);
    })().catch((e: unknown) => {
      o.log.warn({ err: (e as Error).message }, 'slack: request guard failed');
      if (!res.headersSent) refuse(res, 500);
    });
  };
}
