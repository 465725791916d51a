/**
 * What the rollout use cases need from the process around them, as narrow ports: an environment's configuration and
 * request throttle (verify, plan) and the guard's figures (plan). app/services.ts provides them; rollout never
 * imports it, so the use cases can be driven by anything that gives these few things.
 */
import type { Config, EnvName, RolloutEnvConfig } from '../config/config.js';
import type { GuardPrior } from './budget-guard.js';
import type { EnvThrottle } from './rate-limiter.js';
import type { RuntimePace } from './runtime-pace.js';

/** One environment's configuration and the throttle its clients (KCP, Gardener, SKRs, KEB) share. */
export interface EnvPorts {
  envConfig(env: EnvName): RolloutEnvConfig;
  throttle(env: EnvName): EnvThrottle;
}

/** What a plan needs beyond the environment: its concurrency, budget, the guard's α and history, the timing. */
export interface PlanPorts extends EnvPorts {
  readonly config: Pick<Config, 'timeScale' | 'timing' | 'calendar'>;
  concurrency(env: EnvName): number;
  budget(env: EnvName, eligible: number): number;
  alpha(env: EnvName): number;
  guardPrior(env: EnvName): Promise<GuardPrior>;
  /** How long a runtime took in the environment's last ended wave (runtime-pace.ts), for the ETA. */
  runtimePace(env: EnvName): Promise<RuntimePace | undefined>;
}
