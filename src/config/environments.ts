/**
 * The landscape part of the bot's config.yaml: where each environment's KCP, Gardener project and KEB are,
 * the named target sets of the rollout doc, and the migration timing. The simulator writes one of these for
 * its landscape (`simulated: true`); real configs omit that key. Objects are strict so a typo is reported
 * with its path instead of being ignored.
 */
import { z } from 'zod';

const absolutePath = z.string().min(1).refine((p) => p.startsWith('/'), { message: 'must be an absolute path' });

const kubeconfigRef = z.object({ kubeconfig: absolutePath }).strict();

/**
 * A target set: selector specs in the `kcp taskrun --target` grammar (`all`, `account=<regex>`,
 * `plan=trial`, `region=…,plan=…`); several specs are a union. Parsed by src/targets.
 */
const targetSpecs = z.array(z.string().min(1)).min(1);

export const environmentConfigSchema = z
  .object({
    kcp: kubeconfigRef,
    gardener: z.object({ kubeconfig: absolutePath, namespace: z.string().min(1) }).strict(),
    keb: z.object({ url: z.url(), tokenFile: absolutePath }).strict(),
    /**
     * The operator's acknowledgement that the old reconciler no longer reconciles Istio in this environment
     * (management-plane-config PRs #4600–#4602). No API can tell, so the plan shows who said so; the
     * simulator writes it for its landscape.
     */
    reconciliationDisabled: z.object({ confirmed: z.boolean(), by: z.string().min(1), reference: z.string().optional() }).strict().optional(),
    /** Named target sets, e.g. `kyma-test`, `kyma-integration`, `trial`, `canary`, `factory`, `all`. */
    targets: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'target names are lower-case words joined by "-"'), targetSpecs).default({}),
  })
  .strict();

export const landscapeConfigSchema = z
  .object({
    /** Written by the simulator; real landscapes omit it (approvals outside Slack are allowed only when true). */
    simulated: z.boolean().default(false),
    /** Multiplies durations (1 = real time); the simulator's `--time-scale`. */
    timeScale: z.number().positive().default(1),
    timing: z
      .object({
        /** How long one runtime may take after the patch: the script's ≈ 8.5 min. */
        deadlineSeconds: z.number().positive().default(510),
        pollIntervalSeconds: z.number().positive().default(5),
      })
      .strict()
      .default({ deadlineSeconds: 510, pollIntervalSeconds: 5 }),
    environments: z
      .object({ dev: environmentConfigSchema.optional(), stage: environmentConfigSchema.optional(), prod: environmentConfigSchema.optional() })
      .strict()
      .refine((e) => e.dev !== undefined || e.stage !== undefined || e.prod !== undefined, { message: 'at least one environment (dev, stage or prod) is required' }),
  })
  .strict();

export type LandscapeConfig = z.infer<typeof landscapeConfigSchema>;
export type EnvironmentConfig = z.infer<typeof environmentConfigSchema>;
