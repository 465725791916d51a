/**
 * A Kubernetes client for one remote cluster (KCP, an SKR, Gardener), built on @kubernetes/client-node:
 * the few calls the migration needs, each counted, each retried per retry.ts, every failure turned into a
 * RemoteError. Kubeconfigs stay in memory here and are never logged.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { classifyRemoteError, RemoteError } from './errors.js';
import { noteRemoteError, noteRemoteRequest } from './observe.js';
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
  custom?: k8s.CustomObjectsApi;
  core?: k8s.CoreV1Api;
  apps?: k8s.AppsV1Api;
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

  // Built on first use: most clients use only the custom-objects API.
  private get custom(): k8s.CustomObjectsApi {
    return (this.parsed.custom ??= this.kc.makeApiClient(k8s.CustomObjectsApi));
  }

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
    const what = `list ${ref.plural}`;
    const res = (await this.call(what, () =>
      namespace
        ? this.custom.listNamespacedCustomObject({ ...ref, namespace, labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: o.limit, _continue: o.continue })
        : this.custom.listClusterCustomObject({ ...ref, labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: o.limit, _continue: o.continue }),
    )) as KubeList;
    return { items: res.items ?? [], metadata: res.metadata ?? {} };
  }

  /** A list where a resource type unknown to the cluster (404) means "no items". */
  async listOrEmpty(ref: CrRef, namespace: string | undefined, o: ListOptions = {}): Promise<KubeList> {
    const res = (await this.call(`list ${ref.plural}`, () =>
      namespace
        ? this.custom.listNamespacedCustomObject({ ...ref, namespace, labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: o.limit, _continue: o.continue })
        : this.custom.listClusterCustomObject({ ...ref, labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: o.limit, _continue: o.continue }),
    true)) as KubeList | undefined;
    return res ? { items: res.items ?? [], metadata: res.metadata ?? {} } : { items: [], metadata: {} };
  }

  /** A list, or undefined when the cluster does not serve the type (404: its CRD is not installed). */
  async listIfServed(ref: CrRef, namespace: string | undefined, o: ListOptions = {}): Promise<KubeList | undefined> {
    const res = (await this.call(`list ${ref.plural}`, () =>
      namespace
        ? this.custom.listNamespacedCustomObject({ ...ref, namespace, labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: o.limit, _continue: o.continue })
        : this.custom.listClusterCustomObject({ ...ref, labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: o.limit, _continue: o.continue }),
    true)) as KubeList | undefined;
    return res ? { items: res.items ?? [], metadata: res.metadata ?? {} } : undefined;
  }

  async get(ref: CrRef, namespace: string, name: string): Promise<KubeObject | undefined> {
    return (await this.call(`get ${ref.plural}/${name}`, () => this.custom.getNamespacedCustomObject({ ...ref, namespace, name }), true)) as KubeObject | undefined;
  }

  /**
   * JSON patch. `once` sends it exactly once (no retry): a caller that must know whether a write may have
   * landed (a reset after the server applied it) retries itself.
   */
  async jsonPatch(ref: CrRef, namespace: string, name: string, ops: unknown[], o: { dryRun?: boolean; once?: boolean } = {}): Promise<KubeObject> {
    return (await this.call(
      `patch ${ref.plural}/${name}`,
      () =>
        this.custom.patchNamespacedCustomObject(
          { ...ref, namespace, name, body: ops, dryRun: o.dryRun ? 'All' : undefined },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
        ),
      false,
      o.once ? 1 : this.retry.attempts,
    )) as KubeObject;
  }

  async mergePatch(ref: CrRef, namespace: string, name: string, patch: unknown): Promise<KubeObject> {
    return (await this.call(`patch ${ref.plural}/${name}`, () =>
      this.custom.patchNamespacedCustomObject({ ...ref, namespace, name, body: patch }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)),
    )) as KubeObject;
  }

  async create(ref: CrRef, namespace: string, body: KubeObject): Promise<KubeObject> {
    return (await this.call(`create ${ref.plural}/${body.metadata.name}`, () => this.custom.createNamespacedCustomObject({ ...ref, namespace, body }))) as KubeObject;
  }

  async replace(ref: CrRef, namespace: string, body: KubeObject): Promise<KubeObject> {
    return (await this.call(`update ${ref.plural}/${body.metadata.name}`, () =>
      this.custom.replaceNamespacedCustomObject({ ...ref, namespace, name: body.metadata.name, body }),
    )) as KubeObject;
  }

  /** DELETE; a missing object is fine (returns undefined). */
  async delete(ref: CrRef, namespace: string, name: string): Promise<KubeObject | undefined> {
    return (await this.call(`delete ${ref.plural}/${name}`, () => this.custom.deleteNamespacedCustomObject({ ...ref, namespace, name }), true)) as KubeObject | undefined;
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
    return this.call(`post ${path}`, async () => {
      const url = new URL(this.server.replace(/\/$/, '') + path);
      const options: https.RequestOptions = { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' } };
      await this.kc.applyToHTTPSOptions(options);
      const payload = JSON.stringify(body);
      return new Promise<unknown>((resolve, reject) => {
        const mod = url.protocol === 'https:' ? https : http;
        const req = mod.request(url, { ...options, signal: this.opts.signal }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              /* keep text */
            }
            const code = res.statusCode ?? 0;
            if (code >= 200 && code < 300) resolve(parsed);
            else reject(new k8s.ApiException(code, `HTTP-Code: ${code}`, parsed, headersOf(res.headers)));
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(payload);
      });
    });
  }

  /**
   * Starts a watch (one request). Events go to `onEvent`; `done` settles when the stream ends (client-node
   * ends it after 30 s without data). A non-200 answer rejects like any call (classified, not retried here).
   */
  async watch(path: string, params: Record<string, string | number | boolean | undefined>, onEvent: (e: WatchEvent) => void): Promise<WatchHandle> {
    this.opts.signal?.throwIfAborted();
    await this.opts.throttle?.(this.system);
    this.opts.counter.add(this.system);
    noteRemoteRequest(this.system);
    const w = new k8s.Watch(this.kc);
    let settle: (v: unknown) => void = () => undefined;
    const done = new Promise<unknown>((resolve) => (settle = resolve));
    let failure: unknown;
    const controller = await w.watch(path, params, (type: string, object: unknown) => onEvent({ type, object } as WatchEvent), (err: unknown) => {
      failure = err;
      settle(err ?? null);
    });
    // A watch refused outright (non-200) calls done before watch() returns: surface it as an error.
    if (failure && !(failure instanceof DOMException && failure.name === 'TimeoutError')) {
      const err = classifyRemoteError(failure, this.system, `watch ${path}`);
      if (!this.opts.signal?.aborted) noteRemoteError(this.system, err.kind);
      throw err;
    }
    const onAbort = () => controller.abort();
    this.opts.signal?.addEventListener('abort', onAbort, { once: true });
    void done.then(() => this.opts.signal?.removeEventListener('abort', onAbort));
    return { done, stop: () => controller.abort() };
  }
}

/**
 * client-node (2.x) builds a new undici Agent for every request and watch: a new connection pool each time, so
 * every request pays a TCP connect and a TLS handshake with a freshly built SecureContext, and leaves an idle
 * socket behind. In a wave that dominated CPU and memory (bench/wave.bench.ts: 100 runtimes in flight, each with
 * its own KCP client). The dispatcher depends only on the cluster's address and TLS settings and the user's client
 * certificate, so clients with the same ones share one keep-alive pool: every migration's KCP client reuses the
 * KCP connections, and an SKR client its own. Credentials stay per request (headers), as before. Users with exec
 * or auth-provider credentials (whose TLS identity may change) keep client-node's behaviour.
 *
 * The pools are bounded (least recently used dropped first); a dropped pool finishes what it carries and its idle
 * sockets close by themselves (undici's keep-alive timeout), as every pool client-node made did.
 */
const SHARED_DISPATCHERS = new Map<string, Dispatcher>();
const MAX_SHARED_DISPATCHERS = 256;

type Dispatcher = NonNullable<ReturnType<k8s.RequestContext['getDispatcher']>>;

function dispatcherKey(kc: k8s.KubeConfig): string | undefined {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster || user?.exec || user?.authProvider) return undefined;
  let origin: string;
  try {
    origin = new URL(cluster.server).origin;
  } catch {
    return undefined;
  }
  // Hashed: the map never holds a copy of key material.
  return createHash('sha256')
    .update(JSON.stringify([origin, cluster.caData, cluster.caFile, cluster.skipTLSVerify, cluster.tlsServerName, cluster.proxyUrl, user?.certData, user?.certFile, user?.keyData, user?.keyFile]))
    .digest('hex');
}

function shareDispatcher(kc: k8s.KubeConfig): void {
  const key = dispatcherKey(kc);
  if (key === undefined) return;
  const apply = kc.applySecurityAuthentication.bind(kc);
  kc.applySecurityAuthentication = async (context: k8s.RequestContext): Promise<void> => {
    await apply(context);
    const fresh = context.getDispatcher();
    if (!fresh) return;
    const kept = SHARED_DISPATCHERS.get(key);
    if (kept) {
      SHARED_DISPATCHERS.delete(key);
      SHARED_DISPATCHERS.set(key, kept);
      context.setDispatcher(kept);
      // Never used: nothing to wait for (it has no connections).
      fresh.close().catch(() => undefined);
      return;
    }
    SHARED_DISPATCHERS.set(key, fresh);
    if (SHARED_DISPATCHERS.size > MAX_SHARED_DISPATCHERS) SHARED_DISPATCHERS.delete(SHARED_DISPATCHERS.keys().next().value!);
  };
}

function headersOf(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export { RemoteError };
