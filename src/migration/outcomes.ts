/**
 * Outcomes, reasons and classes of a per-runtime migration (DESIGN.md C4), with the messages of the original
 * migrate.sh where it has one (DOMAIN.md §2) and the exit codes of C3. Every map below covers every member
 * (`satisfies Record<…>`), so a new outcome cannot be forgotten.
 */

export const OUTCOMES = [
  /** `istio` added by this run and LM manages the module (Manifest Ready, or the SKR Kyma's istio entry Ready). */
  'migrated',
  /** `istio` was already in the Kyma's `spec.modules`; nothing was changed. */
  'already-migrated',
  /** An Istio CR not named `default` exists: held before the patch, or LM's `default` is not reconciled. Customer action. */
  'multiple-istio-crs',
  /** No Kyma `default` in kyma-system, the only one LM reads (other Kymas there are listed in the result's notes). */
  'kyma-cr-missing',
  /** Kept for old journal records only; no longer produced (a second Kyma beside `default` is only listed). */
  'kyma-cr-ambiguous',
  /** No Istio ModuleTemplate in the SKR's catalog. */
  'module-template-missing',
  /** The deadline passed before a decision. */
  'timeout',
  /** A failure with a reason (see ERROR_REASONS). */
  'error',
  /** Not attempted (see SKIP_REASONS). */
  'skipped',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const ERROR_REASONS = ['kubeconfig-unavailable', 'api-error', 'istio-error', 'manifest-missing', 'manifest-error'] as const;
export type ErrorReason = (typeof ERROR_REASONS)[number];

/** KEB states make a runtime ineligible; `excluded` by the wave's excludes; `dry-run` when nothing was meant to change. */
export const SKIP_REASONS = ['suspended', 'deprovisioning', 'deprovisioned', 'failed', 'provisioning', 'error', 'upgrading', 'updating', 'deprovisionincomplete', 'skip-reconciliation', 'excluded', 'dry-run'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export type Reason = ErrorReason | SkipReason;

/** Class of a final result: what it asks of people (C4). */
export type OutcomeClass = 'none' | 'customer' | 'platform' | 'not-eligible';

export const OUTCOME_CLASS = {
  migrated: 'none',
  'already-migrated': 'none',
  'multiple-istio-crs': 'customer',
  'kyma-cr-missing': 'platform',
  'kyma-cr-ambiguous': 'platform',
  'module-template-missing': 'platform',
  timeout: 'platform',
  error: 'platform',
  skipped: 'not-eligible',
} as const satisfies Record<Outcome, OutcomeClass>;

export function classOf(outcome: Outcome): OutcomeClass {
  return OUTCOME_CLASS[outcome];
}

/** C3: 0 = migrated, already migrated or dry-run done; 2 = timeout; 1 = everything else. */
export function exitCodeOf(outcome: Outcome, reason: Reason | null): 0 | 1 | 2 {
  if (outcome === 'migrated' || outcome === 'already-migrated') return 0;
  if (outcome === 'skipped' && reason === 'dry-run') return 0;
  if (outcome === 'timeout') return 2;
  return 1;
}

/** The original script's messages (DOMAIN.md §2), verbatim. */
export const SCRIPT_MESSAGES = {
  templateMissing: 'Istio module template is not available on cluster',
  alreadyPresent: 'Istio module already present on Kyma CR, skipping migration',
  initModules: 'No modules defined on Kyma CR yet, initializing modules array',
  proceeding: (kyma: string) => `Proceeding with migration by adding Istio module to Kyma CR ${kyma}`,
  success: 'Migration successful',
  multipleCrs: 'More than one Istio CR present on the cluster. Script rename-to-default.sh might be required.',
  failed: 'Migration failed',
} as const;
