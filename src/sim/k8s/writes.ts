/**
 * The write verbs of the REST layer: create, update (PUT), patch (JSON, merge, strategic merge as merge, apply),
 * delete, deletecollection and the `scale` subresource. Every written object is checked against its type's
 * structural schema first (schemas.ts).
 */
import { errors } from './errors.js';
import { selectors } from './list-watch.js';
import { applyJsonPatch, applyMergePatch, patchTypeOf } from './patch.js';
import { asObject, asVersion, json, parseBody, withWarnings, type ApiRequest, type ApiResult, type Target } from './request.js';
import { apiVersionOf, type ResourceType } from './resources.js';
import { prune, schemaOf, validate } from './schemas.js';
import type { ClusterStore } from './store.js';
import type { K8sObject } from '../types.js';

/** What was written, for the simulator's statistics (C1 `kymaWrites`). */
export interface WriteInfo {
  resource: ResourceType;
  subresource?: string;
  verb: 'create' | 'update' | 'patch' | 'delete';
  object: K8sObject;
}

/** Where writes go, and who hears of them. */
export interface Writer {
  store: ClusterStore;
  onWrite?: (info: WriteInfo) => void;
}

/**
 * Checks the object's apiVersion/kind against the URL and validates it against the type's structural schema
 * (schemas.ts), as the API server does: returns the object pruned of unknown fields and of nulls, and the
 * warnings for pruned fields. `fieldValidation=Strict` refuses unknown fields (400); an invalid value is a 422
 * naming the field path. For types with a status subresource, a write of the main resource ignores `status`.
 */
function checkKind(t: Target, input: K8sObject, req: ApiRequest, existing?: K8sObject): { obj: K8sObject; warnings: string[] } {
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

export function create(w: Writer, req: ApiRequest, t: Target, dryRun: boolean): ApiResult {
  const { obj, warnings } = checkKind(t, asObject(parseBody(req)), req);
  if (t.type.namespaced) {
    if (obj.metadata.namespace && t.namespace && obj.metadata.namespace !== t.namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = t.namespace ?? obj.metadata.namespace;
  }
  const created = w.store.create(t.type, obj, { actor: 'client', dryRun });
  if (!dryRun) w.onWrite?.({ resource: t.type, verb: 'create', object: created });
  return withWarnings(json(201, asVersion(created, t.type, t.version)), warnings);
}

export function put(w: Writer, req: ApiRequest, t: Target, dryRun: boolean): ApiResult {
  const { obj, warnings } = checkKind(t, asObject(parseBody(req)), req, t.name ? w.store.get(t.type, t.namespace, t.name) : undefined);
  if (obj.metadata.name !== t.name) {
    throw errors.badRequest(`the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${t.name})`);
  }
  if (t.type.namespaced) obj.metadata.namespace = t.namespace;
  const updated = w.store.update(t.type, obj, {
    actor: 'client',
    dryRun,
    subresource: t.subresource === 'status' ? 'status' : undefined,
    requireResourceVersion: t.type.custom,
  });
  if (!dryRun) w.onWrite?.({ resource: t.type, subresource: t.subresource, verb: 'update', object: updated });
  return withWarnings(json(200, asVersion(updated, t.type, t.version)), warnings);
}

export function patch(w: Writer, req: ApiRequest, t: Target, dryRun: boolean): ApiResult {
  const ptype = patchTypeOf(req.headers['content-type']);
  if (!ptype) throw errors.unsupportedMediaType(req.headers['content-type'] ?? '');
  const body = parseBody(req);
  const current = w.store.get(t.type, t.namespace, t.name!);
  if (!current) {
    if (ptype !== 'apply') throw errors.notFound(t.type.plural, t.type.group, t.name!);
    // Server-side apply creates what does not exist yet.
    const { obj, warnings } = checkKind(t, asObject(body), req);
    obj.metadata.name = t.name;
    if (t.type.namespaced) obj.metadata.namespace = t.namespace;
    const created = w.store.create(t.type, obj, { actor: 'client', dryRun });
    if (!dryRun) w.onWrite?.({ resource: t.type, verb: 'patch', object: created });
    return withWarnings(json(201, asVersion(created, t.type, t.version)), warnings);
  }
  const base = asVersion(current, t.type, t.version);
  const patched = ptype === 'json' ? applyJsonPatch(base, body) : applyMergePatch(base, body);
  if (patched === null || typeof patched !== 'object' || Array.isArray(patched)) throw errors.unprocessablePatch('the patch produced something that is not an object');
  const { obj, warnings } = checkKind(t, asObject(patched), req, base);
  if (obj.metadata.name !== t.name) throw errors.badRequest('metadata.name: the name of an object cannot be changed by a patch');
  // A patch applies to the current object: its resourceVersion is the precondition unless the patch set one.
  const updated = w.store.update(t.type, obj, { actor: 'client', dryRun, subresource: t.subresource === 'status' ? 'status' : undefined });
  if (!dryRun) w.onWrite?.({ resource: t.type, subresource: t.subresource, verb: 'patch', object: updated });
  return withWarnings(json(200, asVersion(updated, t.type, t.version)), warnings);
}

export function deleteCollection(w: Writer, req: ApiRequest, t: Target, dryRun: boolean): ApiResult {
  const matches = selectors(req);
  const deleted = w.store.list(t.type, t.namespace, matches).map((o) => {
    const d = w.store.delete(t.type, o.metadata.namespace, o.metadata.name!, { actor: 'client', dryRun });
    if (!dryRun) w.onWrite?.({ resource: t.type, verb: 'delete', object: d });
    return asVersion(d, t.type, t.version);
  });
  return json(200, { apiVersion: apiVersionOf(t.type, t.version), kind: t.type.listKind, metadata: { resourceVersion: w.store.resourceVersion }, items: deleted });
}

/** `deployments/<name>/scale`: an autoscaling/v1 Scale view of `spec.replicas`. */
export function scale(w: Writer, req: ApiRequest, t: Target, method: string, dryRun: boolean): ApiResult {
  const current = w.store.mustGet(t.type, t.namespace, t.name!);
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
  const updated = w.store.update(t.type, { ...current, spec }, { actor: 'client', dryRun });
  if (!dryRun) w.onWrite?.({ resource: t.type, subresource: 'scale', verb: method === 'PUT' ? 'update' : 'patch', object: updated });
  return json(200, scaleOf(updated));
}

/** DELETE of one object; the body may carry preconditions (uid, resourceVersion). */
export function remove(w: Writer, req: ApiRequest, t: Target, dryRun: boolean): ApiResult {
  const body = req.body.length ? (parseBody(req) as { preconditions?: { uid?: string; resourceVersion?: string } }) : {};
  const obj = w.store.delete(t.type, t.namespace, t.name!, { actor: 'client', dryRun, preconditions: body?.preconditions });
  if (!dryRun) w.onWrite?.({ resource: t.type, verb: 'delete', object: obj });
  return json(200, asVersion(obj, t.type, t.version));
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
