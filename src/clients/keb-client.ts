/**
 * KEB's runtimes API (DOMAIN.md §7.1): `GET {keb}/runtimes?page=&page_size=` with a bearer token, paged until
 * every runtime of `totalCount` is read. Transient failures (5xx, 429 with Retry-After, network) are retried
 * per retry.ts; everything else becomes a permanent RemoteError. The token is held in memory and never put into
 * a message, a URL or a log.
 *
 * Limitation: pages are read by number, as KEB's own client does; a runtime created or deleted while the pages
 * are read can shift the pages, so one may be seen twice (deduplicated here by instance id) or not at all.
 */
import { readFile, stat } from 'node:fs/promises';
import { RemoteError } from './errors.js';
import { noteRemoteError, noteRemoteRequest } from './observe.js';
import { backoffDelay, DEFAULT_RETRY, sleep, type FailureKind, type RetryPolicy } from './retry.js';

/** The RuntimeDTO fields the bot reads (KEB `common/runtime/model.go`); KEB sends more. */
export interface KebRuntime {
  instanceID: string;
  runtimeID: string;
  globalAccountID: string;
  subscriptionGlobalAccountID?: string;
  subAccountID: string;
  /** Provider region (the shoot's `spec.region`). */
  region: string;
  subAccountRegion?: string;
  shootName: string;
  servicePlanID?: string;
  servicePlanName: string;
  provider?: string;
  status: {
    createdAt?: string;
    modifiedAt?: string;
    /** succeeded, failed, error, provisioning, deprovisioning, deprovisioned, deprovisionincomplete, upgrading, updating, suspended. */
    state: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** KEB's RuntimesPage. */
interface RuntimesPage {
  data: KebRuntime[];
  count: number;
  totalCount: number;
}

/** Anything that counts KEB requests (the caller's tally; `KebClient.requests` counts too). */
export interface KebRequestCounter {
  add(system: 'keb'): void;
}

export interface KebClientOptions {
  /** Base URL, e.g. `https://kyma-env-broker.cp.example/` or the simulator's `http://127.0.0.1:P/keb/prod`. */
  url: string;
  /** Bearer token; or give `tokenFile`. */
  token?: string;
  /**
   * The config's tokenFile: read before the first request and again whenever it changes (a sidecar may rotate
   * it), and once more after a 401 before giving up.
   */
  tokenFile?: string;
  counter?: KebRequestCounter;
  /** Waited on before every request (the environment's `requestsPerSecond.keb` cap). */
  throttle?: (system: 'keb') => Promise<void>;
  retry?: RetryPolicy;
  signal?: AbortSignal;
  /** `page_size`, 1–100 (KEB's maximum and its client's choice: 100). */
  pageSize?: number;
  /** Pages read at once after the first one (which tells the total). */
  concurrency?: number;
  /** One request's timeout in ms (a timeout is retried as transient). */
  timeoutMs?: number;
  /** Injected fetch (tests); the global fetch otherwise. */
  fetch?: typeof fetch;
}

const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

export class KebClient {
  /** Requests sent, retries included. */
  requests = 0;
  private readonly base: string;
  private readonly retry: RetryPolicy;
  private readonly pageSize: number;
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private token: string | undefined;
  /** mtime and size of the token file when it was last read. */
  private tokenStamp = '';

  constructor(private readonly opts: KebClientOptions) {
    if (opts.token === undefined && opts.tokenFile === undefined) throw new Error('KEB client needs a token or a tokenFile, e.g. tokenFile: /etc/istio-migrate/keb-prod.token');
    this.token = opts.token;
    this.base = opts.url.replace(/\/+$/, '');
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.pageSize = opts.pageSize ?? 100;
    this.concurrency = Math.max(1, opts.concurrency ?? 8);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.fetchFn = opts.fetch ?? fetch;
    // KEB answers 400 above its MaxPaginationPage (cmd/broker/main.go, default 100; common/pagination/pagination.go).
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1 || this.pageSize > 100) throw new Error(`KEB page size must be an integer from 1 to 100 (KEB refuses more), got ${this.pageSize}; e.g. pageSize: 100`);
  }

  /**
   * Every runtime. Without `state`, KEB leaves suspended and deprovisioned runtimes out; `state: 'all'` lists
   * them too (resolution needs them, to report them as skipped).
   */
  async listRuntimes(o: { state?: 'all' } = {}): Promise<KebRuntime[]> {
    const first = await this.page(1, o.state);
    const byInstance = new Map<string, KebRuntime>();
    const add = (p: RuntimesPage) => {
      for (const rt of p.data) byInstance.set(rt.instanceID, rt);
    };
    add(first);
    let read = first.data.length;
    if (read >= first.totalCount || first.data.length === 0) return [...byInstance.values()];
    const pages = Math.ceil(first.totalCount / this.pageSize);
    let next = 2;
    const worker = async (): Promise<void> => {
      while (next <= pages) {
        const p = await this.page(next++, o.state);
        read += p.data.length;
        add(p);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, pages - 1) }, worker));
    // The total grew while reading: read on, one page at a time, as KEB's client does (until count ≥ totalCount).
    for (let n = pages + 1, last = first.totalCount; read < last; n++) {
      const p = await this.page(n, o.state);
      if (p.data.length === 0) break;
      read += p.data.length;
      last = p.totalCount;
      add(p);
    }
    return [...byInstance.values()];
  }

  /** The current token: the token file is read again when its mtime or size changed (or when `force`). */
  private async currentToken(force = false): Promise<string> {
    const file = this.opts.tokenFile;
    if (!file) return this.token!;
    let stamp: string;
    try {
      const st = await stat(file);
      stamp = `${st.mtimeMs}/${st.size}`;
      if (force || stamp !== this.tokenStamp || this.token === undefined) {
        const token = (await readFile(file, 'utf8')).trim();
        // A header value cannot carry it (undici refuses the request, which would read as a network failure).
        if (!/^[\x21-\x7e]*$/.test(token)) throw new RemoteError(`KEB token file ${file} holds a character a bearer token cannot have (a line break, space or control character inside it): write the token alone, on one line`, 'keb', 'permanent');
        this.token = token;
        this.tokenStamp = stamp;
      }
    } catch (e) {
      if (e instanceof RemoteError) throw e;
      throw new RemoteError(`KEB token file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}): write the KEB bearer token into it, e.g. from the landscape secret's keb-prod.token`, 'keb', 'permanent');
    }
    return this.token;
  }

  private async page(page: number, state: string | undefined): Promise<RuntimesPage> {
    // op_detail=last: KEB otherwise reads and sends every operation of every runtime (KEB internal/runtime/
    // handler.go getOpDetail defaults to all); the last operation is all the state needs.
    const q = new URLSearchParams({ page: String(page), page_size: String(this.pageSize), op_detail: 'last' });
    if (state) q.set('state', state);
    const body = await this.get(`/runtimes?${q.toString()}`, `list runtimes (page ${page})`);
    const p = body as Partial<RuntimesPage>;
    if (!p || !Array.isArray(p.data) || typeof p.totalCount !== 'number') {
      noteRemoteError('keb', 'permanent');
      throw new RemoteError(`list runtimes (page ${page}) on keb: not a RuntimesPage`, 'keb', 'permanent');
    }
    return { data: p.data, count: p.count ?? p.data.length, totalCount: p.totalCount };
  }

  /** One GET with counting and the retry policy; resolves with the parsed JSON body. */
  private async get(pathAndQuery: string, what: string): Promise<unknown> {
    let reread = false;
    for (let attempt = 0; ; attempt++) {
      const token = await this.currentToken();
      this.opts.signal?.throwIfAborted();
      await this.opts.throttle?.('keb');
      this.opts.signal?.throwIfAborted();
      this.requests++;
      this.opts.counter?.add('keb');
      noteRemoteRequest('keb');
      let err: RemoteError;
      try {
        const signal = this.opts.signal ? AbortSignal.any([this.opts.signal, AbortSignal.timeout(this.timeoutMs)]) : AbortSignal.timeout(this.timeoutMs);
        const res = await this.fetchFn(this.base + pathAndQuery, {
          headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
          signal,
        });
        const text = await res.text();
        if (res.status === 401) {
          // A rotated token file: read it once more and retry with the new token before giving up.
          if (this.opts.tokenFile && !reread) {
            reread = true;
            if ((await this.currentToken(true)) !== token) {
              attempt--;
              continue;
            }
          }
          const fix = this.opts.tokenFile ? `refresh ${this.opts.tokenFile} with a valid KEB bearer token` : 'configure a valid KEB bearer token (keb.tokenFile)';
          throw new RemoteError(`${what} on keb: KEB token expired or rejected (HTTP 401): ${fix}, e.g. kubectl get secret istio-migrate-landscape -o jsonpath='{.data.keb-prod\\.token}' | base64 -d`, 'keb', 'permanent', 401);
        }
        if (res.ok) {
          try {
            return JSON.parse(text) as unknown;
          } catch {
            throw new RemoteError(`${what} on keb: the answer is not JSON`, 'keb', 'permanent', res.status);
          }
        }
        const kind: FailureKind = res.status === 429 ? 'throttled' : TRANSIENT_STATUS.has(res.status) ? 'transient' : 'permanent';
        const retryAfter = Number(res.headers.get('retry-after') ?? NaN);
        err = new RemoteError(`${what} on keb: HTTP ${res.status}${detailOf(text)}`, 'keb', kind, res.status, undefined, Number.isFinite(retryAfter) ? retryAfter : undefined);
      } catch (e) {
        if (e instanceof RemoteError) {
          noteRemoteError('keb', e.kind);
          throw e;
        }
        if (this.opts.signal?.aborted) throw this.opts.signal.reason as Error;
        err = toRemoteError(e, what);
      }
      noteRemoteError('keb', err.kind);
      if (err.kind === 'permanent' || attempt + 1 >= this.retry.attempts) throw err;
      await sleep(backoffDelay(this.retry, attempt, err.kind, err.retryAfterSeconds), this.opts.signal);
    }
  }
}

/** KEB answers errors as `{"error": "…"}` (or a description); a short excerpt goes into the message. */
function detailOf(text: string): string {
  let msg: string | undefined;
  try {
    const j = JSON.parse(text) as { error?: unknown; message?: unknown; description?: unknown };
    const v = j.error ?? j.message ?? j.description;
    if (typeof v === 'string') msg = v;
  } catch {
    msg = text.trim();
  }
  return msg ? `: ${msg.slice(0, 200)}` : '';
}

function toRemoteError(e: unknown, what: string): RemoteError {
  if (e instanceof Error && e.name === 'TimeoutError') return new RemoteError(`${what} on keb: timed out`, 'keb', 'transient', undefined, 'TimeoutError');
  let code: string | undefined;
  for (let cur: unknown = e, i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') {
      code = c;
      break;
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  if (code?.startsWith('ERR_INVALID')) return new RemoteError(`${what} on keb: ${e instanceof Error ? e.message : String(e)}`, 'keb', 'permanent', undefined, code);
  // fetch reports every network failure as TypeError('fetch failed') with the cause attached.
  if (code || e instanceof TypeError) return new RemoteError(`${what} on keb: connection failed (${code ?? 'network error'})`, 'keb', 'transient', undefined, code ?? 'network');
  return new RemoteError(`${what} on keb: ${e instanceof Error ? e.message : String(e)}`, 'keb', 'permanent');
}
