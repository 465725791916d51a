import { describe, expect, it } from '@jest/globals';
import { classOf, exitCodeOf } from '../../../src/migration/outcomes.js';
import { C4_OUTCOMES } from '../../helpers/outcomes.js';
import { istioManifestName } from '../../../src/migration/resources.js';
import type { IstioCrInfo } from '../../../src/migration/result.js';
import { decide, type Evidence } from '../../../src/migration/wait.js';
import { istioPatch } from '../../../src/migration/kyma-checks.js';

const cr = (name: string, state: string | null, extra: Partial<IstioCrInfo> = {}): IstioCrInfo => ({
  name,
  namespace: 'kyma-system',
  createdAt: '2026-01-01T00:00:00Z',
  state,
  description: null,
  reason: null,
  ...extra,
});
const ev = (state: string | null, message: string | null = null): Evidence => ({ state, message });

describe('src/migration/wait decide', () => {
  it.each<[string, IstioCrInfo[], Evidence | undefined, string | undefined]>([
    ['nothing yet', [], undefined, undefined],
    ['default Ready before LM manages it proves nothing', [cr('default', 'Ready')], undefined, undefined],
    ['default Ready, Manifest Processing', [cr('default', 'Ready')], ev('Processing'), undefined],
    ['default Ready, Manifest absent', [cr('default', 'Ready')], ev(null), undefined],
    ['default Ready and Manifest Ready', [cr('default', 'Ready')], ev('Ready'), 'migrated'],
    ['Manifest Ready but default Processing', [cr('default', 'Processing')], ev('Ready'), undefined],
    ['≤ 1.3: newer default Error with two CRs', [cr('custom', 'Ready'), cr('default', 'Error')], ev('Error'), 'multiple-istio-crs'],
    ['≥ 1.4: newer default Warning with two CRs', [cr('custom', 'Ready'), cr('default', 'Warning')], ev('Warning'), 'multiple-istio-crs'],
    ['OlderCRExists alone', [cr('default', 'Warning', { reason: 'OlderCRExists' })], undefined, 'multiple-istio-crs'],
    ['the operator\'s description alone', [cr('default', 'Error', { description: 'Stopped Istio CR reconciliation: only Istio CR x in kyma-system reconciles the module' })], undefined, 'multiple-istio-crs'],
    ['single CR Error', [cr('default', 'Error', { description: 'install failed' })], ev('Error'), 'error/istio-error'],
    ['Manifest Error, CR Ready', [cr('default', 'Ready')], ev('Error', 'SSA conflict'), 'error/manifest-error'],
    ['two CRs both Ready', [cr('custom', 'Ready'), cr('default', 'Ready')], ev('Processing'), undefined],
    ['a newer customer CR beside the oldest default, Ready', [cr('default', 'Ready'), cr('extra', 'Warning', { reason: 'OlderCRExists', createdAt: '2026-02-01T00:00:00Z' })], ev('Ready'), 'migrated'],
    ['two customer CRs, no default yet, one in Warning', [cr('a', 'Ready'), cr('b', 'Warning', { reason: 'OlderCRExists' })], ev('Processing'), 'multiple-istio-crs'],
    // `default` in Error beside a newer customer CR (not reconciled, changes nothing): default's own error.
    ['default Error beside a newer customer CR, Manifest Ready (current LM)', [cr('default', 'Error', { description: 'istio install failed' }), cr('mine', 'Warning', { reason: 'OlderCRExists', createdAt: '2026-02-01T00:00:00Z' })], ev('Ready'), 'error/istio-error'],
    ['the same, the Manifest mirroring it (LM 2023)', [cr('default', 'Error', { description: 'istio install failed' }), cr('mine', 'Warning', { reason: 'OlderCRExists', createdAt: '2026-02-01T00:00:00Z' })], ev('Error', 'module CR state: Error'), 'error/istio-error'],
    // `default` in Warning for a cause of its own, beside a newer customer CR (OlderCRExists on that one): no conflict.
    ['default Warning for another cause, a newer customer CR beside it', [cr('default', 'Warning', { reason: 'IngressTargetingUserResourceFound' }), cr('mine', 'Warning', { reason: 'OlderCRExists', createdAt: '2026-02-01T00:00:00Z' })], ev('Processing'), undefined],
  ])('%s', (_name, crs, evidence, expected) => {
    const d = decide(crs, evidence);
    const got = d ? ('reason' in d ? `${d.outcome}/${d.reason}` : d.outcome) : undefined;
    expect(got).toBe(expected);
  });

  // States read before the patch and unchanged since (`stale`) prove nothing (DESIGN.md §4); the wait lets them count
  // after a grace period (then `stale` is empty).
  const STALE = new Set(['kyma-system/default', 'kyma-system/custom']);
  it.each<[string, IstioCrInfo[], Evidence | undefined, ReadonlySet<string>, string | undefined]>([
    ['default in Error before the patch, LM not there yet', [cr('default', 'Error', { description: 'transient' })], ev(null), STALE, undefined],
    ['default in Error before the patch, LM processing', [cr('default', 'Error')], ev('Processing'), STALE, undefined],
    ['default in Error before the patch, the Manifest mirroring it (LM 2023)', [cr('default', 'Error')], ev('Error', 'module CR state: Error'), STALE, undefined],
    ['default in Error again after the patch (or past the grace period)', [cr('default', 'Error')], ev(null), new Set<string>(), 'error/istio-error'],
    ['a Manifest Error beside a stale CR that is Ready: LM\'s own verdict', [cr('default', 'Ready')], ev('Error', 'SSA conflict'), STALE, 'error/manifest-error'],
    ['an older customer CR and default in Warning, both before the patch', [cr('custom', 'Ready', { createdAt: '2025-01-01T00:00:00Z' }), cr('default', 'Warning')], ev('Warning'), STALE, undefined],
    ['the same once default changed after the patch', [cr('custom', 'Ready', { createdAt: '2025-01-01T00:00:00Z' }), cr('default', 'Warning')], ev('Warning'), new Set(['kyma-system/custom']), 'multiple-istio-crs'],
    ['OlderCRExists on default read before the patch: ages do not change', [cr('default', 'Warning', { reason: 'OlderCRExists' })], ev(null), STALE, 'multiple-istio-crs'],
    ['default Ready before the patch and LM Ready: migrated (a Ready state is never trusted without LM anyway)', [cr('default', 'Ready')], ev('Ready'), STALE, 'migrated'],
  ])('%s', (_name, crs, evidence, stale, expected) => {
    const d = decide(crs, evidence, stale);
    const got = d ? ('reason' in d ? `${d.outcome}/${d.reason}` : d.outcome) : undefined;
    expect(got).toBe(expected);
  });
});

describe('src/migration/outcomes', () => {
  it('maps outcomes to the exit codes of C3 and the classes of C4', () => {
    // The outcomes of C4 as written in DESIGN.md (test/helpers/outcomes.ts), not the code's own list.
    const codes = Object.fromEntries(C4_OUTCOMES.map((o) => [o, exitCodeOf(o, null)]));
    expect(codes).toEqual({
      migrated: 0,
      'already-migrated': 0,
      'multiple-istio-crs': 1,
      'kyma-cr-missing': 1,
      'kyma-cr-ambiguous': 1,
      'module-template-missing': 1,
      timeout: 2,
      error: 1,
      skipped: 1,
    });
    expect(exitCodeOf('skipped', 'dry-run')).toBe(0);
    expect(classOf('multiple-istio-crs')).toBe('customer');
    expect(classOf('timeout')).toBe('platform');
    expect(classOf('skipped')).toBe('not-eligible');
    expect(classOf('already-migrated')).toBe('none');
  });

  it("names the Manifest by LM's FNV-1 rule", () => {
    expect(istioManifestName('e0a3b1c2-0000-4000-8000-000000000001')).toBe('e0a3b1c2-0000-4000-8000-000000000001-istio-4034478325');
  });
});

describe('src/migration/migrate-runtime istioPatch', () => {
  const kyma = (spec: Record<string, unknown>) => ({ metadata: { name: 'default' }, spec });
  it('initialises absent or null modules in one guarded patch', () => {
    expect(istioPatch(kyma({ channel: 'regular' }))).toEqual([
      { op: 'test', path: '/spec/modules', value: null },
      { op: 'add', path: '/spec/modules', value: [{ name: 'istio' }] },
    ]);
    expect(istioPatch(kyma({ modules: null }))[0]).toEqual({ op: 'test', path: '/spec/modules', value: null });
  });
  it('appends to existing modules after testing they are unchanged', () => {
    expect(istioPatch(kyma({ modules: [{ name: 'keda' }] }))).toEqual([
      { op: 'test', path: '/spec/modules', value: [{ name: 'keda' }] },
      { op: 'add', path: '/spec/modules/-', value: { name: 'istio' } },
    ]);
  });
});
