import { describe, expect, it } from '@jest/globals';
import { ApiError } from '../../../../src/sim/k8s/errors.js';
import { applyJsonPatch, applyMergePatch, patchTypeOf } from '../../../../src/sim/k8s/patch.js';

function code(f: () => unknown): number | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof ApiError ? e.code : -1;
  }
}

describe('src/sim/k8s/patch', () => {
  const kyma = { spec: { channel: 'regular' } };

  it('appends a module after a passing test of an absent path against null (evanphx semantics)', () => {
    const out = applyJsonPatch(kyma, [
      { op: 'test', path: '/spec/modules', value: null },
      { op: 'add', path: '/spec/modules', value: [] },
      { op: 'add', path: '/spec/modules/-', value: { name: 'istio' } },
    ]);
    expect(out).toEqual({ spec: { channel: 'regular', modules: [{ name: 'istio' }] } });
    expect(kyma).toEqual({ spec: { channel: 'regular' } }); // the input is not mutated
  });

  it('passes a null test when the key holds null', () => {
    expect(applyJsonPatch({ spec: { modules: null } }, [{ op: 'test', path: '/spec/modules', value: null }])).toEqual({ spec: { modules: null } });
  });

  it.each([
    ['a failed test', { spec: { modules: [{ name: 'keda' }] } }, [{ op: 'test', path: '/spec/modules', value: [] }]],
    ['a null test of a present value', { spec: { modules: [] } }, [{ op: 'test', path: '/spec/modules', value: null }]],
    ['a null test whose parent is missing', {}, [{ op: 'test', path: '/spec/modules', value: null }]],
    ['add below a missing parent', { spec: {} }, [{ op: 'add', path: '/spec/modules/-', value: { name: 'istio' } }]],
    ['remove of a missing path', { spec: {} }, [{ op: 'remove', path: '/spec/x' }]],
    ['replace of a missing path', { spec: {} }, [{ op: 'replace', path: '/spec/x', value: 1 }]],
    ['an unknown op', { spec: {} }, [{ op: 'bogus', path: '/spec/x', value: 1 }]],
    ['a path without a slash', { spec: {} }, [{ op: 'add', path: 'spec', value: 1 }]],
    ['an index out of bounds', { a: [1] }, [{ op: 'add', path: '/a/5', value: 1 }]],
  ])('answers 422 for %s', (_name, doc, ops) => {
    expect(code(() => applyJsonPatch(doc, ops))).toBe(422);
  });

  it.each([
    ['an object body', { op: 'add' }],
    ['a string body', 'nope'],
    ['an array of non-objects', [1, 2]],
  ])('answers 400 for %s', (_n, body) => {
    expect(code(() => applyJsonPatch({}, body))).toBe(400);
  });

  it('applies the whole patch or nothing', () => {
    const doc = { spec: { modules: [{ name: 'keda' }] } };
    expect(code(() => applyJsonPatch(doc, [{ op: 'add', path: '/spec/modules/-', value: { name: 'istio' } }, { op: 'test', path: '/spec/x', value: 1 }]))).toBe(422);
    expect(doc.spec.modules).toEqual([{ name: 'keda' }]);
  });

  it('merge-patches per RFC 7386: null deletes, arrays are replaced', () => {
    expect(applyMergePatch({ a: { b: 1, c: 2 }, l: [1] }, { a: { b: null }, l: [3] })).toEqual({ a: { c: 2 }, l: [3] });
    expect(code(() => applyMergePatch({}, [1]))).toBe(400);
  });

  it.each([
    ['application/json-patch+json', 'json'],
    ['application/merge-patch+json; charset=utf-8', 'merge'],
    ['application/strategic-merge-patch+json', 'strategic'],
    ['application/apply-patch+yaml', 'apply'],
    ['text/plain', undefined],
    [undefined, undefined],
  ])('maps content type %s to %s', (ct, t) => {
    expect(patchTypeOf(ct)).toBe(t);
  });
});
