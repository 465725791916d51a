/**
 * Validators built from the real CRDs of Nov 2023 in ../shared/fixtures/crds (not copied into the project):
 * each served version's openAPIV3Schema becomes an ajv schema. Tests use them to check that the simulator's
 * objects — seeded ones and those the simulated LM writes — are what the API server would accept.
 *
 * Limitations: Kubernetes extensions (`x-kubernetes-*`: CEL rules, int-or-string, preserve-unknown-fields)
 * are dropped, and unknown fields are allowed rather than pruned; `metadata` is only checked to be an object.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import YAML from 'yaml';

/** Validates one object; returns human-readable problems (empty when valid). */
export type ObjectValidator = (obj: unknown) => string[];

export const CRD_DIR = path.resolve(process.cwd(), '../shared/fixtures/crds');

interface Crd {
  kind: string;
  spec: {
    group: string;
    names: { kind: string };
    versions: Array<{ name: string; served: boolean; schema?: { openAPIV3Schema?: unknown } }>;
  };
}

/** Drops the `x-kubernetes-*` extensions, which ajv does not know. */
function toAjvSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toAjvSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('x-kubernetes-')) continue;
    out[k] = toAjvSchema(v);
  }
  return out;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A validator per `group/version/Kind` (e.g. `operator.kyma-project.io/v1beta2/Kyma`, i.e. `apiVersion/kind`)
 * for every served version of every CRD in the fixtures; null when the fixtures folder is absent.
 */
export function loadCrdValidators(dir = CRD_DIR): Map<string, ObjectValidator> | null {
  if (!existsSync(dir)) return null;
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  ajv.addFormat('date-time', RFC3339);
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  const validators = new Map<string, ObjectValidator>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml") || f.endsWith(".yml")).sort()) {
    for (const doc of YAML.parseAllDocuments(readFileSync(path.join(dir, file), 'utf8'))) {
      const crd = doc.toJS() as Crd | null;
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      for (const v of crd.spec.versions) {
        const schema = v.schema?.openAPIV3Schema;
        if (!v.served || !schema) continue;
        const validate = ajv.compile(toAjvSchema(schema) as object);
        validators.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, (obj) =>
          validate(obj) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`),
        );
      }
    }
  }
  return validators;
}
