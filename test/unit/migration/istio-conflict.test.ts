import { describe, expect, it } from '@jest/globals';
import { describeIstioConflict } from '../../../src/migration/istio-conflict.js';

describe('src/migration/istio-conflict describeIstioConflict', () => {
  const at = (d: number) => `2026-0${d}-01T00:00:00Z`;
  it.each<[string, { name: string; namespace?: string; createdAt: string; state: string }[], string]>([
    // The operator reads kyma-system only: an older CR elsewhere is not the one that reconciles, and is not counted.
    ['a customer CR in kyma-system and an older one elsewhere', [{ name: 'customer', createdAt: at(2), state: 'Ready' }, { name: 'aaa-old', namespace: 'team-a', createdAt: at(1), state: 'Error' }], 'a customer Istio CR `customer` exists; migrating would add `default`, which would not reconcile while the older customer CR exists (outside kyma-system, never reconciled: `team-a/aaa-old`)'],
    ['two in kyma-system, one elsewhere', [{ name: 'alpha', namespace: 'kyma-system', createdAt: at(1), state: 'Ready' }, { name: 'beta', createdAt: at(2), state: 'Warning' }, { name: 'gamma', namespace: 'istio-system', createdAt: at(1), state: 'Error' }], '2 Istio CRs exist (`alpha`, `beta`): only the oldest, `alpha`, reconciles'],
    ['one customer CR', [{ name: 'mine', createdAt: at(1), state: 'Ready' }], 'a customer Istio CR `mine` exists; migrating would add `default`'],
    ['a customer CR older than default', [{ name: 'mine', createdAt: at(1), state: 'Ready' }, { name: 'default', createdAt: at(2), state: 'Warning' }], 'only the oldest, `mine`, reconciles'],
    // The reviewer's case: the text said default could not take over, which was false.
    ['default older than the customer CR', [{ name: 'default', createdAt: at(1), state: 'Ready' }, { name: 'extra', createdAt: at(2), state: 'Warning' }], '`default` is the oldest of 2 Istio CRs and the one that reconciles'],
    ['only default', [{ name: 'default', createdAt: at(1), state: 'Ready' }], 'only the Istio CR `default` exists'],
  ])('%s', (_what, crs, expected) => {
    expect(describeIstioConflict(crs)).toContain(expected);
  });
});
