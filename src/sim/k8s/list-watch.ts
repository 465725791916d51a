/**
 * Lists (label and field selectors, `limit`/`continue` paging, Tables) and watch streams (from a resourceVersion,
 * bookmarks, `timeoutSeconds`; a too-old resourceVersion is a 410 inside the stream).
 */
import { ApiError, errors } from './errors.js';
import { apiVersionOf } from './resources.js';
import { asVersion, json, queryBool, queryInt, type ApiRequest, type ApiResult, type Target } from './request.js';
import { parseFieldSelector, parseLabelSelector, type Matcher } from './selectors.js';
import type { ClusterStore } from './store.js';
import { TABLE_CONTENT_TYPE, toTable, wantsTable } from './table.js';

export function selectors(req: ApiRequest): Matcher {
  const labels = parseLabelSelector(req.query.get('labelSelector'));
  const fields = parseFieldSelector(req.query.get('fieldSelector'));
  return (o) => labels(o) && fields(o);
}

export function list(store: ClusterStore, req: ApiRequest, t: Target): ApiResult {
  const matches = selectors(req);
  let items = store.list(t.type, t.namespace, matches);
  const meta: Record<string, unknown> = { resourceVersion: store.resourceVersion };
  const cont = req.query.get('continue');
  if (cont) {
    let after: string;
    try {
      after = (JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as { after: string }).after;
      if (typeof after !== 'string') throw new Error('bad token');
    } catch {
      throw errors.badRequest(`continue key is not valid: ${cont}`);
    }
    items = items.filter((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}` > after);
  }
  const limit = queryInt(req.query, 'limit') ?? 0;
  if (limit > 0 && items.length > limit) {
    const last = items[limit - 1];
    meta.continue = Buffer.from(JSON.stringify({ after: `${last.metadata.namespace ?? ''}/${last.metadata.name}` })).toString('base64url');
    meta.remainingItemCount = items.length - limit;
    items = items.slice(0, limit);
  }
  const served = items.map((o) => asVersion(o, t.type, t.version));
  if (wantsTable(req.headers.accept)) return json(200, toTable(t.type, t.version, served, meta), TABLE_CONTENT_TYPE);
  return json(200, { apiVersion: apiVersionOf(t.type, t.version), kind: t.type.listKind, metadata: meta, items: served });
}

export function watch(store: ClusterStore, openWatches: Set<() => void>, req: ApiRequest, t: Target): ApiResult {
  const matches = selectors(req);
  const rv = req.query.get('resourceVersion') ?? undefined;
  // A malformed resourceVersion is refused before the stream starts (400), as the API server does;
  // a too-old one is reported inside the stream (410).
  if (rv && !/^\d+$/.test(rv)) throw errors.badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  const timeoutSeconds = queryInt(req.query, 'timeoutSeconds') ?? 0;
  const bookmarks = queryBool(req.query, 'allowWatchBookmarks');
  return {
    kind: 'watch',
    start: (res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
      res.flushHeaders();
      const write = (type: string, object: unknown) => {
        if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
      };
      let stop: () => void = () => undefined;
      let timer: NodeJS.Timeout | undefined;
      let bookmarkTimer: NodeJS.Timeout | undefined;
      const end = () => {
        openWatches.delete(end);
        stop();
        if (timer) clearTimeout(timer);
        if (bookmarkTimer) clearInterval(bookmarkTimer);
        if (!res.writableEnded) res.end();
      };
      try {
        stop = store.watch(t.type, t.namespace, matches, rv, (type, obj) => write(type, asVersion(obj, t.type, t.version)));
      } catch (e) {
        // A too-old resourceVersion is reported inside the stream, as the API server does.
        const err = e instanceof ApiError ? e : errors.internal(String(e));
        write('ERROR', err.toStatus());
        end();
        return;
      }
      if (timeoutSeconds > 0) timer = setTimeout(end, timeoutSeconds * 1000);
      if (bookmarks) {
        bookmarkTimer = setInterval(() => {
          write('BOOKMARK', { kind: t.type.kind, apiVersion: apiVersionOf(t.type, t.version), metadata: { resourceVersion: store.resourceVersion } });
        }, 10_000);
        bookmarkTimer.unref();
      }
      openWatches.add(end);
      res.on('close', end);
    },
  };
}

