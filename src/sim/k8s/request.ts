/**
 * One request to a simulated cluster's REST layer and its answer, and how the API server decodes what a client
 * sends: query parameters, bodies (JSON or YAML) and the typed fields of ObjectMeta.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import YAML from 'yaml';
import { errors } from './errors.js';
import { apiVersionOf, type ResourceType } from './resources.js';
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

/** A parsed resource path. */
export interface Target {
  type: ResourceType;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export const json = (status: number, body: unknown, contentType?: string): ApiResult => ({ kind: 'json', status, body, contentType });

/** Adds the API server's `Warning` header (RFC 7234, code 299), e.g. for pruned unknown fields. */
export function withWarnings(r: ApiResult, warnings: string[]): ApiResult {
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
export function queryInt(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^[+-]?\d+$/.test(v)) throw errors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

export function parseBody(req: ApiRequest): unknown {
  const text = req.body.toString('utf8');
  if (!text.trim()) throw errors.badRequest('the body of the request was empty');
  const ct = (req.headers['content-type'] ?? '').toLowerCase();
  // Protobuf (kubectl's typed requests for built-in kinds, e.g. `create namespace`): the simulator reads JSON and
  // YAML only, and says so with the status an API server gives a body type it does not take.
  if (ct.includes('protobuf')) throw errors.unsupportedBody(ct);
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

export function asObject(body: unknown): K8sObject {
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
export function asVersion(obj: K8sObject, t: ResourceType, version: string): K8sObject {
  const apiVersion = apiVersionOf(t, version);
  return obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion };
}
