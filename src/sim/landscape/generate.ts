/**
 * The deterministic landscape generator: from (seed, profile, N) to the runtimes of Dev, Stage and Prod with
 * their accounts, plans, regions and scenarios (DESIGN.md §8, C1, C2). Same input ⇒ the same landscape, ids
 * included: every random choice comes from a seeded xoroshiro128+ stream (one per environment), never from
 * Math.random or the clock.
 */
import { ENVS, SCENARIOS, type Env, type KebState, type Plan, type RuntimeSpec, type Scenario } from '../types.js';
import { REGIONS_BY_PLAN } from './plans.js';
import { parseProfile, SCENARIOS_MIN_RUNTIMES, splitRuntimes, type ProfileSpec } from './profile.js';
import { hex8, Rng, stableHash } from './random.js';

/** The accounts of one environment. */
export interface EnvAccounts {
  /** The `Kyma-Test` global account. */
  kymaTest: string;
  /** The `Kyma-Integration` global account. */
  kymaIntegration: string;
  /** Customer global accounts (trial ones included), in order of first use. */
  customers: string[];
}

export interface Landscape {
  seed: number;
  /** The profile as given. */
  profile: string;
  runtimes: RuntimeSpec[];
  accounts: Record<Env, EnvAccounts>;
  /** Human sentences about adjustments (e.g. N raised); the CLI prints them on stderr. */
  notes: string[];
}

export interface GenerateOptions {
  seed: number;
  profile: string;
  runtimes: number;
}

/** Plan weights of customer runtimes per environment; Prod's trial weight gives ≈ 30 % of all Prod runtimes. */
const CUSTOMER_PLAN_WEIGHTS: Record<Env, ReadonlyArray<readonly [Plan, number]>> = {
  dev: [['aws', 40], ['azure', 30], ['gcp', 10], ['azure_lite', 8], ['trial', 6], ['free', 3], ['sap-converged-cloud', 3]],
  stage: [['aws', 34], ['azure', 28], ['gcp', 9], ['azure_lite', 8], ['trial', 12], ['free', 5], ['sap-converged-cloud', 4]],
  prod: [['trial', 35], ['aws', 24], ['azure', 20], ['gcp', 6], ['azure_lite', 7], ['free', 5], ['sap-converged-cloud', 3]],
};
/** Kyma-Test / Kyma-Integration runtimes: paid plans only. */
const INTERNAL_PLAN_WEIGHTS: ReadonlyArray<readonly [Plan, number]> = [['aws', 45], ['azure', 35], ['gcp', 15], ['azure_lite', 5]];

function total<T>(entries: ReadonlyArray<readonly [T, number]>): number {
  return entries.reduce((s, [, w]) => s + w, 0);
}

const DAY = 86_400;

// ---------------------------------------------------------------------------------------------------------
// Generation

type Owner = 'kyma-test' | 'kyma-integration' | 'customer';

/** Kyma-Test and Kyma-Integration each hold 5–10 % of an environment, at least 2 runtimes once there are 8. */
function internalCount(rng: Rng, n: number): number {
  const share = rng.int(5, 10) / 100;
  return Math.min(Math.max(Math.round(n * share), Math.min(2, Math.floor(n / 4))), Math.floor(n / 2));
}

/** How many runtimes the next customer global account gets: mostly 1–3, a few large ones. */
function customerAccountSize(rng: Rng): number {
  return rng.weighted(
    [
      [1, 35],
      [2, 25],
      [3, 15],
      [4, 10],
      [6, 8],
      [10, 5],
      [20, 2],
    ],
    100,
  );
}

/**
 * The KEB state of a runtime. Besides the scenarios' own states, about one in seven runtimes of the ordinary
 * scenarios (`fresh`, `with-keda`, `existing-default`) is in a state KEB reports while a runtime is being changed
 * or after a change failed — `error`, `updating`, `upgrading` (KEB internal/runtime/converter.go) — fixed by its
 * runtime id (no draw, so the rest of the landscape stays as it was). taskrun's resolver targets them all.
 */
function stateOf(s: Scenario, runtimeId: string): KebState {
  if (s === 'suspended') return 'suspended';
  if (s === 'deprovisioning') return 'deprovisioning';
  if (s === 'fresh' || s === 'with-keda' || s === 'existing-default') {
    const busy = (['error', 'updating', 'upgrading'] as const)[stableHash(`${runtimeId}/keb-state`) % 21];
    if (busy) return busy;
  }
  return 'succeeded';
}

/**
 * Some Kyma-Test/Kyma-Integration AWS runtimes run on KEB's `preview` or `build-runtime-aws` plan (KEB
 * internal/broker/plans.go), chosen by runtime id (no draw).
 */
function internalAwsPlan(runtimeId: string): Plan {
  const h = stableHash(`${runtimeId}/plan`) % 6;
  return h === 0 ? 'preview' : h === 1 ? 'build-runtime-aws' : 'aws';
}

interface EnvResult {
  runtimes: RuntimeSpec[];
  accounts: EnvAccounts;
}

function generateEnv(env: Env, envIndex: number, n: number, spec: ProfileSpec, seed: number): EnvResult {
  const rng = new Rng(seed, envIndex);
  const accounts: EnvAccounts = { kymaTest: rng.uuid(), kymaIntegration: rng.uuid(), customers: [] };

  // Scenarios first, so `scenarios` keeps its round-robin whatever else is drawn.
  const scenarios: Scenario[] = new Array<Scenario>(n);
  if (spec.kind === 'scenarios') {
    for (let i = 0; i < n; i++) scenarios[i] = SCENARIOS[i % SCENARIOS.length];
  } else {
    // Fractional weights become integer per-mille weights for the integer draw.
    const scaled = spec.weights.map(([s, w]) => [s, Math.round(w * 1000)] as const).filter(([, w]) => w > 0);
    const sum = total(scaled);
    for (let i = 0; i < n; i++) scenarios[i] = rng.weighted(scaled, sum);
  }

  // Owners: a seeded choice of positions for the two internal accounts; everything else is a customer's.
  const owners: Owner[] = new Array<Owner>(n).fill('customer');
  const order = Array.from({ length: n }, (_, i) => i);
  const kt = internalCount(rng, n);
  const ki = internalCount(rng, n);
  for (let i = 0; i < Math.min(kt + ki, n); i++) {
    const j = rng.int(i, n - 1);
    [order[i], order[j]] = [order[j], order[i]];
    owners[order[i]] = i < kt ? 'kyma-test' : 'kyma-integration';
  }

  const shoots = new Set<string>();
  const customerWeights = CUSTOMER_PLAN_WEIGHTS[env];
  const customerTotal = total(customerWeights);
  const internalTotal = total(INTERNAL_PLAN_WEIGHTS);
  let ga = '';
  let gaLeft = 0;
  const lastSubaccount: Record<string, string> = {};
  const runtimes: RuntimeSpec[] = new Array<RuntimeSpec>(n);

  for (let i = 0; i < n; i++) {
    const scenario = scenarios[i];
    const owner = owners[i];
    const plan = owner === 'customer' ? rng.weighted(customerWeights, customerTotal) : rng.weighted(INTERNAL_PLAN_WEIGHTS, internalTotal);

    let globalAccountId: string;
    if (owner === 'kyma-test') globalAccountId = accounts.kymaTest;
    else if (owner === 'kyma-integration') globalAccountId = accounts.kymaIntegration;
    else if (plan === 'trial') {
      // Every trial user has a global account of their own.
      globalAccountId = rng.uuid();
      accounts.customers.push(globalAccountId);
    } else {
      if (gaLeft === 0) {
        ga = rng.uuid();
        gaLeft = customerAccountSize(rng);
        accounts.customers.push(ga);
      }
      gaLeft--;
      globalAccountId = ga;
    }
    // Each runtime has its own subaccount; now and then a second runtime lands in the previous one.
    const prevSub = lastSubaccount[globalAccountId];
    const subaccountId = prevSub !== undefined && plan !== 'trial' && rng.chance(0.12) ? prevSub : rng.uuid();
    lastSubaccount[globalAccountId] = subaccountId;

    let shootName: string;
    do shootName = `c-${hex8(rng.u32()).slice(0, 7)}`;
    while (shoots.has(shootName));
    shoots.add(shootName);

    // Drawn in this order (runtime id, instance id, region) so seeded landscapes stay as they were.
    const runtimeId = rng.uuid();
    const instanceId = rng.uuid();
    const region = rng.pick(REGIONS_BY_PLAN[plan]);
    runtimes[i] = {
      env,
      runtimeId,
      instanceId,
      shootName,
      globalAccountId,
      subaccountId,
      plan: owner !== 'customer' && plan === 'aws' ? internalAwsPlan(runtimeId) : plan,
      region,
      state: stateOf(scenario, runtimeId),
      scenario,
      operatorVersion: scenario === 'custom-cr-legacy' ? '1.2.0' : '1.4.1',
      channel: rng.chance(0.15) ? 'fast' : 'regular',
      // Trials expire after 30 days; everything else is days to a year old.
      ageSeconds: rng.int(DAY, (plan === 'trial' ? 30 : 365) * DAY),
    };
  }
  return { runtimes, accounts };
}

/** Generates the landscape. Throws ProfileError for a bad profile and RangeError for a bad N. */
export function generateLandscape(opts: GenerateOptions): Landscape {
  const spec = parseProfile(opts.profile);
  if (!Number.isSafeInteger(opts.runtimes) || opts.runtimes < 0) throw new RangeError(`runtimes must be a whole number ≥ 0, got ${opts.runtimes}`);
  if (!Number.isSafeInteger(opts.seed)) throw new RangeError(`seed must be an integer, got ${opts.seed}`);
  const notes: string[] = [];
  let n = opts.runtimes;
  if (spec.kind === 'scenarios' && n < SCENARIOS_MIN_RUNTIMES) {
    notes.push(
      `profile "scenarios" needs at least ${SCENARIOS_MIN_RUNTIMES} runtimes (each of the ${SCENARIOS.length} scenarios in every environment, Dev holding 10 %): raised the runtime count from ${n} to ${SCENARIOS_MIN_RUNTIMES}`,
    );
    n = SCENARIOS_MIN_RUNTIMES;
  }
  const split = splitRuntimes(n);
  const runtimes: RuntimeSpec[] = [];
  const accounts = {} as Record<Env, EnvAccounts>;
  ENVS.forEach((env, idx) => {
    const r = generateEnv(env, idx, split[env], spec, opts.seed);
    for (const rt of r.runtimes) runtimes.push(rt);
    accounts[env] = r.accounts;
  });
  return { seed: opts.seed, profile: opts.profile, runtimes, accounts, notes };
}
