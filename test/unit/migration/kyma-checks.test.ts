/** The Kyma checks before a patch (src/migration/kyma-checks.ts) that need no cluster. */
import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../../src/clients/kube-client.js';
import { beingDeleted, istioEntry, istioReferences, ownerMismatch } from '../../../src/migration/kyma-checks.js';
import { resolveIstioTemplates } from '../../../src/migration/module-templates.js';

const A = '5a7f0c2e-1b3d-4e5f-8a9b-0c1d2e3f4a5b';
const B = '9d8c7b6a-5f4e-4d3c-9b2a-1f0e9d8c7b6a';
const kyma = (metadata: Partial<KubeObject['metadata']>, spec: Record<string, unknown> = {}, status?: Record<string, unknown>): KubeObject => ({ metadata: { name: 'default', namespace: 'kyma-system', ...metadata }, spec, ...(status ? { status } : {}) });

describe('src/migration/kyma-checks', () => {
  describe('ownerMismatch (without KCP access)', () => {
    it("names the other runtime when LM's owned-by annotation names another runtime id", async () => {
      const m = await ownerMismatch(kyma({ annotations: { 'operator.kyma-project.io/owned-by': `kcp-system/${B}` } }), A, undefined);
      expect(m).toContain(`belongs to the KCP Kyma kcp-system/${B}, not to runtime ${A}`);
      expect(m).toContain('--runtime-id');
    });
    it('falls back to the kyma-name label, and ignores the case of the id', async () => {
      expect(await ownerMismatch(kyma({ labels: { 'operator.kyma-project.io/kyma-name': B } }), A, undefined)).not.toBeNull();
      expect(await ownerMismatch(kyma({ annotations: { 'operator.kyma-project.io/owned-by': `kcp-system/${A}` } }), A.toUpperCase(), undefined)).toBeNull();
    });
    it('cannot tell an older instance named after its shoot from another runtime without KCP: no refusal', async () => {
      expect(await ownerMismatch(kyma({ annotations: { 'operator.kyma-project.io/owned-by': 'kcp-system/c-4f2a9b1' } }), A, undefined)).toBeNull();
    });
    it('no owner, or no runtime id: nothing to compare', async () => {
      expect(await ownerMismatch(kyma({}), A, undefined)).toBeNull();
      expect(await ownerMismatch(kyma({ labels: { 'operator.kyma-project.io/kyma-name': B } }), null, undefined)).toBeNull();
    });
  });

  it('beingDeleted: a deletionTimestamp or LM\'s state Deleting', () => {
    expect(beingDeleted(kyma({ deletionTimestamp: '2024-02-01T10:00:00Z' }))).toBe('deletionTimestamp 2024-02-01T10:00:00Z');
    expect(beingDeleted(kyma({}, {}, { state: 'Deleting' }))).toBe('state Deleting');
    expect(beingDeleted(kyma({}, {}, { state: 'Ready' }))).toBeNull();
    expect(beingDeleted(undefined)).toBeNull();
  });

  it('istioEntry: istio by name, FQDN, template name or namespace/name; not another module', () => {
    const templates = [{ metadata: { name: 'istio-regular', namespace: 'kyma-system' } }, { metadata: { name: 'istio-fast', namespace: 'kyma-system' } }];
    const refs = istioReferences(templates);
    for (const name of ['istio', 'kyma-project.io/module/istio', 'istio-fast', 'kyma-system/istio-regular', 'kcp-system/istio-regular']) {
      expect(istioEntry(kyma({}, { modules: [{ name: 'keda' }, { name }] }), refs)).toEqual({ name });
    }
    expect(istioEntry(kyma({}, { modules: [{ name: 'keda' }, { name: 'istio-ingress' }] }), refs)).toBeUndefined();
    expect(istioEntry(kyma({}, { modules: null }), refs)).toBeUndefined();
    expect(istioEntry(kyma({}, {}), refs)).toBeUndefined();
  });
});

describe('src/migration/module-templates: the default CR a template would make LM create', () => {
  const template = (name: string, data: Record<string, unknown>) => ({ metadata: { name, namespace: 'kcp-system' }, spec: { channel: 'regular', data: { apiVersion: 'operator.kyma-project.io/v1alpha2', kind: 'Istio', ...data } } });
  it('resolves a template whose CR is kyma-system/default; names one whose CR is anything else as a problem', () => {
    const ok = resolveIstioTemplates([template('istio-regular', { metadata: { name: 'default', namespace: 'kyma-system' } })], undefined, ['regular'], 'kcp-system');
    expect(ok).toMatchObject({ templates: [{ channel: 'regular', name: 'istio-regular' }], problems: [] });
    const other = resolveIstioTemplates([template('istio-regular', { metadata: { name: 'istio', namespace: 'kyma-system' } })], undefined, ['regular'], 'kcp-system');
    expect(other.templates).toEqual([]);
    expect(other.problems).toEqual(['ModuleTemplate kcp-system/istio-regular has the default Istio CR kyma-system/istio, not kyma-system/default: LM would create a second Istio CR']);
    expect(resolveIstioTemplates([template('istio-regular', {})], undefined, ['regular'], 'kcp-system').problems[0]).toContain('(no namespace)/(no name)');
  });
});
