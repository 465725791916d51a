/**
 * The bot's whole configuration: the landscape part the simulator writes (environments.ts) plus, per
 * environment, how the rollout may act — SKR access, the reconciliation acknowledgement, limits, error
 * budgets, the conflict policy, approvals — and the journal. Secrets are referenced by file path or
 * environment variable name, never written here and never printed.
 */
import { z } from 'zod';
import { environmentConfigSchema, landscapeConfigSchema } from './environments.js';
import { calendarSchema, windowsPolicySchema } from './schedule.js';

/** An error budget: a number of runtimes, or a percentage of the eligible ones (`"5%"`). */
const budget = z.union([z.number().int().min(1), z.string().regex(/^\d+(\.\d+)?%$/, 'a budget is a count (e.g. 10) or a percentage (e.g. "5%")')]);

const ENV_DEFAULTS = {
  dev: { concurrency: 16, approval: false, alpha: 0.01 },
  stage: { concurrency: 8, approval: false, alpha: 0.01 },
  prod: { concurrency: 4, approval: true, alpha: 0.001 },
} as const;

/** How much an earlier finished wave counts into the budget guard's history (C4). */
export const DEFAULT_HISTORY_WEIGHT = 0.5;

export const rolloutEnvSchema = environmentConfigSchema.extend({
  /** How the bot reaches an SKR: the KCP secret, Gardener's adminkubeconfig, or the secret with Gardener as fallback. */
  skrAccess: z.enum(['kcp-secret', 'gardener', 'kcp-secret-then-gardener']).default('kcp-secret-then-gardener'),
  limits: z
    .object({
      /** Runtimes in flight (kcp taskrun -p; the doc used 16; hundreds are allowed). */
      concurrency: z.number().int().min(1).max(1000).optional(),
      /** Request-rate caps per remote system, shared by every running wave. */
      requestsPerSecond: z
        .object({ kcp: z.number().positive().optional(), skr: z.number().positive().optional(), gardener: z.number().positive().optional(), keb: z.number().positive().optional() })
        .strict()
        .default({}),
      /** Overrides timing.deadlineSeconds for this environment. */
      deadlineSeconds: z.number().positive().optional(),
    })
    .strict()
    .default({ requestsPerSecond: {} }),
  budgets: z
    .object({
      /** Platform failures allowed per wave: new starts stop when they reach it (C4). */
      wave: budget.default('5%'),
      /**
       * The budget guard's risk (C4): a runtime starts only while the chance that the runtimes in flight push the
       * platform failures past the budget stays ≤ α. Default 0.01 (Prod 0.001); 0 = the strict rule (failures +
       * in flight ≤ budget). Part of the plan hash.
       */
      alpha: z.number().min(0).max(0.5).optional(),
      /** Weight of earlier finished waves of this environment and the one before it in the guard's history (default 0.5; 0: none). */
      historyWeight: z.number().min(0).max(1).optional(),
    })
    .strict()
    .default({ wave: '5%' }),
  /**
   * The wave's thread (src/chat/wave-thread.ts): failures grouped by reason in a digest at most every `digestMinutes`
   * (times the landscape's `timeScale`), sooner when a group reaches `digestThreshold` × 10^k; what needs a person is
   * posted at once.
   */
  thread: z
    .object({
      digestMinutes: z.number().positive().default(5),
      digestThreshold: z.number().int().min(1).default(25),
    })
    .strict()
    .default({ digestMinutes: 5, digestThreshold: 25 }),
  /** An Istio CR not named default before the patch: hold the runtime (default) or proceed as the script did. */
  onConflict: z.enum(['hold', 'proceed']).default('hold'),
  /** The shoots' Gardener maintenance windows: ignore (default), prefer (inside their window first) or require (schedule.ts). */
  windows: windowsPolicySchema.optional(),
  approval: z
    .object({
      /** Whether a run needs an on-call approval (default: only in prod). */
      required: z.boolean().optional(),
      /** User ids allowed to approve. */
      approvers: z.array(z.string().min(1)).default([]),
      /** A Slack user group whose members may approve (the on-call group). */
      approverGroup: z.string().min(1).optional(),
      /** User ids allowed to plan and run in this environment (empty: everyone). */
      operators: z.array(z.string().min(1)).default([]),
      expiryMinutes: z.number().positive().default(60),
    })
    .strict()
    .default({ approvers: [], operators: [], expiryMinutes: 60 }),
});

/** The journal without a `journal:` key: beside the configuration file (relative paths are read from its directory). */
export const DEFAULT_JOURNAL_FILE = 'data/journal.db';

export const configSchema = landscapeConfigSchema.extend({
  environments: z
    .object({ dev: rolloutEnvSchema.optional(), stage: rolloutEnvSchema.optional(), prod: rolloutEnvSchema.optional() })
    .strict()
    .refine((e) => e.dev !== undefined || e.stage !== undefined || e.prod !== undefined, { message: 'at least one environment (dev, stage or prod) is required' }),
  /**
   * Slack: where the bot posts, and how often it may edit live wave messages. Channel ids per environment (the plan,
   * the wave's parent message and its thread go there; unset: the channel the command came from); the channel for
   * customer-contact tasks (unset: the wave's channel); `chat.update` calls per minute shared by every wave's live
   * message (Slack's Tier 3 is ~50/min per workspace).
   */
  chat: z
    .object({
      channels: z.object({ dev: z.string().min(1).optional(), stage: z.string().min(1).optional(), prod: z.string().min(1).optional() }).strict().default({}),
      customerContactChannel: z.string().min(1).optional(),
      updatesPerMinute: z.number().positive().max(6000).default(40),
    })
    .strict()
    .optional(),
  /**
   * A global error budget over all waves running at once (in this process; C4): a runtime starts only while platform
   * failures + runtimes in flight over those waves stay below it as well as below its wave's budget. A percentage is
   * of the eligible runtimes of the waves running, rounded down, at least 1. Unset: only the per-wave budgets apply.
   */
  globalBudget: budget.optional(),
  /** The freeze calendar: periods in which waves start nothing (release freezes, public holidays per region; schedule.ts). */
  calendar: calendarSchema.optional(),
  /**
   * Wave pages (`/waves/` on HEALTH_PORT, `istio-migrate serve`): the public base URL that links in Slack start with,
   * the HMAC key that signs them (an environment variable's name, or a file such as a mounted Secret; never logged
   * nor shown) and how long a link stays valid. Without a key, pages answer 403 and messages carry no link.
   */
  page: z
    .object({
      baseUrl: z.string().url().optional(),
      keyEnv: z.string().min(1).optional(),
      keyFile: z.string().min(1).optional(),
      linkTtlHours: z.number().positive().max(24 * 90).default(168),
    })
    .strict()
    .refine((p) => !(p.keyEnv && p.keyFile), { message: 'give at most one of keyEnv (an environment variable name) or keyFile (a file path, e.g. a mounted Secret)' })
    .optional(),
  /**
   * The journal: a SQLite file, or a PostgreSQL database (and schema). A relative `sqlite.file` is read from the
   * configuration file's directory (load-config.ts), never from the current one; without this key it is
   * `data/journal.db` there. Only plan, run and freeze (and the bot and console) create a journal that does not exist,
   * never its directory (but that default `data/`); every other command refuses (docs/operating.md).
   */
  journal: z
    .union([
      z.object({ sqlite: z.object({ file: z.string().min(1) }).strict() }).strict(),
      z
        .object({
          postgres: z
            .object({ urlEnv: z.string().min(1).optional(), urlFile: z.string().min(1).optional(), /** A schema of its own (tests isolate with it). */ schema: z.string().regex(/^[a-z_][a-z0-9_]*$/).optional() })
            .strict()
            .refine((p) => !!p.urlEnv !== !!p.urlFile, { message: 'give exactly one of urlEnv (an environment variable name) or urlFile (a file path)' }),
        })
        .strict(),
    ])
    .default({ sqlite: { file: DEFAULT_JOURNAL_FILE } }),
});

export type Config = z.infer<typeof configSchema>;
export type RolloutEnvConfig = z.infer<typeof rolloutEnvSchema>;
export type EnvName = 'dev' | 'stage' | 'prod';

export function envDefaults(env: EnvName) {
  return ENV_DEFAULTS[env];
}

/** Concurrency of an environment: configured, else the environment's default. */
export function concurrencyOf(config: Config, env: EnvName): number {
  return config.environments[env]?.limits.concurrency ?? ENV_DEFAULTS[env].concurrency;
}

/** The budget guard's α of an environment: configured, else the environment's default (C4). */
export function alphaOf(config: Config, env: EnvName): number {
  return config.environments[env]?.budgets.alpha ?? ENV_DEFAULTS[env].alpha;
}

export function historyWeightOf(config: Config, env: EnvName): number {
  return config.environments[env]?.budgets.historyWeight ?? DEFAULT_HISTORY_WEIGHT;
}

export function approvalRequired(config: Config, env: EnvName): boolean {
  return config.environments[env]?.approval.required ?? ENV_DEFAULTS[env].approval;
}

/** A budget resolved against the eligible count: a percentage rounds down, at least 1 (C4). */
export function resolveBudget(b: number | string, eligible: number): number {
  if (typeof b === 'number') return b;
  const pct = Number(b.slice(0, -1));
  return Math.max(1, Math.floor((eligible * pct) / 100));
}

/**
 * Rules the schema alone cannot say. An environment that needs approvals must name who may give them: on a real
 * landscape an empty list would let anyone but the requester approve a Prod step. (A simulated landscape may
 * leave it open, so that approvals can be tried with `/as USER` in the console.)
 */
export function configProblems(config: Config): { path: string; message: string; hint: string }[] {
  if (config.simulated) return simulatorEndpointProblems(config);
  const out: { path: string; message: string; hint: string }[] = [];
  for (const env of ['dev', 'stage', 'prod'] as const) {
    const e = config.environments[env];
    if (!e || !approvalRequired(config, env) || e.approval.approvers.length || e.approval.approverGroup) continue;
    out.push({
      path: `environments.${env}.approval`,
      message: `${env} needs an on-call approval for every run, but no approver is named (and only its operators and approvers may steer its waves)`,
      hint: 'set approverGroup to the on-call Slack user group (e.g. approverGroup: S0ONCALL1) and/or approvers: [U0123ABCD]; operators: [U0456EFGH] may steer without approving',
    });
  }
  return out;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether a URL is one the simulator serves: this host (loopback), under `prefix` (C1: `/keb/<env>`, `/clusters/<id>`). */
export function isSimulatorUrl(url: string, prefix: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && LOOPBACK.has(u.hostname) && u.pathname.startsWith(prefix);
  } catch {
    return false;
  }
}

/**
 * `simulated: true` opens approvals outside Slack and leaves Prod open to every operator: it is accepted only for a
 * landscape whose endpoints are the simulator's (on this host: KEB at `http://127.0.0.1:<port>/keb/<env>`, C1). The kubeconfigs'
 * servers are checked when the file is loaded (load-config.ts).
 */
export function simulatorEndpointProblems(config: Config): { path: string; message: string; hint: string }[] {
  const out: { path: string; message: string; hint: string }[] = [];
  for (const env of ['dev', 'stage', 'prod'] as const) {
    const e = config.environments[env];
    if (e && !isSimulatorUrl(e.keb.url, `/keb/${env}`)) {
      out.push({
        path: `environments.${env}.keb.url`,
        message: `simulated: true, but ${env}'s KEB is not the simulator's: a real landscape must not be marked simulated`,
        hint: `remove "simulated: true" for a real landscape (the simulator's KEB is e.g. http://127.0.0.1:8080/keb/${env})`,
      });
    }
  }
  return out;
}
