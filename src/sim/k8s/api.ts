/**
 * The REST layer of one simulated cluster: turns `/api/...` and `/apis/...` requests into store operations,
 * with the query parameters, content types, subresources, list paging, server-side Tables and watch streams
 * that kubectl and client-node use. It never throws to its caller: every failure becomes a Status response.
 *
 * This file routes (discovery, OpenAPI, resource paths); request.ts decodes requests, list-watch.ts lists and
 * watches, writes.ts writes, table.ts renders Tables.
 */
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
import { list, watch } from './list-watch.js';
import { OPENAPI_V2_PROTOBUF, openApiV2Protobuf } from './openapi-v2.js';
import { asVersion, json, parseBody, queryBool, type ApiRequest, type ApiResult, type Target } from './request.js';
import { findResource, RESOURCE_TYPES, type ResourceType } from './resources.js';
import type { ClusterStore } from './store.js';
import { TABLE_CONTENT_TYPE, toTable, wantsTable } from './table.js';
import { create, deleteCollection, patch, put, remove, scale, type WriteInfo, type Writer } from './writes.js';

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

export class ClusterApi {
  /** Ends of the open watch streams. */
  private readonly openWatches = new Set<() => void>();

  private readonly writer: Writer;

  constructor(
    readonly store: ClusterStore,
    private readonly options: ClusterApiOptions = {},
  ) {
    this.writer = { store, onWrite: options.onWrite };
  }

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
          return queryBool(req.query, 'watch') ? watch(this.store, this.openWatches, req, t) : list(this.store, req, t);
        case 'POST':
          return create(this.writer, req, t, dryRun);
        case 'DELETE':
          return deleteCollection(this.writer, req, t, dryRun);
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
      return scale(this.writer, req, t, method, dryRun);
    }
    switch (method) {
      case 'GET': {
        const obj = asVersion(this.store.mustGet(type, t.namespace, name), type, version);
        // kubectl's default output asks for a Table for one object too (`get deploy NAME`), not only for lists.
        if (wantsTable(req.headers.accept)) return json(200, toTable(type, version, [obj], { resourceVersion: obj.metadata.resourceVersion }), TABLE_CONTENT_TYPE);
        return json(200, obj);
      }
      case 'PUT':
        return put(this.writer, req, t, dryRun);
      case 'PATCH':
        return patch(this.writer, req, t, dryRun);
      case 'DELETE':
        return remove(this.writer, req, t, dryRun);
      default:
        throw errors.methodNotAllowed();
    }
  }
}
