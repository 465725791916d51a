/**
 * Shared vocabulary of the simulated landscape: environments, scenarios (DESIGN.md C2), runtimes and
 * Kubernetes objects. Everything under src/sim/ speaks these types.
 */

/**
 * Which Lifecycle Manager the simulated KCPs run (C1 `--kcp`):
 * - `2023`: the rollout's era — one ModuleTemplate per channel (`istio-fast`, `istio-regular`, `spec.channel`),
 *   the Manifest's state mirrors the module CR (lifecycle-manager@a513e7ad `internal/manifest/ready_check.go`);
 * - `current`: today's — a `ModuleReleaseMeta` per module maps channels to versions and templates are named
 *   `<module>-<version>` (`pkg/templatelookup/moduletemplateinfolookup/lookup.go`, `common.go`;
 *   `api/v1beta2/moduletemplate_types.go`: `spec.channel` deprecated); the Manifest's state is the module's
 *   manager Deployment's (`internal/manifest/statecheck/deployment_state_check.go`).
 */
export const KCP_GENERATIONS = ['2023', 'current'] as const;
export type KcpGeneration = (typeof KCP_GENERATIONS)[number];

export function isKcpGeneration(s: string): s is KcpGeneration {
  return (KCP_GENERATIONS as readonly string[]).includes(s);
}

/** The three landscapes of the rollout doc. */
export const ENVS = ['dev', 'stage', 'prod'] as const;
export type Env = (typeof ENVS)[number];

/** Share of the runtimes per environment (C1: Dev 10 % / Stage 30 % / Prod 60 %). */
export const ENV_SHARE = { dev: 0.1, stage: 0.3, prod: 0.6 } as const satisfies Record<Env, number>;

/**
 * The starting state of one runtime (DESIGN.md C2). The simulated Istio operator's behaviour version is a
 * property of the scenario (`custom-cr-legacy` runs ≤ 1.3, everything else ≥ 1.4).
 */
export const SCENARIOS = [
  /** No operator, no Istio CR, `spec.modules` absent. */
  'fresh',
  /** `spec.modules: [keda]`. */
  'with-keda',
  /** Old reconciler's operator running, Istio CR `default` Ready (the common case). */
  'existing-default',
  /** Operator ≤ 1.3 running an older customer CR with another name; LM's `default` goes `Error`. */
  'custom-cr-legacy',
  /** Operator ≥ 1.4 running an older customer CR; LM's `default` goes `Warning`/`OlderCRExists`. */
  'custom-cr',
  /** `istio` already in `spec.modules`, managed by LM. */
  'already-migrated',
  /** No Istio ModuleTemplate in the SKR catalog. */
  'no-template',
  /** No Kyma in kyma-system. */
  'no-kyma',
  /** `default` and another Kyma in kyma-system (LM reads only `default`). */
  'two-kymas',
  /** LM slower than the migration deadline. */
  'slow',
  /** The only Istio CR goes `Error` after LM creates it. */
  'istio-error',
  /** Manifest `Error` with LM's SSA-conflict message. */
  'manifest-error',
  /** The KCP Kyma (`kcp-system/<runtime-id>`) labelled `operator.kyma-project.io/skip-reconciliation: "true"`. */
  'skip-reconciliation',
  /** No `kubeconfig-<runtime-id>` secret on KCP (and no Gardener admin kubeconfig). */
  'skr-no-secret',
  /** The SKR API does not answer. */
  'skr-down',
  /** KEB state suspended: not eligible. */
  'suspended',
  /** KEB state deprovisioning: not eligible. */
  'deprovisioning',
  /** 5xx, 429 with Retry-After and connection resets at seeded rates. */
  'flaky',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export function isScenario(s: string): s is Scenario {
  return (SCENARIOS as readonly string[]).includes(s);
}

/**
 * KEB runtime states used by the simulator (KEB common/runtime/model.go `State`; internal/runtime/converter.go
 * `adjustRuntimeState`): `error` = the last update or cluster upgrade failed, `updating` = an update is in
 * progress, `upgrading` = a cluster upgrade is in progress. All three are still migration targets.
 */
export type KebState = 'succeeded' | 'suspended' | 'deprovisioning' | 'failed' | 'provisioning' | 'error' | 'updating' | 'upgrading';

/**
 * KEB service plan names the simulator generates (KEB internal/broker/plans.go). `preview` and
 * `build-runtime-aws` appear only on Kyma-Test/Kyma-Integration runtimes, which run on AWS.
 */
export const PLANS = ['aws', 'azure', 'gcp', 'azure_lite', 'trial', 'free', 'sap-converged-cloud', 'preview', 'build-runtime-aws'] as const;
export type Plan = (typeof PLANS)[number];

/** One simulated runtime, as written to runtimes.json (C1) plus what the simulator needs internally. */
export interface RuntimeSpec {
  env: Env;
  /** Lower-case UUID; also the SKR's clusterId and the KCP Kyma's name. */
  runtimeId: string;
  instanceId: string;
  shootName: string;
  globalAccountId: string;
  subaccountId: string;
  plan: Plan;
  /** Provider region (shoot `spec.region`, KEB `region`). */
  region: string;
  /** KEB runtime state. */
  state: KebState;
  scenario: Scenario;
  /** Version of the Istio module/operator on the SKR (behaviour ≤ 1.3 vs ≥ 1.4). */
  operatorVersion: string;
  /** Kyma `spec.channel`. */
  channel: 'regular' | 'fast';
  /** Seconds before the landscape's reference time at which the runtime was provisioned. */
  ageSeconds: number;
}

/** Kubernetes ObjectMeta, as much of it as the simulator maintains. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: unknown[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

/** Any Kubernetes object. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}
