/**
 * `--profile` (C1): which scenarios a generated landscape holds, and how its runtimes split over Dev, Stage and
 * Prod.
 */
import { ENV_SHARE, ENVS, SCENARIOS, isScenario, type Env, type Scenario } from '../types.js';

/** A parsed `--profile`. Weighted profiles keep SCENARIOS order so equal weights give equal landscapes. */
export type ProfileSpec =
  /** One runtime of each scenario per environment, round-robin (`scenarios`). */
  | { kind: 'scenarios' }
  /** Each runtime's scenario drawn from the weights (`mixed`, a scenario name, or `a=1,b=2`). */
  | { kind: 'weighted'; weights: ReadonlyArray<readonly [Scenario, number]> };

/** A `--profile` that cannot be parsed. */
export class ProfileError extends Error {
  readonly code = 'bad-profile';
  override readonly name = 'ProfileError';
}

const PROFILE_EXAMPLES = '--profile mixed, --profile scenarios, --profile fresh or --profile fresh=70,with-keda=20,custom-cr=10';

/**
 * The `mixed` profile: what a Stage/Prod landscape of Nov 2023 roughly looked like — most SKRs ran the old
 * reconciler's Istio with a `default` CR — with a little of every other scenario so large landscapes have each.
 */
export const MIXED_WEIGHTS = {
  'existing-default': 55,
  fresh: 12,
  'with-keda': 8,
  'already-migrated': 6,
  'custom-cr': 3,
  'custom-cr-legacy': 2,
  suspended: 2,
  flaky: 2,
  'no-template': 1,
  'no-kyma': 1,
  'two-kymas': 1,
  slow: 1,
  'istio-error': 1,
  'manifest-error': 1,
  'skip-reconciliation': 1,
  'skr-no-secret': 1,
  'skr-down': 1,
  deprovisioning: 1,
} as const satisfies Record<Scenario, number>;

function weightsInOrder(w: Partial<Record<Scenario, number>>): Array<readonly [Scenario, number]> {
  return SCENARIOS.filter((s) => (w[s] ?? 0) > 0).map((s) => [s, w[s]!] as const);
}

/** Parses `scenarios`, `mixed`, a scenario name, or `name=weight,…` (weights are non-negative numbers). */
export function parseProfile(profile: string): ProfileSpec {
  const p = profile.trim();
  if (p === '') throw new ProfileError(`empty profile; use e.g. ${PROFILE_EXAMPLES}`);
  if (p === 'scenarios') return { kind: 'scenarios' };
  if (p === 'mixed') return { kind: 'weighted', weights: weightsInOrder(MIXED_WEIGHTS) };
  if (!p.includes('=') && !p.includes(',')) {
    if (!isScenario(p)) throw new ProfileError(`unknown profile or scenario "${p}"; use e.g. ${PROFILE_EXAMPLES} (scenarios: ${SCENARIOS.join(', ')})`);
    return { kind: 'weighted', weights: [[p, 1]] };
  }
  const weights: Partial<Record<Scenario, number>> = {};
  for (const raw of p.split(',')) {
    const token = raw.trim();
    const [name, value, ...extra] = token.split('=').map((s) => s.trim());
    if (!name || value === undefined || extra.length > 0) {
      throw new ProfileError(`bad profile entry "${token}" in "${p}": expected <scenario>=<weight>; use e.g. ${PROFILE_EXAMPLES}`);
    }
    if (!isScenario(name)) {
      throw new ProfileError(`unknown scenario "${name}" in "${p}"; scenarios: ${SCENARIOS.join(', ')}; use e.g. ${PROFILE_EXAMPLES}`);
    }
    if (!/^\d+(\.\d+)?$/.test(value)) {
      throw new ProfileError(`bad weight "${value}" for "${name}" in "${p}": a weight is a number ≥ 0; use e.g. ${PROFILE_EXAMPLES}`);
    }
    if (weights[name] !== undefined) throw new ProfileError(`scenario "${name}" given twice in "${p}"; use e.g. ${PROFILE_EXAMPLES}`);
    weights[name] = Number(value);
  }
  const ordered = weightsInOrder(weights);
  if (ordered.length === 0) throw new ProfileError(`all weights are 0 in "${p}"; use e.g. ${PROFILE_EXAMPLES}`);
  return { kind: 'weighted', weights: ordered };
}

/** Runtimes per environment: Dev round(N·10 %), Stage round(N·30 %), Prod the rest (C1). */
export function splitRuntimes(n: number): Record<Env, number> {
  const dev = Math.round(n * ENV_SHARE.dev);
  const stage = Math.round(n * ENV_SHARE.stage);
  return { dev, stage, prod: n - dev - stage };
}

/**
 * The smallest N at which `scenarios` fits one runtime of each scenario per environment: every environment's
 * unrounded share must hold all of them (180 with Dev at 10 %). Using the unrounded share keeps the minimum
 * independent of how 17.5 happens to round.
 */
export const SCENARIOS_MIN_RUNTIMES = Math.max(...ENVS.map((e) => Math.ceil(SCENARIOS.length / ENV_SHARE[e] - 1e-9)));
