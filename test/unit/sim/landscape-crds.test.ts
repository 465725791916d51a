import { expect, it } from '@jest/globals';
import { generateLandscape } from '../../../src/sim/landscape/generate.js';
import { gardenerObjects } from '../../../src/sim/landscape/gardener.js';
import { kcpObjects } from '../../../src/sim/landscape/kcp.js';
import type { SeedContext } from '../../../src/sim/landscape/seed.js';
import { skrObjects } from '../../../src/sim/landscape/skr.js';
import { ENVS, type K8sObject } from '../../../src/sim/types.js';
import { loadCrdValidators } from '../../helpers/crd-schemas.js';
import { describeWith, requireFixtures } from '../../helpers/needs.js';

const validators = loadCrdValidators();
// The CRDs live in ../shared/fixtures (never copied into the project): without them these tests fail under
// CI=true and skip visibly elsewhere (test/helpers/needs.ts).

const CHECKED_KINDS = new Set(['Kyma', 'ModuleTemplate', 'Manifest', 'Istio']);

describeWith(requireFixtures('crds'), 'src/sim/landscape objects against the CRDs of ../shared/fixtures/crds', () => {
  const ctx: SeedContext = { baseUrl: 'http://127.0.0.1:1', tokenFor: (id) => `t-${id}`, referenceTime: Date.UTC(2023, 10, 21) };
  const landscape = generateLandscape({ seed: 3, profile: 'scenarios', runtimes: 180 });
  const objects: K8sObject[] = [];
  for (const env of ENVS) objects.push(...kcpObjects(env, landscape.runtimes, ctx), ...gardenerObjects(env, landscape.runtimes, ctx));
  for (const rt of landscape.runtimes) objects.push(...skrObjects(rt, ctx));
  const checked = objects.filter((o) => CHECKED_KINDS.has(o.kind));

  it('has a validator for every served version, v1alpha2 Istio and v1beta2 Kyma included', () => {
    expect([...validators!.keys()]).toEqual(
      expect.arrayContaining(['operator.kyma-project.io/v1alpha2/Istio', 'operator.kyma-project.io/v1beta2/Kyma', 'operator.kyma-project.io/v1beta2/Manifest', 'operator.kyma-project.io/v1beta2/ModuleTemplate']),
    );
  });

  it('rejects an invalid object (the validators do check)', () => {
    const validate = validators!.get('operator.kyma-project.io/v1alpha2/Istio')!;
    const problems = validate({ apiVersion: 'operator.kyma-project.io/v1alpha2', kind: 'Istio', metadata: {}, status: { state: 'Fine' } });
    expect(problems.join('\n')).toMatch(/\/status\/state/);
  });

  it('seeds every kind it validates', () => {
    expect(new Set(checked.map((o) => o.kind))).toEqual(CHECKED_KINDS);
  });

  it('validates every seeded Kyma, ModuleTemplate, Manifest and Istio', () => {
    const problems: string[] = [];
    for (const o of checked) {
      const validate = validators!.get(`${o.apiVersion}/${o.kind}`);
      if (!validate) {
        problems.push(`${o.apiVersion}/${o.kind} ${o.metadata.namespace}/${o.metadata.name}: no CRD serves this version`);
        continue;
      }
      for (const p of validate(o)) problems.push(`${o.kind} ${o.metadata.namespace}/${o.metadata.name}: ${p}`);
    }
    expect(problems).toEqual([]);
  });
});
