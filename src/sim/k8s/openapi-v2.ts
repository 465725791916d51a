/**
 * `/openapi/v2` as kubectl reads it: a protobuf `openapi_v2.Document` (google/gnostic-models
 * openapiv2/OpenAPIv2.proto; Accept `application/com.github.proto-openapi.spec.v2@v1.0+protobuf`, client-go
 * discovery `OpenAPISchema`). kubectl needs it for `apply -f -` of a `kind: List` (what `kubectl get … -o json`
 * prints): its field-validation check treats v1/List as never supported server-side (kubectl
 * `QueryParamVerifierV3.HasSupport`), so it validates the List client-side with the v2 models
 * (kube-openapi pkg/util/proto `NewOpenAPIData`): each item by the model whose `x-kubernetes-group-version-kind`
 * names its kind; kinds without a model are not checked. A 404 there fails the apply ("the server could not find
 * the requested resource").
 *
 * The definitions come from schemas.ts. As the API server publishes CRD schemas in v2, a node that keeps unknown
 * fields is published without type and properties (kube-openapi parses it as Arbitrary and accepts anything),
 * and so is `metadata`.
 */
import { RESOURCE_TYPES, type ResourceType } from './resources.js';
import { schemaOf, type Schema } from './schemas.js';
import { VERSION_INFO } from './discovery.js';

/** The type kube-openapi answers with (pkg/handler/handler.go `subTypeProtobuf`; clients still ask with the deprecated `…v2@v1.0+protobuf`). */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

// A few protobuf wire-format helpers (varints and length-delimited fields are all this document needs).
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const bytesField = (field: number, bytes: Uint8Array | number[]): number[] => [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes];
const stringField = (field: number, s: string): number[] => bytesField(field, Buffer.from(s, 'utf8'));

/** gnostic `Any{yaml = 2}`: a vendor extension or enum value as YAML (JSON is YAML). */
const any = (v: unknown): number[] => stringField(2, JSON.stringify(v));
/** gnostic `NamedAny{name = 1, value = 2}`. */
const namedAny = (name: string, v: unknown): number[] => [...stringField(1, name), ...bytesField(2, any(v))];

/** gnostic `Schema`: _ref 1, required 19, enum 20, additional_properties 21, type 22, items 23, properties 25, vendor_extension 31. */
function schemaMessage(s: Schema, extensions: Record<string, unknown> = {}): number[] {
  const out: number[] = [];
  const arbitrary = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (!arbitrary) {
    if (s.format) out.push(...stringField(2, s.format));
    for (const r of s.required ?? []) out.push(...stringField(19, r));
    for (const e of s.enum ?? []) out.push(...bytesField(20, any(e)));
    if (s.additionalProperties) out.push(...bytesField(21, bytesField(1, schemaMessage(s.additionalProperties))));
    if (s.type) out.push(...bytesField(22, stringField(1, s.type)));
    if (s.items) out.push(...bytesField(23, bytesField(1, schemaMessage(s.items))));
    if (s.properties) {
      const props: number[] = [];
      for (const [name, sub] of Object.entries(s.properties)) {
        // metadata is published as Arbitrary here (the real server refers to ObjectMeta).
        const msg = name === 'metadata' && Object.keys(extensions).length ? [] : schemaMessage(sub);
        props.push(...bytesField(1, [...stringField(1, name), ...bytesField(2, msg)]));
      }
      out.push(...bytesField(25, props));
    }
  }
  for (const [k, v] of Object.entries(extensions)) out.push(...bytesField(31, namedAny(k, v)));
  return out;
}

/** The model name the API server gives a kind (`com.kyma-project.operator.v1alpha2.Istio`, `io.k8s.api.apps.v1.Deployment`). */
export function modelName(group: string, version: string, kind: string): string {
  if (!group) return `io.k8s.api.core.${version}.${kind}`;
  if (!group.includes('.')) return `io.k8s.api.${group}.${version}.${kind}`;
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

const cached = new Map<string, Buffer>();

/**
 * The whole document (every served kind of every version), encoded once per set of served kinds. `serves` leaves
 * out the types a cluster does not serve (a 2023 KCP generation has no ModuleReleaseMeta CRD, so no model of it).
 */
export function openApiV2Protobuf(serves: (t: ResourceType) => boolean = () => true): Buffer {
  const key = RESOURCE_TYPES.filter((t) => !serves(t)).map((t) => `${t.group}/${t.plural}`).join(',');
  const hit = cached.get(key);
  if (hit) return hit;
  const defs: number[] = [];
  for (const t of RESOURCE_TYPES.filter(serves)) {
    for (const version of t.versions) {
      const gvk = [{ group: t.group, version, kind: t.kind }];
      const named = [...stringField(1, modelName(t.group, version, t.kind)), ...bytesField(2, schemaMessage(schemaOf(t), { 'x-kubernetes-group-version-kind': gvk }))];
      defs.push(...bytesField(1, named));
    }
  }
  const doc = [
    ...stringField(1, '2.0'),
    ...bytesField(2, [...stringField(1, 'Kubernetes'), ...stringField(2, VERSION_INFO.gitVersion)]),
    ...bytesField(8, []),
    ...bytesField(9, defs),
  ];
  const buf = Buffer.from(doc);
  cached.set(key, buf);
  return buf;
}
