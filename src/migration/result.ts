/**
 * The result record of one runtime's migration: a zod schema, JSON-serialisable and stable. The journal
 * stores it as is and chat renders from it, so fields are only ever added, never renamed.
 */
import { z } from 'zod';
import { ERROR_REASONS, OUTCOMES, SKIP_REASONS } from './outcomes.js';

export const istioCrInfoSchema = z.object({
  name: z.string(),
  namespace: z.string(),
  createdAt: z.string().nullable(),
  state: z.string().nullable(),
  description: z.string().nullable(),
  /** Reason of the Ready condition, when there is one (`OlderCRExists`, …). */
  reason: z.string().nullable(),
  /** Set when the CR has a deletionTimestamp: it is being deleted (Istio uninstalls), whatever its state says. */
  deleting: z.literal(true).optional(),
});
export type IstioCrInfo = z.infer<typeof istioCrInfoSchema>;

/**
 * Whether LM would skip the runtime: `operator.kyma-project.io/skip-reconciliation` on the KCP Kyma
 * (`labelled`/`not-labelled`), or `not-checked` without KCP access.
 */
export const SKIP_RECONCILIATION_CHECKS = ['labelled', 'not-labelled', 'not-checked'] as const;
export type SkipReconciliationCheck = (typeof SKIP_RECONCILIATION_CHECKS)[number];

export const transitionSchema = z.object({
  /** ISO timestamp of the observation. */
  at: z.string(),
  /** `istio/<namespace>/<name>`, `manifest/<name>`, `kyma/<name>` or `deployment/<name>`. */
  object: z.string(),
  /** The state seen (`Ready`, `Processing`, `absent`, …). */
  state: z.string(),
  detail: z.string().optional(),
});
export type Transition = z.infer<typeof transitionSchema>;

export const migrationResultSchema = z.object({
  runtimeId: z.string().nullable(),
  outcome: z.enum(OUTCOMES),
  reason: z.enum([...ERROR_REASONS, ...SKIP_REASONS]).nullable(),
  class: z.enum(['none', 'customer', 'platform', 'not-eligible']),
  /** Whether this run changed the Kyma (or, after an unanswered patch, may have). */
  patched: z.boolean(),
  dryRun: z.boolean(),
  /** The script-compatible message (migrate.sh's where it has one). */
  message: z.string(),
  /** What went wrong, in detail (cause of an error, Manifest message, last state at a timeout). */
  detail: z.string().nullable(),
  kymaName: z.string().nullable(),
  inventoryBefore: z.array(istioCrInfoSchema),
  inventoryAfter: z.array(istioCrInfoSchema),
  transitions: z.array(transitionSchema),
  manifest: z.object({ name: z.string(), state: z.string().nullable(), message: z.string().nullable() }).nullable(),
  /** Requests made per remote system, watch (re-)establishments and the SKR access lookup included. */
  requests: z.object({ kcp: z.number().int(), skr: z.number().int(), gardener: z.number().int(), total: z.number().int() }),
  /** How the SKR was reached. */
  access: z.enum(['kubeconfig', 'kcp-secret', 'gardener']).nullable(),
  /** The skip-reconciliation check on the KCP Kyma, when the run got that far (absent in older records). */
  skipReconciliation: z.enum(SKIP_RECONCILIATION_CHECKS).optional(),
  /** Information for people, not a failure: other Kymas beside `default`, a check that was not done, … */
  notes: z.array(z.string()).optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
});
export type MigrationResult = z.infer<typeof migrationResultSchema>;
