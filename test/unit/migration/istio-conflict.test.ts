import { describe, expect, it } from '@jest/globals';
import { describeIstioConflict } from '../../../src/migration/istio-conflict.js';

describe('src/migration/istio-conflict describeIstioConflict', () => {
  const at = (d: number) => `2026-0${d}-01T00:00:00Z`;
  it.each<[string, { name: string; createdAt: string; state: string }[], string]>([
    ['one customer CR', [{ name: 'mine', createdAt: at(1), state: 'Ready' }], 'a customer Istio CR `mine` exists; migrating would add `default`'],
    ['a customer CR older than default', [{ name: 'mine', createdAt: at(1), state: 'Ready' }, { name: 'default', createdAt: at(2), state: 'Warning' }], 'only the oldest, `mine`, reconciles'],
    // The reviewer's case: the text said default could not take over, which was false.
    ['default older than the customer CR', [{ name: 'default', createdAt: at(1), state: 'Ready' }, { name: 'extra', createdAt: at(2), state: 'Warning' }], '`default` is the oldest of 2 Istio CRs and the one that reconciles'],
    ['only default', [{ name: 'default', createdAt: at(1), state: 'Ready' }], 'only the Istio CR `default` exists'],
  ])('%s', (_what, crs, expected) => {
    expect(describeIstioConflict(crs)).toContain(expected);
  });
});
