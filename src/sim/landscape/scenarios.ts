/**
 * What each scenario (DESIGN.md C2) starts with, and the ages of a runtime's seeded objects.
 */
import { stableHash } from './random.js';
import type { Env, RuntimeSpec, Scenario } from '../types.js';

/** Which Istio CR a scenario starts with. */
export type IstioCrShape =
  /** None at all. */
  | 'none'
  /** `default` created by the old reconciler (no LM ownership yet). */
  | 'reconciler-default'
  /** A customer's CR with another name, created long ago. */
  | 'customer'
  /** `default` managed by LM (the module is in `spec.modules`). */
  | 'lm-default';

export interface SkrShape {
  /** The SKR has the Kyma `default` in kyma-system. */
  kyma: boolean;
  /** A second Kyma next to `default`. */
  secondKyma: boolean;
  /** The KCP Kyma labelled `operator.kyma-project.io/skip-reconciliation: "true"` (the SKR copy never is). */
  skipReconciliation: boolean;
  /** The synced catalog holds `istio-fast` and `istio-regular`. */
  istioTemplates: boolean;
  /** The synced catalog holds `keda-fast` and `keda-regular`. */
  kedaTemplates: boolean;
  /** `spec.modules` of the SKR Kyma; undefined = absent. */
  modules: ReadonlyArray<'istio' | 'keda'> | undefined;
  istioCr: IstioCrShape;
}

const FRESH: SkrShape = { kyma: true, secondKyma: false, skipReconciliation: false, istioTemplates: true, kedaTemplates: false, modules: undefined, istioCr: 'none' };
const EXISTING: SkrShape = { ...FRESH, istioCr: 'reconciler-default' };

/**
 * The starting SKR of each scenario. The access scenarios (`skr-no-secret`, `skr-down`) and the KEB-state ones
 * (`suspended`, `deprovisioning`) look like `existing-default` on the SKR: their difference is KCP, KEB or
 * the server. The operator Deployment runs wherever an Istio CR exists.
 */
export const SCENARIO_SHAPES = {
  fresh: FRESH,
  'with-keda': { ...FRESH, kedaTemplates: true, modules: ['keda'] },
  'existing-default': EXISTING,
  'custom-cr-legacy': { ...FRESH, istioCr: 'customer' },
  'custom-cr': { ...FRESH, istioCr: 'customer' },
  'already-migrated': { ...FRESH, modules: ['istio'], istioCr: 'lm-default' },
  'no-template': { ...FRESH, istioTemplates: false, kedaTemplates: true },
  'no-kyma': { ...FRESH, kyma: false },
  'two-kymas': { ...FRESH, secondKyma: true },
  slow: EXISTING,
  'istio-error': FRESH,
  'manifest-error': EXISTING,
  'skip-reconciliation': { ...FRESH, skipReconciliation: true },
  'skr-no-secret': EXISTING,
  'skr-down': EXISTING,
  suspended: EXISTING,
  deprovisioning: EXISTING,
  flaky: EXISTING,
} as const satisfies Record<Scenario, SkrShape>;

/**
 * Whether KCP holds a `kubeconfig-<runtimeId>` secret (and the simulator writes a kubeconfig file).
 * Suspension deprovisions the cluster, so a suspended runtime has none either.
 */
export function hasKubeconfig(rt: Pick<RuntimeSpec, 'scenario'>): boolean {
  return rt.scenario !== 'skr-no-secret' && rt.scenario !== 'suspended';
}

/** Whether KCP holds the runtime's Kyma: KEB deletes it when it suspends a runtime. */
export function hasKcpKyma(rt: Pick<RuntimeSpec, 'scenario'>): boolean {
  return rt.scenario !== 'suspended';
}

// Ages (seconds before the reference time) of the objects of one runtime. Distinct offsets keep timestamps
// apart; everything an SRE-facing step or LM creates later is newer than all of them.

/** KCP ModuleTemplates were applied shortly before each environment's rollout step. */
export const KCP_ISTIO_TEMPLATE_AGE: Record<Env, number> = { dev: 21 * 86_400, stage: 9 * 86_400, prod: 4 * 86_400 };
export const KCP_KEDA_TEMPLATE_AGE = 75 * 86_400;

export function ages(rt: RuntimeSpec) {
  const a = rt.ageSeconds;
  const h = stableHash(rt.runtimeId);
  const operator = a - 900 - (h % 300);
  const istioTemplates = Math.min(a - 480, KCP_ISTIO_TEMPLATE_AGE[rt.env] - 30 - (h % 60));
  return {
    shoot: a + 600,
    namespace: a,
    kymaSystem: a - 240,
    secret: a - 200,
    kcpKyma: a - 300,
    skrKyma: a - 420,
    istioTemplates,
    kedaTemplates: Math.min(a - 500, KCP_KEDA_TEMPLATE_AGE - 30 - (h % 60)),
    operator,
    reconcilerIstio: operator - 45,
    /** Customer CRs: well after the operator came, at least two hours before the reference time. */
    customerIstio: Math.max(7200, Math.floor(operator * 0.6)),
    kedaModule: Math.max(3 * 3600, Math.floor(a * 0.5)),
    /** `already-migrated`: the module was added after the templates came, at least an hour ago. */
    istioModule: Math.max(3600 + 17, Math.min(a - 1200, istioTemplates - 3600)),
    secondKyma: Math.max(5400, Math.floor(a * 0.3)),
    /** LM's last reconcile of the Kyma: recent. */
    lastSync: 20 + (h % 240),
  };
}

