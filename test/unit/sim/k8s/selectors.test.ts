import { describe, expect, it } from '@jest/globals';
import { ApiError } from '../../../../src/sim/k8s/errors.js';
import { parseFieldSelector, parseLabelSelector } from '../../../../src/sim/k8s/selectors.js';
import type { K8sObject } from '../../../../src/sim/types.js';

const obj = (name: string, namespace: string, labels: Record<string, string> = {}): K8sObject => ({ apiVersion: 'v1', kind: 'X', metadata: { name, namespace, labels } });
const a = obj('default', 'kyma-system', { app: 'istio', tier: 'control', 'operator.kyma-project.io/kyma-name': 'r1' });
const b = obj('custom', 'kyma-system', { app: 'keda' });
const c = obj('other', 'default', {});

describe('src/sim/k8s/selectors', () => {
  it.each([
    ['', [true, true, true]],
    ['app=istio', [true, false, false]],
    ['app==istio', [true, false, false]],
    ['app!=istio', [false, true, true]],
    ['app', [true, true, false]],
    ['!app', [false, false, true]],
    ['app in (istio, keda)', [true, true, false]],
    ['app notin (istio)', [false, true, true]],
    ['app=istio,tier=control', [true, false, false]],
    ['app in (istio,keda),!tier', [false, true, false]],
    ['operator.kyma-project.io/kyma-name=r1', [true, false, false]],
  ])('label selector %j', (sel, expected) => {
    const m = parseLabelSelector(sel);
    expect([a, b, c].map(m)).toEqual(expected);
  });

  it.each([['=x'], ['app in ()'], ['a b c'], ['app=in valid'], ['-bad=1'], [',']])('rejects label selector %j with 400', (sel) => {
    let err: unknown;
    try {
      parseLabelSelector(sel);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(400);
  });

  it.each([
    ['metadata.name=default', [true, false, false]],
    ['metadata.name==default', [true, false, false]],
    ['metadata.name!=default', [false, true, true]],
    ['metadata.namespace=kyma-system,metadata.name!=default', [false, true, false]],
  ])('field selector %j', (sel, expected) => {
    expect([a, b, c].map(parseFieldSelector(sel))).toEqual(expected);
  });

  it.each([['spec.x=1', 'field label not supported: spec.x'], ['metadata.name', "can't understand"]])('rejects field selector %j', (sel, msg) => {
    expect(() => parseFieldSelector(sel)).toThrow(msg);
  });
});
