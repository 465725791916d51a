/**
 * The REST layer of one simulated cluster: turns `/api/...` and `/apis/...` requests into store operations,
 * with the query parameters, content types, subresources, list paging, server-side Tables and watch streams
 * that kubectl and client-node use. It never throws to its caller: every failure becomes a Status response.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import YAML from 'yaml';
import { ApiError, errors } from './errors.js';
import {
  aggregatedDiscovery,
  AGGREGATED_CONTENT_TYPE,
  legacyCoreVersions,
  legacyGroup,
  legacyGroupList,
  openApiGroupVersion,
  openApiIndex,
  resourceList,
  VERSION_INFO,
  wantsAggregated,
} from './discovery.js';
import { applyJsonPatch, applyMergePatch, patchTypeOf } from './patch.js';
import { apiVersionOf, findResource, RESOURCE_TYPES, type ResourceType } from './resources.js';
import { prune, schemaOf, validate } from './schemas.js';
import { OPENAPI_V2_PROTOBUF, openApiV2Protobuf } from './openapi-v2.js';
import { parseFieldSelector, parseLabelSelector, type Matcher } from './selectors.js';
import type { ClusterStore } from './store.js';
import type { K8sObject } from '../types.js';

export interface ApiRequest {
  method: string;
  /** Path below the cluster prefix, e.g. `/apis/operator.kyma-project.io/v1beta2/namespaces/kyma-system/kymas`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type ApiResult =
  | { kind: 'json'; status: number; body: unknown; contentType?: string; headers?: Record<string, string> }
  | { kind: 'watch'; start: (res: ServerResponse) => void };

/** What was written, for the simulator's statistics (C1 `kymaWrites`). */
export interface WriteInfo {
  resource: ResourceType;
  subresource?: string;
  verb: 'create' | 'update' | 'patch' | 'delete';
  object: K8sObject;
}

/** A handler for a subresource the generic layer does not know (Gardener's `adminkubeconfig`). */
export type SubresourceHandler = (ctx: { method: string; namespace?: string; name: string; body: unknown; store: ClusterStore }) => ApiResult;

export interface ClusterApiOptions {
  onWrite?: (info: WriteInfo) => void;
  subresources?: Record<string, SubresourceHandler>;
  /**
   * Whether this cluster serves a resource type (its CRD is installed); unset: every type of the table. An
   * unserved type answers 404 and is left out of discovery, as on a cluster without the CRD.
   */
  serves?: (t: ResourceType) => boolean;
}

/** Parsed resource path. */
interface Target {
  type: ResourceType;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

const json = (status: number, body: unknown, contentType?: string): ApiResult => ({ kind: 'json', status, body, contentType });

/** Adds the API server's `Warning` header (RFC 7234, code 299), e.g. for pruned unknown fields. */
function withWarnings(r: ApiResult, warnings: string[]): ApiResult {
  if (r.kind !== 'json' || warnings.length === 0) return r;
  return { ...r, headers: { ...r.headers, Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') } };
}

/**
 * A boolean query parameter as the API server decodes it (kubernetes/apimachinery pkg/runtime/conversion.go
 * `Convert_Slice_string_To_bool`, used for `watch`, `allowWatchBookmarks`, …): absent, `0` or `false` in any
 * case is false; every other value — `true`, `True` (the Python client), `1`, `t`, even an empty one — is true.
 */
export function queryBool(q: URLSearchParams, name: string): boolean {
  const values = q.getAll(name);
  if (values.length === 0) return false;
  return !(values[0] === '0' || values[0].toLowerCase() === 'false');
}

/** An int64 query parameter (`Convert_Slice_string_To_Pointer_int64`: strconv.ParseInt); a bad one is a 400. */
function queryInt(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^[+-]?\d+$/.test(v)) throw errors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

function parseBody(req: ApiRequest): unknown {
  const text = req.body.toString('utf8');
  if (!text.trim()) throw errors.badRequest('the body of the request was empty');
  const ct = (req.headers['content-type'] ?? '').toLowerCase();
  try {
    if (ct.includes('yaml')) return YAML.parse(text) as unknown;
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw errors.badRequest(`json: cannot unmarshal the request body: ${(e as Error).message}`);
  }
}

/** The JSON type name Go's decoder reports (`cannot unmarshal string into ...`). */
function jsonTypeOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v;
}

const isStringMap = (v: unknown): boolean => isPlainObject(v) && Object.values(v).every((x) => typeof x === 'string');

/** Typed ObjectMeta fields; `null` is allowed everywhere, as Go's decoder leaves the field empty. */
const META_FIELDS: Record<string, { goType: string; ok: (v: unknown) => boolean }> = {
  name: { goType: 'string', ok: (v) => typeof v === 'string' },
  generateName: { goType: 'string', ok: (v) => typeof v === 'string' },
  namespace: { goType: 'string', ok: (v) => typeof v === 'string' },
  resourceVersion: { goType: 'string', ok: (v) => typeof v === 'string' },
  uid: { goType: 'types.UID', ok: (v) => typeof v === 'string' },
  labels: { goType: 'map[string]string', ok: isStringMap },
  annotations: { goType: 'map[string]string', ok: isStringMap },
  finalizers: { goType: '[]string', ok: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string') },
  ownerReferences: { goType: '[]v1.OwnerReference', ok: (v) => Array.isArray(v) && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x)) },
};

function asObject(body: unknown): K8sObject {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw errors.badRequest("Object 'Kind' is missing in the request body: the body must be a JSON object");
  }
  const obj = body as K8sObject;
  if (obj.metadata !== undefined && obj.metadata !== null && (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata))) {
    throw errors.badRequest(`json: cannot unmarshal ${jsonTypeOf(obj.metadata)} into Go struct field .metadata of type v1.ObjectMeta`);
  }
  // The API server decodes metadata into typed fields: a wrongly typed one never reaches the store (nor the
  // simulated controllers, which rely on the types).
  const metadata: Record<string, unknown> = { ...(obj.metadata ?? {}) };
  for (const [field, { goType, ok }] of Object.entries(META_FIELDS)) {
    const v = metadata[field];
    if (v === null) delete metadata[field];
    else if (v !== undefined && !ok(v)) {
      // For a map, Go names the offending value's type.
      const got = goType.startsWith('map') && isPlainObject(v) ? jsonTypeOf(Object.values(v).find((x) => typeof x !== 'string')) : jsonTypeOf(v);
      throw errors.badRequest(`json: cannot unmarshal ${got} into Go struct field ObjectMeta.metadata.${field} of type ${goType}`);
    }
  }
  return { ...obj, metadata };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Serves a stored object at the version the client asked for (Istio is served at v1alpha1 and v1alpha2). */
function asVersion(obj: K8sObject, t: ResourceType, version: string): K8sObject {
  const apiVersion = apiVersionOf(t, version);
  return obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion };
}

function getPath(obj: unknown, jsonPath: string): unknown {
  let cur = obj;
  for (const p of jsonPath.replace(/^\./, '').split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function humanAge(ts: string | undefined): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 3600 * 3) return `${Math.floor(s / 60)}m`;
  if (s < 86400 * 2) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept);
}

function toTable(t: ResourceType, version: string, items: K8sObject[], listMeta: Record<string, unknown>): unknown {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
      ...t.printerColumns.map((c) => ({ name: c.name, type: c.type === 'date' ? 'date' : c.type, format: '', description: c.name, priority: 0 })),
    ],
    rows: items.map((o) => ({
      cells: [
        o.metadata.name,
        ...t.printerColumns.map((c) => {
          if (c.value) return c.value(o);
          const v = getPath(o, c.jsonPath);
          if (c.type === 'date') return humanAge(v as string | undefined);
          return v ?? null;
        }),
      ],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: asVersion(o, t, version).metadata },
    })),
  };
}

export class ClusterApi {
  /** Ends of the open watch streams. */
  private readonly openWatches = new Set<() => void>();

  constructor(
    readonly store: ClusterStore,
    private readonly options: ClusterApiOptions = {},
  ) {}

  /**
   * Ends every open watch stream cleanly, as kube-apiserver does when a watch's timeout elapses or it restarts;
   * clients then re-watch from the last resourceVersion they saw. Returns how many were open.
   */
  closeWatches(): number {
    const ends = [...this.openWatches];
    for (const end of ends) end();
    return ends.length;
  }

  private served(t: ResourceType): boolean {
    return this.options.serves?.(t) ?? true;
  }

  /** Discovery without the types this cluster does not serve (only a `serves` option hides any). */
  private discovered<T>(body: T): T {
    if (!this.options.serves) return body;
    const hidden = new Set(RESOURCE_TYPES.filter((t) => !this.served(t)).flatMap((t) => [t.plural, `${t.plural}/status`, `${t.plural}/scale`]));
    if (!hidden.size) return body;
    const b = structuredClone(body) as { resources?: { name?: string; resource?: string }[]; items?: { versions?: { resources?: { resource?: string }[] }[] }[] };
    if (b.resources) b.resources = b.resources.filter((r) => !hidden.has(r.name ?? ''));
    for (const g of b.items ?? []) for (const v of g.versions ?? []) if (v.resources) v.resources = v.resources.filter((r) => !hidden.has(r.resource ?? ''));
    return b as T;
  }

  /** Answers one request; never throws. */
  handle(req: ApiRequest): ApiResult {
    try {
      return this.route(req);
    } catch (e) {
      if (e instanceof ApiError) return json(e.code, e.toStatus());
      return json(500, errors.internal((e as Error).message).toStatus());
    }
  }

  private route(req: ApiRequest): ApiResult {
    let parts: string[];
    try {
      parts = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw errors.badRequest(`invalid URL escape in path ${JSON.stringify(req.path)}`); // a malformed %-escape
    }
    const accept = req.headers.accept;
    if (parts[0] === 'version' && parts.length === 1) return json(200, VERSION_INFO);
    if (parts[0] === 'openapi') return this.openapi(parts.slice(1), req);
    if (parts[0] === 'api') {
      if (parts.length === 1) {
        return wantsAggregated(accept) ? json(200, aggregatedDiscovery(true), AGGREGATED_CONTENT_TYPE) : json(200, legacyCoreVersions());
      }
      if (parts[1] !== 'v1') throw errors.noResource();
      if (parts.length === 2) return json(200, resourceList('', 'v1'));
      return this.resource(req, '', 'v1', parts.slice(2));
    }
    if (parts[0] === 'apis') {
      if (parts.length === 1) {
        return wantsAggregated(accept) ? json(200, this.discovered(aggregatedDiscovery(false)), AGGREGATED_CONTENT_TYPE) : json(200, legacyGroupList());
      }
      if (parts.length === 2) {
        const g = legacyGroup(parts[1]);
        if (!g) throw errors.noResource();
        return json(200, g);
      }
      if (parts.length === 3) {
        const list = resourceList(parts[1], parts[2]);
        if (!list) throw errors.noResource();
        return json(200, this.discovered(list));
      }
      return this.resource(req, parts[1], parts[2], parts.slice(3));
    }
    throw errors.noResource();
  }

  private openapi(parts: string[], req: ApiRequest): ApiResult {
    if (parts[0] === 'v2' && parts.length === 1) {
      // kubectl asks for protobuf only (openapi-v2.ts); a JSON client gets the same definitions' GVKs as 406.
      if (!(req.headers.accept ?? '').includes('protobuf')) throw new ApiError(406, 'NotAcceptable', 'only the protobuf form of /openapi/v2 is served: Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf');
      return { kind: 'json', status: 200, body: openApiV2Protobuf((t) => this.served(t)), contentType: OPENAPI_V2_PROTOBUF };
    }
    if (parts[0] !== 'v3') throw errors.noResource();
    if (parts.length === 1) return json(200, openApiIndex());
    const doc = parts[1] === 'api' ? openApiGroupVersion('', parts[2], (t) => this.served(t)) : parts[1] === 'apis' ? openApiGroupVersion(parts[2], parts[3], (t) => this.served(t)) : undefined;
    if (!doc) throw errors.noResource();
    return json(200, doc);
  }

  /** Parses `namespaces/<ns>/<plural>/<name>/<sub>` or `<plural>/<name>/<sub>` below a group version. */
  private target(group: string, version: string, rest: string[]): Target {
    let namespace: string | undefined;
    let r = rest;
    // `namespaces/<ns>/<plural>...` names a namespaced resource unless it is the namespace object itself.
    if (group === '' && r[0] === 'namespaces' && r.length >= 3 && !['status', 'finalize'].includes(r[2])) {
      namespace = r[1];
      r = r.slice(2);
    } else if (group !== '' && r[0] === 'namespaces' && r.length >= 3) {
      namespace = r[1];
      r = r.slice(2);
    }
    const type = findResource(group, version, r[0]);
    if (!type || r.length > 3 || !this.served(type)) throw errors.noResource();
    if (namespace !== undefined && !type.namespaced) throw errors.noResource();
    return { type, version, namespace, name: r[1], subresource: r[2] };
  }

  private resource(req: ApiRequest, group: string, version: string, rest: string[]): ApiResult {
    const t = this.target(group, version, rest);
    const { type, name, subresource } = t;
    const method = req.method.toUpperCase();
    const dryRun = req.query.getAll('dryRun').includes('All');
    // Across namespaces, a namespaced resource can only be listed and watched.
    if (type.namespaced && t.namespace === undefined && method !== 'GET') throw errors.methodNotAllowed();
    if (!name) {
      switch (method) {
        case 'GET':
          return queryBool(req.query, 'watch') ? this.watch(req, t) : this.list(req, t);
        case 'POST':
          return this.create(req, t, dryRun);
        case 'DELETE':
          return this.deleteCollection(req, t, dryRun);
        default:
          throw errors.methodNotAllowed();
      }
    }
    if (subresource && subresource !== 'status' && subresource !== 'scale') {
      const handler = this.options.subresources?.[`${type.plural}/${subresource}`];
      if (!handler) throw errors.noResource();
      return handler({ method, namespace: t.namespace, name, body: req.body.length ? parseBody(req) : undefined, store: this.store });
    }
    if (subresource === 'status' && !type.statusSubresource) throw errors.noResource();
    if (subresource === 'scale') {
      if (!type.scaleSubresource) throw errors.noResource();
      return this.scale(req, t, method, dryRun);
    }
    switch (method) {
      case 'GET': {
        const obj = asVersion(this.store.mustGet(type, t.namespace, name), type, version);
        // kubectl's default output asks for a Table for one object too (`get deploy NAME`), not only for lists.
        if (wantsTable(req.headers.accept)) return json(200, toTable(type, version, [obj], { resourceVersion: obj.metadata.resourceVersion }), TABLE_CONTENT_TYPE);
        return json(200, obj);
      }
      case 'PUT':
        return this.put(req, t, dryRun);
      case 'PATCH':
        return this.patch(req, t, dryRun);
      case 'DELETE': {
        const body = req.body.length ? (parseBody(req) as { preconditions?: { uid?: string; resourceVersion?: string } }) : {};
        const obj = this.store.delete(type, t.namespace, name, { actor: 'client', dryRun, preconditions: body?.preconditions });
        if (!dryRun) this.options.onWrite?.({ resource: type, verb: 'delete', object: obj });
        return json(200, asVersion(obj, type, version));
      }
      default:
        throw errors.methodNotAllowed();
    }
  }

  private selectors(req: ApiRequest): Matcher {
    const labels = parseLabelSelector(req.query.get('labelSelector'));
    const fields = parseFieldSelector(req.query.get('fieldSelector'));
    return (o) => labels(o) && fields(o);
  }

  private list(req: ApiRequest, t: Target): ApiResult {
    const matches = this.selectors(req);
    let items = this.store.list(t.type, t.namespace, matches);
    const meta: Record<string, unknown> = { resourceVersion: this.store.resourceVersion };
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

  private watch(req: ApiRequest, t: Target): ApiResult {
    const matches = this.selectors(req);
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
          this.openWatches.delete(end);
          stop();
          if (timer) clearTimeout(timer);
          if (bookmarkTimer) clearInterval(bookmarkTimer);
          if (!res.writableEnded) res.end();
        };
        try {
          stop = this.store.watch(t.type, t.namespace, matches, rv, (type, obj) => write(type, asVersion(obj, t.type, t.version)));
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
            write('BOOKMARK', { kind: t.type.kind, apiVersion: apiVersionOf(t.type, t.version), metadata: { resourceVersion: this.store.resourceVersion } });
          }, 10_000);
          bookmarkTimer.unref();
        }
        this.openWatches.add(end);
        res.on('close', end);
      },
    };
  }

  /**
   * Checks the object's apiVersion/kind against the URL and validates it against the type's structural schema
   * (schemas.ts), as the API server does: returns the object pruned of unknown fields and of nulls, and the
   * warnings for pruned fields. `fieldValidation=Strict` refuses unknown fields (400); an invalid value is a 422
   * naming the field path. For types with a status subresource, a write of the main resource ignores `status`.
   */
  private checkKind(t: Target, input: K8sObject, req: ApiRequest, existing?: K8sObject): { obj: K8sObject; warnings: string[] } {
    const expected = apiVersionOf(t.type, t.version);
    if (input.apiVersion !== undefined && input.apiVersion !== expected && !t.type.versions.some((v) => apiVersionOf(t.type, v) === input.apiVersion)) {
      throw errors.badRequest(`the API version in the data (${input.apiVersion}) does not match the expected API version (${expected})`);
    }
    if (input.kind !== undefined && input.kind !== t.type.kind) {
      throw errors.badRequest(`the kind in the data (${input.kind}) does not match the expected kind (${t.type.kind})`);
    }
    const obj = structuredClone(input);
    const schema = schemaOf(t.type);
    // Fields the stored object already had (seeded by the simulator) are not the client's doing.
    const had = new Set(existing ? prune(schema, structuredClone(existing)) : []);
    const unknown = prune(schema, obj).filter((u) => !had.has(u));
    const directive = req.query.get('fieldValidation') ?? '';
    if (!['', 'Ignore', 'Warn', 'Strict'].includes(directive)) {
      throw errors.badRequest(`Invalid value: ${JSON.stringify(directive)}: fieldValidation must be one of "Ignore", "Warn" or "Strict"`);
    }
    if (unknown.length && directive === 'Strict') {
      const what = unknown.length === 1 ? `unknown field "${unknown[0]}"` : `[${unknown.map((u) => `unknown field "${u}"`).join(', ')}]`;
      throw errors.badRequest(`${t.type.kind} in version "${t.version}" cannot be handled as a ${t.type.kind}: strict decoding error: ${what}`);
    }
    const checked: Record<string, unknown> = { ...obj };
    if (t.type.statusSubresource && t.subresource !== 'status') delete checked.status;
    const causes = validate(schema, checked);
    if (causes.length) throw errors.invalid(t.type.kind, t.type.group, obj.metadata.name ?? '', causes);
    return { obj, warnings: directive === 'Ignore' ? [] : unknown.map((u) => `unknown field "${u}"`) };
  }

  private create(req: ApiRequest, t: Target, dryRun: boolean): ApiResult {
    const { obj, warnings } = this.checkKind(t, asObject(parseBody(req)), req);
    if (t.type.namespaced) {
      if (obj.metadata.namespace && t.namespace && obj.metadata.namespace !== t.namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = t.namespace ?? obj.metadata.namespace;
    }
    const created = this.store.create(t.type, obj, { actor: 'client', dryRun });
    if (!dryRun) this.options.onWrite?.({ resource: t.type, verb: 'create', object: created });
    return withWarnings(json(201, asVersion(created, t.type, t.version)), warnings);
  }

  private put(req: ApiRequest, t: Target, dryRun: boolean): ApiResult {
    const { obj, warnings } = this.checkKind(t, asObject(parseBody(req)), req, t.name ? this.store.get(t.type, t.namespace, t.name) : undefined);
    if (obj.metadata.name !== t.name) {
      throw errors.badRequest(`the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${t.name})`);
    }
    if (t.type.namespaced) obj.metadata.namespace = t.namespace;
    const updated = this.store.update(t.type, obj, {
      actor: 'client',
      dryRun,
      subresource: t.subresource === 'status' ? 'status' : undefined,
      requireResourceVersion: t.type.custom,
    });
    if (!dryRun) this.options.onWrite?.({ resource: t.type, subresource: t.subresource, verb: 'update', object: updated });
    return withWarnings(json(200, asVersion(updated, t.type, t.version)), warnings);
  }

  private patch(req: ApiRequest, t: Target, dryRun: boolean): ApiResult {
    const ptype = patchTypeOf(req.headers['content-type']);
    if (!ptype) throw errors.unsupportedMediaType(req.headers['content-type'] ?? '');
    const body = parseBody(req);
    const current = this.store.get(t.type, t.namespace, t.name!);
    if (!current) {
      if (ptype !== 'apply') throw errors.notFound(t.type.plural, t.type.group, t.name!);
      // Server-side apply creates what does not exist yet.
      const { obj, warnings } = this.checkKind(t, asObject(body), req);
      obj.metadata.name = t.name;
      if (t.type.namespaced) obj.metadata.namespace = t.namespace;
      const created = this.store.create(t.type, obj, { actor: 'client', dryRun });
      if (!dryRun) this.options.onWrite?.({ resource: t.type, verb: 'patch', object: created });
      return withWarnings(json(201, asVersion(created, t.type, t.version)), warnings);
    }
    const base = asVersion(current, t.type, t.version);
    const patched = ptype === 'json' ? applyJsonPatch(base, body) : applyMergePatch(base, body);
    if (patched === null || typeof patched !== 'object' || Array.isArray(patched)) throw errors.unprocessablePatch('the patch produced something that is not an object');
    const { obj, warnings } = this.checkKind(t, asObject(patched), req, base);
    if (obj.metadata.name !== t.name) throw errors.badRequest('metadata.name: the name of an object cannot be changed by a patch');
    // A patch applies to the current object: its resourceVersion is the precondition unless the patch set one.
    const updated = this.store.update(t.type, obj, { actor: 'client', dryRun, subresource: t.subresource === 'status' ? 'status' : undefined });
    if (!dryRun) this.options.onWrite?.({ resource: t.type, subresource: t.subresource, verb: 'patch', object: updated });
    return withWarnings(json(200, asVersion(updated, t.type, t.version)), warnings);
  }

  private deleteCollection(req: ApiRequest, t: Target, dryRun: boolean): ApiResult {
    const matches = this.selectors(req);
    const deleted = this.store.list(t.type, t.namespace, matches).map((o) => {
      const d = this.store.delete(t.type, o.metadata.namespace, o.metadata.name!, { actor: 'client', dryRun });
      if (!dryRun) this.options.onWrite?.({ resource: t.type, verb: 'delete', object: d });
      return asVersion(d, t.type, t.version);
    });
    return json(200, { apiVersion: apiVersionOf(t.type, t.version), kind: t.type.listKind, metadata: { resourceVersion: this.store.resourceVersion }, items: deleted });
  }

  /** `deployments/<name>/scale`: an autoscaling/v1 Scale view of `spec.replicas`. */
  private scale(req: ApiRequest, t: Target, method: string, dryRun: boolean): ApiResult {
    const current = this.store.mustGet(t.type, t.namespace, t.name!);
    const view = scaleOf(current);
    if (method === 'GET') return json(200, view);
    if (method !== 'PUT' && method !== 'PATCH') throw errors.methodNotAllowed();
    const body = parseBody(req);
    let next: K8sObject;
    if (method === 'PUT') next = asObject(body);
    else {
      const ptype = patchTypeOf(req.headers['content-type']);
      if (!ptype) throw errors.unsupportedMediaType(req.headers['content-type'] ?? '');
      next = asObject(ptype === 'json' ? applyJsonPatch(view, body) : applyMergePatch(view, body));
    }
    const replicas = (next.spec as { replicas?: unknown } | undefined)?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw errors.invalid('Scale', 'autoscaling', t.name!, [{ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` }]);
    }
    const rv = next.metadata.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) throw errors.conflict(t.type.plural, t.type.group, t.name!);
    const spec = { ...(current.spec as Record<string, unknown>), replicas };
    const updated = this.store.update(t.type, { ...current, spec }, { actor: 'client', dryRun });
    if (!dryRun) this.options.onWrite?.({ resource: t.type, subresource: 'scale', verb: method === 'PUT' ? 'update' : 'patch', object: updated });
    return json(200, scaleOf(updated));
  }
}

function scaleOf(d: K8sObject): K8sObject {
  const spec = (d.spec ?? {}) as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  const status = (d.status ?? {}) as { replicas?: number };
  const selector = Object.entries(spec.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: d.metadata.name,
      namespace: d.metadata.namespace,
      uid: d.metadata.uid,
      resourceVersion: d.metadata.resourceVersion,
      creationTimestamp: d.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 1 },
    status: { replicas: status.replicas ?? 0, selector },
  };
}

/** Every resource type, for callers that seed or inspect stores. */
export { RESOURCE_TYPES };
