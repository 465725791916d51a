/**
 * Kubernetes `Status` failures, shaped as the API server shapes them, so that kubectl and client-node print and
 * classify them as they would against a real cluster. Every failure of the simulated API goes through here.
 */

export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'MethodNotAllowed'
  | 'UnsupportedMediaType'
  | 'Unauthorized'
  | 'Expired'
  | 'Gone'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Forbidden'
  | 'NotAcceptable';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { reason?: string; message: string; field?: string }[];
  retryAfterSeconds?: number;
}

export interface K8sStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** A failure the simulated API answers with; `status` is the body. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): K8sStatus {
    const s: K8sStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code };
    if (this.details) s.details = this.details;
    return s;
  }
}

/** `<plural>.<group>` or `<plural>` as the API server names a resource in messages. */
function qualified(plural: string, group: string): string {
  return group ? `${plural}.${group}` : plural;
}

export const errors = {
  notFound: (plural: string, group: string, name: string) =>
    new ApiError(404, 'NotFound', `${qualified(plural, group)} "${name}" not found`, { name, group: group || undefined, kind: plural }),
  noResource: () => new ApiError(404, 'NotFound', 'the server could not find the requested resource', {}),
  alreadyExists: (plural: string, group: string, name: string) =>
    new ApiError(409, 'AlreadyExists', `${qualified(plural, group)} "${name}" already exists`, { name, group: group || undefined, kind: plural }),
  conflict: (plural: string, group: string, name: string) =>
    new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(plural, group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, group: group || undefined, kind: plural },
    ),
  invalid: (kind: string, group: string, name: string, causes: { field?: string; message: string; reason?: string }[]) =>
    new ApiError(
      422,
      'Invalid',
      `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ')}`,
      { name, group: group || undefined, kind, causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })) },
    ),
  /** The API server answers a patch that cannot be applied (failed `test`, missing path) with 422. */
  unprocessablePatch: (message: string) => new ApiError(422, 'Invalid', message, {}),
  badRequest: (message: string) => new ApiError(400, 'BadRequest', message),
  methodNotAllowed: () => new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}),
  unsupportedMediaType: (contentType: string) =>
    new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${contentType || 'none'})`,
    ),
  /** A create or update body in a format the simulator does not read (protobuf). */
  unsupportedBody: (contentType: string) =>
    new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got ${contentType}; this simulator reads no protobuf, which kubectl sends for built-in kinds in 'kubectl create namespace|configmap|secret': write the object as YAML and 'kubectl apply -f' it)`,
    ),
  unauthorized: () => new ApiError(401, 'Unauthorized', 'Unauthorized'),
  gone: (message: string) => new ApiError(410, 'Expired', message),
  tooManyRequests: (retryAfterSeconds: number) =>
    new ApiError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds }),
  internal: (message: string) => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`),
  unavailable: (message: string) => new ApiError(503, 'ServiceUnavailable', message),
  forbidden: (message: string) => new ApiError(403, 'Forbidden', message),
};
