/**
 * A Kubernetes client for one remote cluster (KCP, an SKR, Gardener): the few calls the migration needs, each
 * counted, each retried per retry.ts, every failure turned into a RemoteError. @kubernetes/client-node parses the
 * kubeconfig and applies its credentials and serves secrets and deployments; custom objects and watches go through
 * undici's handler interface on a shared keep-alive pool (see `rest`, exchange.ts and shared-dispatcher.ts), and a
 * stop of the client's signal cuts every one of them off. Kubeconfigs stay in memory here and are never logged.
 */
import { createHash } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { getGlobalDispatcher, type Dispatcher } from 'undici';
import { classifyRemoteError, parseJsonOrText, RemoteError } from './errors.js';
import { exchange, openLines, type ExchangeRequest, type Opened } from './exchange.js';
import { noteRemoteError, noteRemoteRequest } from './observe.js';
import { shareDispatcher } from './shared-dispatcher.js';
import { backoffDelay, DEFAULT_RETRY, sleep, type FailureKind, type RetryPolicy } from './retry.js';

export type System = 'kcp' | 'skr' | 'gardener';

/** Requests per remote system, shared by the clients of one migration (the result record reports it). */
export class RequestCounter {
  readonly counts: Record<System, number> = { kcp: 0, skr: 0, gardener: 0 };
  add(system: System): void {
    this.counts[system]++;
  }
  get total(): number {
    return this.counts.kcp + this.counts.skr + this.counts.gardener;
  }
}

/** A throttle that a caller can put in front of every request to a system (the wave runner's rate caps). */
export type Throttle = (system: System) => Promise<void>;

export interface KubeClientOptions {
  system: System;
  counter: RequestCounter;
  retry?: RetryPolicy;
  signal?: AbortSignal;
  throttle?: Throttle;
  /** Told of every failed request (after classification): the wave's concurrency limiter backs off on 429/5xx. */
  onRemoteError?: (system: System, kind: FailureKind, status: number | undefined) => void;
}

export interface CrRef {
  group: string;
  version: string;
  plural: string;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  /** The `metadata.continue` of the previous page (paged lists with `limit`). */
  continue?: string;
}

export interface KubeList<T = KubeObject> {
  items: T[];
  metadata: { resourceVersion?: string; continue?: string };
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; creationTimestamp?: string; labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] | null; uid?: string; deletionTimestamp?: string; [k: string]: unknown };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

export type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: KubeObject } | { type: 'ERROR'; object: { code?: number; message?: string } };

export interface WatchHandle {
  /** Resolves when the stream ends: `null` on a clean close or inactivity timeout, the error otherwise. */
  done: Promise<unknown>;
  stop(): void;
}

/**
 * A kubeconfig that does not parse. Its message names the system and where the parser stopped (line and column)
 * but never quotes the file: a YAML error's excerpt would put part of a token into a result's detail, the journal,
 * Slack and the CSV export.
 */
export class KubeconfigInvalidError extends Error {
  readonly code = 'kubeconfig-invalid';
  constructor(
    readonly system: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(`the ${system} kubeconfig is not valid YAML${line !== undefined ? ` (parse error at line ${line}, column ${column ?? '?'}; content not shown)` : ' (content not shown)'}: check its indentation and quoting, e.g. \`kubectl --kubeconfig FILE config view\``);
    this.name = 'KubeconfigInvalidError';
  }
}

/** Only the position of a parse error survives (js-yaml's `mark`), never its message or excerpt. */
function kubeconfigParseError(system: string, e: unknown): KubeconfigInvalidError {
  const mark = (e as { mark?: { line?: unknown; column?: unknown } } | null)?.mark;
  const line = typeof mark?.line === 'number' ? mark.line + 1 : undefined;
  const column = typeof mark?.column === 'number' ? mark.column + 1 : undefined;
  return new KubeconfigInvalidError(system, line, column);
}

/** A parsed kubeconfig and its API clients: stateless between requests, so clients of one kubeconfig share them. */
interface Parsed {
  kc: k8s.KubeConfig;
  core?: k8s.CoreV1Api;
  apps?: k8s.AppsV1Api;
  /** Credential headers and dispatcher, for a user with static credentials (see requestAuth). */
  auth?: Promise<RequestAuth>;
  /** The server URL's origin and path prefix, worked out on the first request (see prepare). */
  base?: { origin: string; path: string };
}

interface RequestAuth {
  headers: Record<string, string>;
  dispatcher: Dispatcher;
}

/**
 * KCP and Gardener kubeconfigs, parsed once: a wave builds a KCP client for every runtime from the same kubeconfig,
 * and parsing it (YAML) with three API clients was a good part of the runner's CPU. SKR kubeconfigs are one per
 * runtime and never kept. Keyed by a hash, so the map holds no copy of key material; bounded.
 */
const PARSED = new Map<string, Parsed>();
const MAX_PARSED = 16;

function parseKubeconfig(kubeconfig: string, system: System): Parsed {
  const key = system === 'skr' ? undefined : createHash('sha256').update(system).update('\0').update(kubeconfig).digest('hex');
  const kept = key && PARSED.get(key);
  if (kept) return kept;
  const kc = new k8s.KubeConfig();
  try {
    kc.loadFromString(kubeconfig);
  } catch (e) {
    throw kubeconfigParseError(system, e);
  }
  if (!kc.getCurrentCluster()) throw new Error(`the ${system} kubeconfig has no current cluster`);
  shareDispatcher(kc);
  const parsed: Parsed = { kc };
  if (key) {
    PARSED.set(key, parsed);
    if (PARSED.size > MAX_PARSED) PARSED.delete(PARSED.keys().next().value!);
  }
  return parsed;
}

export class KubeClient {
  readonly system: System;
  private readonly parsed: Parsed;
  private readonly retry: RetryPolicy;

  constructor(
    kubeconfig: string,
    private readonly opts: KubeClientOptions,
  ) {
    this.system = opts.system;
    this.parsed = parseKubeconfig(kubeconfig, opts.system);
    this.retry = opts.retry ?? DEFAULT_RETRY;
  }

  private get kc(): k8s.KubeConfig {
    return this.parsed.kc;
  }

  // Built on first use (secrets and deployments only; custom objects go through rest()).
  private get core(): k8s.CoreV1Api {
    return (this.parsed.core ??= this.kc.makeApiClient(k8s.CoreV1Api));
  }

  private get apps(): k8s.AppsV1Api {
    return (this.parsed.apps ??= this.kc.makeApiClient(k8s.AppsV1Api));
  }

  /** The API server URL (for messages; carries no credentials). */
  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? '';
  }

  /**
   * Runs one request with counting, throttling and the retry policy. `notFoundIsNull` turns a 404 into
   * `undefined` (resources that do not exist yet are "not yet", not failures).
   */
  private async call<T>(what: string, fn: () => Promise<T>, notFoundIsUndefined = false, attempts = this.retry.attempts): Promise<T | undefined> {
    for (let attempt = 0; ; attempt++) {
      this.opts.signal?.throwIfAborted();
      await this.opts.throttle?.(this.system);
      this.opts.counter.add(this.system);
      noteRemoteRequest(this.system);
      try {
        return await fn();
      } catch (e) {
        const err = classifyRemoteError(e, this.system, what);
        if (notFoundIsUndefined && err.status === 404) return undefined;
        if (!this.opts.signal?.aborted) {
          noteRemoteError(this.system, err.kind);
          this.opts.onRemoteError?.(this.system, err.kind, err.status);
        }
        if (err.kind === 'permanent' || attempt + 1 >= attempts) throw err;
        await sleep(backoffDelay(this.retry, attempt, err.kind, err.retryAfterSeconds), this.opts.signal);
      }
    }
  }

  async list(ref: CrRef, namespace: string | undefined, o: ListOptions = {}): Promise<KubeList> {
    const res = (await this.call(`list ${ref.plural}`, () => this.rest('GET', objectsPath(ref, namespace), listQuery(o)))) as KubeList;
    return { items: res.items ?? [], metadata: res.metadata ?? {} };
  }

  /** A list where a resource type unknown to the cluster (404) means "no items". */
  async listOrEmpty(ref: CrRef, namespace: string | undefined, o: ListOptions = {}): Promise<KubeList> {
    return (await this.listIfServed(ref, namespace, o)) ?? { items: [], metadata: {} };
  }

  /** A list, or undefined when the cluster does not serve the type (404: its CRD is not installed). */
  async listIfServed(ref: CrRef, namespace: string | undefined, o: ListOptions = {}): Promise<KubeList | undefined> {
    const res = (await this.call(`list ${ref.plural}`, () => this.rest('GET', objectsPath(ref, namespace), listQuery(o)), true)) as KubeList | undefined;
    return res ? { items: res.items ?? [], metadata: res.metadata ?? {} } : undefined;
  }

  async get(ref: CrRef, namespace: string, name: string): Promise<KubeObject | undefined> {
    return (await this.call(`get ${ref.plural}/${name}`, () => this.rest('GET', objectsPath(ref, namespace, name)), true)) as KubeObject | undefined;
  }

  /**
   * JSON patch. `once` sends it exactly once (no retry): a caller that must know whether a write may have
   * landed (a reset after the server applied it) retries itself.
   */
  async jsonPatch(ref: CrRef, namespace: string, name: string, ops: unknown[], o: { dryRun?: boolean; once?: boolean } = {}): Promise<KubeObject> {
    return (await this.call(
      `patch ${ref.plural}/${name}`,
      () => this.rest('PATCH', objectsPath(ref, namespace, name), { dryRun: o.dryRun ? 'All' : undefined }, { body: ops, contentType: k8s.PatchStrategy.JsonPatch }),
      false,
      o.once ? 1 : this.retry.attempts,
    )) as KubeObject;
  }

  async mergePatch(ref: CrRef, namespace: string, name: string, patch: unknown): Promise<KubeObject> {
    return (await this.call(`patch ${ref.plural}/${name}`, () =>
      this.rest('PATCH', objectsPath(ref, namespace, name), {}, { body: patch, contentType: k8s.PatchStrategy.MergePatch }),
    )) as KubeObject;
  }

  async create(ref: CrRef, namespace: string, body: KubeObject): Promise<KubeObject> {
    return (await this.call(`create ${ref.plural}/${body.metadata.name}`, () => this.rest('POST', objectsPath(ref, namespace), {}, { body }))) as KubeObject;
  }

  async replace(ref: CrRef, namespace: string, body: KubeObject): Promise<KubeObject> {
    return (await this.call(`update ${ref.plural}/${body.metadata.name}`, () => this.rest('PUT', objectsPath(ref, namespace, body.metadata.name), {}, { body }))) as KubeObject;
  }

  /** DELETE; a missing object is fine (returns undefined). */
  async delete(ref: CrRef, namespace: string, name: string): Promise<KubeObject | undefined> {
    return (await this.call(`delete ${ref.plural}/${name}`, () => this.rest('DELETE', objectsPath(ref, namespace, name)), true)) as KubeObject | undefined;
  }

  /**
   * One request to a custom-object path, sent on the kubeconfig's (shared) dispatcher with its credentials
   * (exchange.ts: undici's handler interface; client-node's generated API goes through `fetch`, whose WHATWG
   * streams, Request/Response objects and abort signals cost more CPU per call than the call itself,
   * bench/wave.bench.ts). A stop of the client's signal cuts it off. A non-2xx answer throws client-node's
   * ApiException, as its API does, so errors.ts classifies both the same way.
   */
  private async rest(method: Method, path: string, query: Query = {}, o: { body?: unknown; contentType?: string } = {}): Promise<unknown> {
    const { dispatcher, req } = await this.prepare(method, path, query, o);
    const res = await exchange(dispatcher, req, this.opts.signal);
    const parsed = res.text ? parseJsonOrText(res.text) : undefined;
    if (res.statusCode >= 200 && res.statusCode < 300) return parsed;
    throw new k8s.ApiException(res.statusCode, 'request failed', parsed ?? res.text, res.headers());
  }

  /**
   * The kubeconfig's credentials as client-node applies them. A user with static credentials (a token, a client
   * certificate, a password) gets the same every time, so they are worked out once per kubeconfig; exec and
   * auth-provider credentials (which expire and refresh) are asked for on every request.
   */
  private requestAuth(url: string, method: Method): Promise<RequestAuth> {
    const apply = async (): Promise<RequestAuth> => {
      const ctx = new k8s.RequestContext(url, method);
      await this.kc.applySecurityAuthentication(ctx);
      return { headers: ctx.getHeaders(), dispatcher: ctx.getDispatcher() ?? getGlobalDispatcher() };
    };
    const user = this.kc.getCurrentUser();
    if (user?.exec || user?.authProvider) return apply();
    const kept = (this.parsed.auth ??= apply());
    kept.catch(() => {
      if (this.parsed.auth === kept) this.parsed.auth = undefined;
    });
    return kept;
  }

  /** One request's dispatcher and options, with the kubeconfig's credentials. */
  private async prepare(method: Method, path: string, query: Query, o: { body?: unknown; contentType?: string; idleMs?: number }): Promise<{ dispatcher: Dispatcher; req: ExchangeRequest }> {
    // The server URL is parsed once per kubeconfig rather than once per request. `path` is built from encoded parts
    // (objectsPath), so it needs no normalising.
    const base = (this.parsed.base ??= baseOf(this.server));
    const params = new URLSearchParams();
    for (const k in query) if (query[k] !== undefined) params.set(k, String(query[k]));
    const target = `${base.path}${path}${params.size ? `?${params}` : ''}`;
    const auth = await this.requestAuth(base.origin + target, method);
    const headers: Record<string, string> = { ...auth.headers, accept: 'application/json' };
    if (o.body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
    const req: ExchangeRequest = { origin: base.origin, path: target, method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) };
    if (o.idleMs) {
      req.headersTimeout = o.idleMs;
      req.bodyTimeout = o.idleMs;
    }
    return { dispatcher: auth.dispatcher, req };
  }

  async readSecret(namespace: string, name: string): Promise<k8s.V1Secret | undefined> {
    return this.call(`get secret ${namespace}/${name}`, () => this.core.readNamespacedSecret({ namespace, name }), true);
  }

  /** Secrets of a namespace by label (a wave reads its runtimes' kubeconfig secrets in batches). */
  async listSecrets(namespace: string, o: ListOptions = {}): Promise<k8s.V1Secret[]> {
    const res = await this.call(`list secrets in ${namespace}`, () => this.core.listNamespacedSecret({ namespace, labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: o.limit, _continue: o.continue }));
    return res?.items ?? [];
  }

  async getDeployment(namespace: string, name: string): Promise<k8s.V1Deployment | undefined> {
    return this.call(`get deployment ${namespace}/${name}`, () => this.apps.readNamespacedDeployment({ namespace, name }), true);
  }

  async scaleDeployment(namespace: string, name: string, replicas: number): Promise<void> {
    await this.call(`scale deployment ${namespace}/${name}`, () =>
      this.apps.patchNamespacedDeploymentScale({ namespace, name, body: { spec: { replicas } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)),
    );
  }

  /** POST to a path client-node has no method for (Gardener's `shoots/<name>/adminkubeconfig`). */
  async postRaw(path: string, body: unknown): Promise<unknown> {
    return this.call(`post ${path}`, () => this.rest('POST', path, {}, { body }));
  }

  /**
   * Starts a watch (one request): its events, one JSON document per line, go to `onEvent`. `done` settles when
   * the stream ends: `null` when the server closed it, after 30 s without data (as client-node's watch), or on
   * `stop()`; the error otherwise. A non-200 answer rejects like any call (classified, not retried here).
   */
  async watch(path: string, params: Record<string, string | number | boolean | undefined>, onEvent: (e: WatchEvent) => void): Promise<WatchHandle> {
    this.opts.signal?.throwIfAborted();
    await this.opts.throttle?.(this.system);
    this.opts.counter.add(this.system);
    noteRemoteRequest(this.system);
    const refused = (e: unknown) => {
      const err = classifyRemoteError(e, this.system, `watch ${path}`);
      if (!this.opts.signal?.aborted) noteRemoteError(this.system, err.kind);
      return err;
    };
    const query: Query = { watch: 'true' };
    for (const [k, v] of Object.entries(params)) if (v !== undefined) query[k] = String(v);
    const onLine = (line: string) => {
      if (!line.trim()) return;
      let event: WatchEvent;
      try {
        event = JSON.parse(line) as WatchEvent;
      } catch {
        return; // not JSON: skipped, as client-node's watch does
      }
      onEvent({ type: event.type, object: event.object } as WatchEvent);
    };
    let opened: Opened;
    try {
      const { dispatcher, req } = await this.prepare('GET', path, query, { idleMs: WATCH_IDLE_MS });
      opened = await openLines(dispatcher, req, onLine, this.opts.signal);
    } catch (e) {
      throw refused(e);
    }
    if (!opened.open) {
      const { statusCode, text, headers } = opened.answer;
      throw refused(new k8s.ApiException(statusCode, 'watch refused', (text && parseJsonOrText(text)) || text, headers()));
    }
    return { done: opened.stream.done, stop: opened.stream.close };
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Query = Record<string, string | number | undefined>;

/** A watch that sends nothing (not even a bookmark) for this long has ended: the caller starts another. */
const WATCH_IDLE_MS = 30_000;

/** A server URL's origin and its path without a trailing slash (`https://host/prefix/` → `/prefix`). */
function baseOf(server: string): { origin: string; path: string } {
  const u = new URL(server);
  return { origin: u.origin, path: u.pathname.replace(/\/$/, '') };
}

/** API paths of custom objects: cluster-scoped without a namespace. */
function objectsPath(ref: CrRef, namespace: string | undefined, name?: string): string {
  const base = `/apis/${ref.group}/${ref.version}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${ref.plural}`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

function listQuery(o: ListOptions): Record<string, string | number | undefined> {
  return { labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: o.limit, continue: o.continue };
}

export { RemoteError };
