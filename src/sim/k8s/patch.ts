/**
 * Patches as kube-apiserver applies them.
 *
 * JSON patch (RFC 6902) comes from fast-json-patch, adjusted where the API server (which uses
 * evanphx/json-patch) differs: a `test` of `null` succeeds when the key is absent (or null) as long as its
 * parent exists, and every failure to apply answers 422. Merge patch (RFC 7386) comes from json-merge-patch;
 * strategic merge patch is served as a merge patch (lists are replaced, not merged by key — enough for the
 * scripts' `kubectl scale`/`apply` of simple objects; stated here because it is a limit).
 */
import jsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import mergePatch from 'json-merge-patch';
import { errors } from './errors.js';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const ct = (contentType ?? '').split(';')[0].trim().toLowerCase();
  switch (ct) {
    case 'application/json-patch+json':
      return 'json';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+cbor':
      return 'apply';
    default:
      return undefined;
  }
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** Splits an RFC 6901 pointer into unescaped tokens. */
function tokens(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function lookup(doc: unknown, toks: string[]): { found: boolean; value: unknown } {
  let cur: unknown = doc;
  for (const t of toks) {
    if (cur === null || typeof cur !== 'object') return { found: false, value: undefined };
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(t) || Number(t) >= cur.length) return { found: false, value: undefined };
      cur = cur[Number(t)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, t)) return { found: false, value: undefined };
      cur = (cur as Record<string, unknown>)[t];
    }
  }
  return { found: true, value: cur };
}

function describeFailure(op: Operation, name: string): string {
  switch (name) {
    case 'TEST_OPERATION_FAILED':
      return `testing value ${op.path} failed: test failed`;
    case 'OPERATION_PATH_UNRESOLVABLE':
    case 'OPERATION_PATH_CANNOT_ADD':
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
      return `${op.op} operation does not apply: doc is missing path: "${op.path}": missing value`;
    case 'OPERATION_FROM_UNRESOLVABLE':
      return `${op.op} operation does not apply: doc is missing from path: "${(op as { from?: string }).from ?? ''}": missing value`;
    default:
      return `${op.op} operation is invalid: ${name}`;
  }
}

/**
 * Applies a JSON patch body (already parsed) to a copy of `doc`. Throws a 422 ApiError when an operation does
 * not apply and a 400 when the body is not a patch document.
 */
export function applyJsonPatch<T>(doc: T, body: unknown): T {
  if (!Array.isArray(body)) throw errors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let cur: unknown = structuredClone(doc);
  for (const raw of body) {
    if (raw === null || typeof raw !== 'object') throw errors.badRequest('json: cannot unmarshal into Go value of type jsonpatch.Operation');
    const op = raw as Operation & { value?: unknown };
    if (typeof op.op !== 'string' || !OPS.has(op.op)) throw errors.unprocessablePatch(`Unexpected kind: ${String(op.op)}`);
    if (typeof op.path !== 'string' || (op.path !== '' && !op.path.startsWith('/'))) {
      throw errors.unprocessablePatch(`${op.op} operation does not apply: invalid path: "${String(op.path)}"`);
    }
    // evanphx: `test` with a null value passes when the key is absent or null and its parent exists.
    if (op.op === 'test' && (op.value === null || op.value === undefined)) {
      const toks = tokens(op.path);
      const parent = lookup(cur, toks.slice(0, -1));
      if (!parent.found || parent.value === null || typeof parent.value !== 'object') {
        throw errors.unprocessablePatch(`test operation does not apply: is missing path: ${op.path}`);
      }
      const target = lookup(cur, toks);
      if (target.found && target.value !== null) throw errors.unprocessablePatch(describeFailure(op, 'TEST_OPERATION_FAILED'));
      continue;
    }
    try {
      cur = jsonPatch.applyOperation(cur, op, true, true, false).newDocument;
    } catch (e) {
      const name = (e as { name?: string }).name ?? 'error';
      throw errors.unprocessablePatch(describeFailure(op, name));
    }
  }
  return cur as T;
}

/** RFC 7386 merge patch onto a copy of `doc`. */
export function applyMergePatch<T>(doc: T, body: unknown): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw errors.badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
  }
  return mergePatch.apply(structuredClone(doc), body) as T;
}
