/**
 * The structural schemas the simulated API server validates client writes against and publishes for kubectl
 * (OpenAPI v3 per group version, v2 for `kubectl apply` of a `kind: List`). Written for the simulator, as small
 * as the clients need: where a real CRD declares more than the scripts and the bot touch, a node here keeps
 * unknown fields (`x-kubernetes-preserve-unknown-fields`) instead. Every type, `required` list and `enum` that
 * is declared agrees with the CRDs of Nov 2023 (test/contract/kubernetes-api.test.ts compares them with
 * ../shared/fixtures/crds). Built-in kinds get just what is used (Deployment `spec.replicas`, Secret/ConfigMap
 * `data`).
 *
 * Validation follows apiextensions-apiserver: nulls in fields that are not `nullable` are pruned first; unknown
 * fields outside preserve-unknown nodes are pruned (or refused with `fieldValidation=Strict`); then types,
 * `required` and `enum` are checked, each failure a cause with the field path (`spec.modules[0].name`).
 * Limitations: no defaults (`customResourcePolicy: CreateAndDelete` is not filled in), no pattern/length/CEL rules.
 */
import type { ResourceType } from './resources.js';

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema;
  required?: string[];
  enum?: unknown[];
  nullable?: boolean;
  format?: string;
  'x-kubernetes-preserve-unknown-fields'?: true;
}

const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
const int: Schema = { type: 'integer' };
const anyObject: Schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

/** `spec` and `status` (and other top-level fields) per kind; apiVersion, kind and metadata are added for all. */
const BODIES: Record<string, Record<string, Schema>> = {
  // operator.kyma-project.io_kymas.yaml (v1beta2)
  Kyma: {
    spec: {
      type: 'object',
      required: ['channel'],
      properties: {
        channel: str,
        modules: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name'],
            properties: { name: str, channel: str, controller: str, customResourcePolicy: { type: 'string', enum: ['CreateAndDelete', 'Ignore'] }, remoteModuleTemplateRef: str },
          },
        },
      },
    },
    status: anyObject,
  },
  // operator.kyma-project.io_moduletemplates.yaml (v1beta2)
  ModuleTemplate: {
    spec: {
      type: 'object',
      required: ['channel', 'descriptor'],
      properties: {
        channel: str,
        data: anyObject,
        descriptor: anyObject,
        customStateCheck: {
          type: 'array',
          items: {
            type: 'object',
            required: ['jsonPath', 'mappedState', 'value'],
            properties: { jsonPath: str, mappedState: { type: 'string', enum: ['Processing', 'Deleting', 'Ready', 'Error', '', 'Warning'] }, value: str },
          },
        },
      },
    },
  },
  // operator.kyma-project.io_manifests.yaml (v1beta2)
  Manifest: {
    spec: {
      type: 'object',
      required: ['install', 'remote'],
      properties: {
        install: { type: 'object', required: ['name', 'source'], properties: { name: str, source: anyObject } },
        remote: bool,
        resource: anyObject,
        config: anyObject,
      },
    },
    status: anyObject,
  },
  // operator.kyma-project.io_istios.yaml (v1alpha1 and v1alpha2 alike)
  Istio: {
    spec: {
      type: 'object',
      properties: {
        config: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { numTrustedProxies: int } },
        components: anyObject,
      },
    },
    status: { type: 'object', required: ['state'], 'x-kubernetes-preserve-unknown-fields': true, properties: { state: str } },
  },
  Shoot: { spec: anyObject, status: anyObject },
  Namespace: { spec: anyObject, status: anyObject },
  Secret: { type: str, data: { type: 'object', additionalProperties: { type: 'string', format: 'byte' } }, stringData: { type: 'object', additionalProperties: str }, immutable: bool },
  ConfigMap: { data: { type: 'object', additionalProperties: str }, binaryData: { type: 'object', additionalProperties: { type: 'string', format: 'byte' } }, immutable: bool },
  Deployment: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { replicas: int } }, status: anyObject },
};

/** The schema of a whole object of this type (every served version shares it). */
export function schemaOf(t: Pick<ResourceType, 'kind'>): Schema {
  return {
    type: 'object',
    properties: { apiVersion: str, kind: str, metadata: { type: 'object' }, ...(BODIES[t.kind] ?? { spec: anyObject, status: anyObject }) },
  };
}

export interface SchemaCause {
  field: string;
  message: string;
  reason: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueTypeInvalid';
}

const fieldPath = (parent: string, key: string) => (parent ? `${parent}.${key}` : key);

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/**
 * Prunes in place: nulls in non-nullable fields and fields the schema does not know (outside preserve-unknown
 * nodes); `metadata` is left to the caller. Returns the pruned unknown fields' paths (`spec.foo`).
 */
export function prune(schema: Schema, value: unknown, path = ''): string[] {
  const unknown: string[] = [];
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => unknown.push(...prune(schema.items!, v, `${path}[${i}]`)));
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return unknown;
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!path && key === 'metadata') continue;
    const sub = schema.properties?.[key] ?? schema.additionalProperties;
    if (!sub) {
      if (!schema['x-kubernetes-preserve-unknown-fields']) {
        delete obj[key];
        unknown.push(fieldPath(path, key));
      }
      continue;
    }
    if (obj[key] === null && !sub.nullable) {
      delete obj[key];
      continue;
    }
    unknown.push(...prune(sub, obj[key], fieldPath(path, key)));
  }
  return unknown;
}

/** Type, `required` and `enum` failures of a (pruned) value, with apiextensions' field paths and messages. */
export function validate(schema: Schema, value: unknown, path = ''): SchemaCause[] {
  const causes: SchemaCause[] = [];
  const got = jsonType(value);
  if (schema.type && !(got === schema.type || (schema.type === 'number' && got === 'integer')) && !(value === null && schema.nullable)) {
    causes.push({ field: path, reason: 'FieldValueTypeInvalid', message: `Invalid value: "${got}": ${path} in body must be of type ${schema.type}: "${got}"` });
    return causes;
  }
  if (schema.enum && !schema.enum.some((e) => e === value)) {
    causes.push({ field: path, reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}` });
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => causes.push(...validate(schema.items!, v, `${path}[${i}]`)));
  if (got === 'object') {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (obj[r] === undefined) causes.push({ field: fieldPath(path, r), reason: 'FieldValueRequired', message: 'Required value' });
    for (const [key, v] of Object.entries(obj)) {
      if (!path && key === 'metadata') continue;
      const sub = schema.properties?.[key] ?? schema.additionalProperties;
      if (sub) causes.push(...validate(sub, v, fieldPath(path, key)));
    }
  }
  return causes;
}
