/**
 * The object store of one simulated cluster: what etcd plus the generic registry of kube-apiserver do —
 * resourceVersions, uids, generations, finalizers and deletionTimestamps, the status subresource split,
 * optimistic concurrency, and a per-resource event history that watches resume from.
 *
 * Objects are never mutated in place: every write stores a new top-level object with new metadata, so nested
 * parts (a ModuleTemplate's descriptor, say) can be shared between clusters to save memory. Callers must treat
 * what they get back as read-only.
 */
import { randomUUID } from 'node:crypto';
import { errors } from './errors.js';
import type { Matcher } from './selectors.js';
import { apiVersionOf, RESOURCE_TYPES, resourceKey, type ResourceType } from './resources.js';
import type { K8sObject, ObjectMeta } from '../types.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  /** The object after the change (for DELETED: its last state). */
  object: K8sObject;
  /** The object before the change (undefined for ADDED). */
  previous?: K8sObject;
  resource: ResourceType;
  resourceVersion: number;
}

/** Who wrote: a client over HTTP, or the simulated controllers (LM, the Istio operator). */
export type Actor = 'client' | 'controller';

export interface WriteOptions {
  actor?: Actor;
  /** Write to the `status` subresource (only `.status` changes) instead of the main resource. */
  subresource?: 'status';
  /** `dryRun=All`: validate and compute, store nothing. */
  dryRun?: boolean;
}

export type StoreListener = (event: StoreEvent) => void;

interface Watcher {
  resource: string;
  namespace?: string;
  matches: Matcher;
  send: (type: WatchEventType, obj: K8sObject) => void;
}

/** How many events per resource type a watch can resume across (older resourceVersions answer 410 Gone). */
const HISTORY = 1000;

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const NAMESPACE_TYPE = RESOURCE_TYPES.find((r) => r.plural === 'namespaces' && r.group === '')!;

/** JSON with sorted keys: equal documents give equal strings whatever their key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function nowTimestamp(ms = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** The object without metadata and status: what counts as a spec change for `metadata.generation`. */
function specPart(obj: K8sObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return canonicalJson(rest);
}

export class ClusterStore {
  private rv = 1;
  private readonly data = new Map<string, Map<string, K8sObject>>();
  private readonly history = new Map<string, StoreEvent[]>();
  private readonly watchers = new Set<Watcher>();
  private readonly listeners = new Set<StoreListener>();

  constructor(
    readonly clusterId: string,
    /** uid generator; the landscape passes a seeded one so seeded objects are reproducible. */
    private readonly newUid: () => string = randomUUID,
  ) {}

  get resourceVersion(): string {
    return String(this.rv);
  }

  private bucket(t: ResourceType): Map<string, K8sObject> {
    const k = resourceKey(t);
    let b = this.data.get(k);
    if (!b) this.data.set(k, (b = new Map<string, K8sObject>()));
    return b;
  }

  /** Subscribes the simulated controllers to every change. Returns an unsubscribe function. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(t: ResourceType, namespace: string | undefined, name: string): K8sObject | undefined {
    return this.data.get(resourceKey(t))?.get(keyOf(t.namespaced ? namespace : undefined, name));
  }

  mustGet(t: ResourceType, namespace: string | undefined, name: string): K8sObject {
    const obj = this.get(t, namespace, name);
    if (!obj) throw errors.notFound(t.plural, t.group, name);
    return obj;
  }

  /** Objects of a type, in one namespace or all, sorted by namespace/name as the API server lists them. */
  list(t: ResourceType, namespace?: string, matches: Matcher = () => true): K8sObject[] {
    const b = this.data.get(resourceKey(t));
    if (!b) return [];
    const out: K8sObject[] = [];
    for (const obj of b.values()) {
      if (namespace !== undefined && t.namespaced && obj.metadata.namespace !== namespace) continue;
      if (matches(obj)) out.push(obj);
    }
    // Byte order of namespace/name, as etcd keys sort (and much cheaper than localeCompare on 10,000 objects).
    const key = (o: K8sObject) => keyOf(o.metadata.namespace, o.metadata.name!);
    return out.sort((a, b2) => {
      const ka = key(a);
      const kb = key(b2);
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  }

  /**
   * Puts a starting object into the store without events (landscape seeding). Keeps the given uid and
   * creationTimestamp; assigns a resourceVersion.
   */
  seed(t: ResourceType, obj: K8sObject): K8sObject {
    const stored: K8sObject = {
      ...obj,
      apiVersion: apiVersionOf(t),
      kind: t.kind,
      metadata: {
        ...obj.metadata,
        uid: obj.metadata.uid ?? this.newUid(),
        creationTimestamp: obj.metadata.creationTimestamp ?? nowTimestamp(),
        generation: obj.metadata.generation ?? 1,
        resourceVersion: String(++this.rv),
      },
    };
    this.bucket(t).set(keyOf(t.namespaced ? stored.metadata.namespace : undefined, stored.metadata.name!), stored);
    return stored;
  }

  /**
   * Every object with the store's resourceVersion counter: what `restore` takes back (the embedded landscape keeps
   * its clusters across processes this way). Watch history is not kept: a watch from before a restore answers 410.
   */
  snapshot(): { rv: number; objects: K8sObject[] } {
    const objects: K8sObject[] = [];
    for (const b of this.data.values()) objects.push(...b.values());
    return { rv: this.rv, objects };
  }

  /** Puts a snapshot's objects back as they were (resourceVersions, uids and timestamps kept), without events. */
  restore(snapshot: { rv: number; objects: K8sObject[] }, typeOf: (obj: K8sObject) => ResourceType | undefined): void {
    for (const obj of snapshot.objects) {
      const t = typeOf(obj);
      if (!t) throw new Error(`stored object of unknown type ${obj.apiVersion}/${obj.kind}`);
      this.bucket(t).set(keyOf(t.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name!), obj);
    }
    this.rv = Math.max(this.rv, snapshot.rv);
  }

  private checkNamespace(t: ResourceType, namespace: string | undefined, name?: string): void {
    if (!t.namespaced) return;
    if (!namespace) throw errors.badRequest('the server could not find the requested resource: namespace is required');
    const ns = this.get(NAMESPACE_TYPE, undefined, namespace);
    if (!ns) throw errors.notFound('namespaces', '', namespace);
    // The NamespaceLifecycle admission plugin: nothing new in a namespace being deleted.
    if (ns.metadata.deletionTimestamp) {
      throw errors.forbidden(`${t.plural}${t.group ? `.${t.group}` : ''} "${name ?? ''}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  /**
   * DELETE of a Namespace, as the API server and the namespace controller do it: the namespace gets a
   * deletionTimestamp and `status.phase: Terminating` (its `spec.finalizers: [kubernetes]` holds it), every
   * object in it is deleted (those with finalizers stay, being deleted, until their finalizers are cleared), and
   * the namespace goes once it is empty.
   */
  private deleteNamespace(current: K8sObject): K8sObject {
    const name = current.metadata.name!;
    if (current.metadata.deletionTimestamp) return current;
    const next: K8sObject = {
      ...current,
      metadata: { ...current.metadata, deletionTimestamp: nowTimestamp(), deletionGracePeriodSeconds: 0, resourceVersion: String(++this.rv) },
      spec: { ...((current.spec) ?? {}), finalizers: ['kubernetes'] },
      status: { ...((current.status) ?? {}), phase: 'Terminating' },
    };
    this.bucket(NAMESPACE_TYPE).set(keyOf(undefined, name), next);
    this.emit('MODIFIED', NAMESPACE_TYPE, next, current);
    for (const t of RESOURCE_TYPES) {
      if (!t.namespaced) continue;
      for (const o of this.list(t, name)) if (!o.metadata.deletionTimestamp) this.delete(t, name, o.metadata.name!, { actor: 'client' });
    }
    this.reapNamespace(name);
    return this.get(NAMESPACE_TYPE, undefined, name) ?? next;
  }

  /** Removes a terminating namespace once nothing is left in it. */
  private reapNamespace(namespace: string | undefined): void {
    if (!namespace) return;
    const ns = this.get(NAMESPACE_TYPE, undefined, namespace);
    if (!ns?.metadata.deletionTimestamp) return;
    if (RESOURCE_TYPES.some((t) => t.namespaced && this.list(t, namespace).length > 0)) return;
    const gone: K8sObject = { ...ns, metadata: { ...ns.metadata, resourceVersion: String(++this.rv) }, spec: { ...((ns.spec) ?? {}), finalizers: [] } };
    this.bucket(NAMESPACE_TYPE).delete(keyOf(undefined, namespace));
    this.emit('DELETED', NAMESPACE_TYPE, gone, ns);
  }

  create(t: ResourceType, input: K8sObject, opts: WriteOptions = {}): K8sObject {
    const meta: ObjectMeta = { ...(input.metadata ?? {}) };
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${this.newUid().slice(0, 5)}`;
    const name = meta.name;
    if (!name) throw errors.invalid(t.kind, t.group, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' }]);
    if (!DNS_SUBDOMAIN.test(name) || name.length > 253) {
      throw errors.invalid(t.kind, t.group, name, [
        { field: 'metadata.name', message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character` },
      ]);
    }
    if (!t.namespaced) delete meta.namespace;
    this.checkNamespace(t, meta.namespace, name);
    const b = this.bucket(t);
    const key = keyOf(meta.namespace, name);
    if (b.has(key)) throw errors.alreadyExists(t.plural, t.group, name);
    const { status, ...rest } = input;
    const stored: K8sObject = {
      ...rest,
      apiVersion: apiVersionOf(t),
      kind: t.kind,
      metadata: {
        ...meta,
        uid: this.newUid(),
        creationTimestamp: nowTimestamp(),
        generation: 1,
        resourceVersion: '',
      },
    };
    delete stored.metadata.deletionTimestamp;
    // A status subresource means status is ignored on create for custom resources, as the API server does.
    if (status !== undefined && !(t.statusSubresource && t.custom)) stored.status = status;
    if (opts.dryRun) return { ...stored, metadata: { ...stored.metadata, resourceVersion: String(this.rv) } };
    stored.metadata.resourceVersion = String(++this.rv);
    b.set(key, stored);
    this.emit('ADDED', t, stored, undefined);
    return stored;
  }

  /**
   * Replaces an object (PUT, or the result of a patch). `input.metadata.resourceVersion`, when given, must
   * match (409 Conflict otherwise); custom resources require it, as the API server does for CRDs.
   */
  update(t: ResourceType, input: K8sObject, opts: WriteOptions & { requireResourceVersion?: boolean } = {}): K8sObject {
    const name = input.metadata?.name;
    if (!name) throw errors.badRequest('name is required for an update');
    const namespace = t.namespaced ? input.metadata.namespace : undefined;
    const current = this.mustGet(t, namespace, name);
    const rv = input.metadata.resourceVersion;
    if (rv === undefined || rv === '') {
      if (opts.requireResourceVersion) {
        throw errors.invalid(t.kind, t.group, name, [{ field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' }]);
      }
    } else if (rv !== current.metadata.resourceVersion) {
      throw errors.conflict(t.plural, t.group, name);
    }
    let next: K8sObject;
    if (opts.subresource === 'status') {
      // Only .status changes through /status.
      next = { ...current, status: input.status, metadata: { ...current.metadata } };
    } else {
      next = {
        ...input,
        apiVersion: apiVersionOf(t),
        kind: t.kind,
        metadata: {
          ...input.metadata,
          // Server-managed fields cannot be changed by clients.
          name,
          namespace: current.metadata.namespace,
          uid: current.metadata.uid,
          creationTimestamp: current.metadata.creationTimestamp,
          generation: current.metadata.generation,
          deletionTimestamp: current.metadata.deletionTimestamp,
        },
      };
      if (!t.namespaced) delete next.metadata.namespace;
      if (next.metadata.deletionTimestamp === undefined) delete next.metadata.deletionTimestamp;
      if (t.statusSubresource) {
        if (current.status === undefined) delete next.status;
        else next.status = current.status;
      }
      if (specPart(next) !== specPart(current)) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    }
    if (canonicalJson({ ...next, metadata: { ...next.metadata, resourceVersion: '' } }) === canonicalJson({ ...current, metadata: { ...current.metadata, resourceVersion: '' } })) {
      return current; // no-op writes do not bump the resourceVersion (kubectl then prints "no change")
    }
    if (opts.dryRun) return next;
    next.metadata.resourceVersion = String(++this.rv);
    const b = this.bucket(t);
    const key = keyOf(namespace, name);
    // An object being deleted disappears once its last finalizer is gone.
    if (next.metadata.deletionTimestamp && !(next.metadata.finalizers?.length)) {
      b.delete(key);
      this.emit('DELETED', t, next, current);
      if (t.namespaced) this.reapNamespace(namespace);
      return next;
    }
    b.set(key, next);
    this.emit('MODIFIED', t, next, current);
    return next;
  }

  /**
   * DELETE. Objects with finalizers get a deletionTimestamp and stay until their finalizers are cleared;
   * others are removed at once. Returns the object as it is after the call.
   */
  delete(t: ResourceType, namespace: string | undefined, name: string, opts: WriteOptions & { preconditions?: { uid?: string; resourceVersion?: string } } = {}): K8sObject {
    const current = this.mustGet(t, namespace, name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw errors.conflict(t.plural, t.group, name);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) throw errors.conflict(t.plural, t.group, name);
    if (opts.dryRun) return current;
    if (t === NAMESPACE_TYPE) return this.deleteNamespace(current);
    const key = keyOf(t.namespaced ? namespace : undefined, name);
    if (current.metadata.finalizers?.length) {
      if (current.metadata.deletionTimestamp) return current;
      const next: K8sObject = {
        ...current,
        metadata: { ...current.metadata, deletionTimestamp: nowTimestamp(), deletionGracePeriodSeconds: 0, resourceVersion: String(++this.rv) },
      };
      this.bucket(t).set(key, next);
      this.emit('MODIFIED', t, next, current);
      return next;
    }
    const gone: K8sObject = { ...current, metadata: { ...current.metadata, resourceVersion: String(++this.rv) } };
    this.bucket(t).delete(key);
    this.emit('DELETED', t, gone, current);
    if (t.namespaced) this.reapNamespace(namespace);
    return gone;
  }

  private emit(type: WatchEventType, t: ResourceType, object: K8sObject, previous: K8sObject | undefined): void {
    const event: StoreEvent = { type, object, previous, resource: t, resourceVersion: Number(object.metadata.resourceVersion) };
    const k = resourceKey(t);
    let h = this.history.get(k);
    if (!h) this.history.set(k, (h = []));
    h.push(event);
    if (h.length > HISTORY) h.splice(0, h.length - HISTORY);
    for (const w of this.watchers) if (w.resource === k) deliver(w, event);
    for (const l of this.listeners) l(event);
  }

  /**
   * Starts a watch. With no resourceVersion (or "0") it first sends every current object as ADDED; with a
   * resourceVersion it replays the changes after it, or throws 410 Gone when those have been forgotten.
   */
  watch(
    t: ResourceType,
    namespace: string | undefined,
    matches: Matcher,
    resourceVersion: string | undefined,
    send: (type: WatchEventType, obj: K8sObject) => void,
  ): () => void {
    const k = resourceKey(t);
    const w: Watcher = { resource: k, namespace: t.namespaced ? namespace : undefined, matches, send };
    if (!resourceVersion || resourceVersion === '0') {
      for (const obj of this.list(t, w.namespace, matches)) send('ADDED', obj);
    } else {
      const from = Number(resourceVersion);
      if (!Number.isFinite(from)) throw errors.badRequest(`invalid resource version: "${resourceVersion}"`);
      const h = this.history.get(k) ?? [];
      if (h.length >= HISTORY && h[0].resourceVersion > from + 1) {
        throw errors.gone(`too old resource version: ${from} (${h[0].resourceVersion - 1})`);
      }
      for (const e of h) if (e.resourceVersion > from) deliver(w, e);
    }
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  /** Number of objects (all types): for memory figures. */
  size(): number {
    let n = 0;
    for (const b of this.data.values()) n += b.size;
    return n;
  }
}

/** Sends one event to one watcher, turning selector transitions into ADDED/DELETED as the API server does. */
function deliver(w: Watcher, e: StoreEvent): void {
  const inNs = (o: K8sObject | undefined) => !!o && (w.namespace === undefined || o.metadata.namespace === w.namespace);
  const now = inNs(e.object) && w.matches(e.object);
  const before = inNs(e.previous) && w.matches(e.previous!);
  if (e.type === 'MODIFIED') {
    if (now && before) w.send('MODIFIED', e.object);
    else if (now) w.send('ADDED', e.object);
    else if (before) w.send('DELETED', e.object);
  } else if (now) w.send(e.type, e.object);
}
