/**
 * The deterministic landscape generator: from (seed, profile, N) to the runtimes of Dev, Stage and Prod with
 * their accounts, plans, regions and scenarios (DESIGN.md §8, C1, C2). Same input ⇒ the same landscape, ids
 * included: every random choice comes from a seeded xoroshiro128+ stream (one per environment), never from
 * Math.random or the clock.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import {
  ENV_SHARE,
  ENVS,
  SCENARIOS,
  isScenario,
  type Env,
  type KebState,
  type Plan,
  type RuntimeSpec,
  type Scenario,
} from '../types.js';

/** A parsed `--profile`. Weighted profiles keep SCENARIOS order so equal weights give equal landscapes. */
export type ProfileSpec =
  /** One runtime of each scenario per environment, round-robin (`scenarios`). */
  | { kind: 'scenarios' }
  /** Each runtime's scenario drawn from the weights (`mixed`, a scenario name, or `a=1,b=2`). */
  | { kind: 'weighted'; weights: ReadonlyArray<readonly [Scenario, number]> };

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

/** A `--profile` that cannot be parsed. */
export class ProfileError extends Error {
  readonly code = 'bad-profile';
  constructor(message: string) {
    super(message);
    this.name = 'ProfileError';
  }
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

// ---------------------------------------------------------------------------------------------------------
// Randomness

/**
 * Bound once: under jest's VM modules every `Math.imul` is a global lookup through the sandbox, which made
 * hashing ~40× slower.
 */
const imul = Math.imul;

/** A seeded random stream with the few draws the generator needs. */
class Rng {
  private readonly g: ReturnType<typeof xoroshiro128plus>;
  constructor(seed: number, streams: number) {
    // xoroshiro128+ takes 32 bits: fold the high half of larger seeds in rather than dropping it.
    this.g = xoroshiro128plus((seed | 0) ^ (Math.floor(seed / 2 ** 32) | 0));
    // Independent, non-overlapping streams per environment: Dev's draws never shift Stage's.
    for (let i = 0; i < streams; i++) this.g.jump();
    // A small seed leaves the first outputs of an unjumped stream low in entropy (ids like fffffffe-fefd-…).
    for (let i = 0; i < 32; i++) this.g.next();
  }
  int(from: number, to: number): number {
    return uniformInt(this.g, from, to);
  }
  chance(p: number): boolean {
    return this.int(0, 999_999) < p * 1_000_000;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }
  /** Draws from integer weights (callers pre-scale fractional ones). */
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>, total: number): T {
    let r = this.int(0, total - 1);
    for (const [v, w] of entries) {
      if (r < w) return v;
      r -= w;
    }
    return entries[entries.length - 1][0];
  }
  /** A lower-case UUID v4 whose 122 random bits come from the stream. */
  uuid(): string {
    return formatUuid(this.u32(), this.u32(), this.u32(), this.u32());
  }
  u32(): number {
    return this.g.next() >>> 0;
  }
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** Formats 128 bits as a UUID v4 (version and variant bits forced). */
function formatUuid(a: number, b: number, c: number, d: number): string {
  const h = hex8(a) + hex8((b & 0xffff0fff) | 0x00004000) + hex8((c & 0x3fffffff) | 0x80000000) + hex8(d);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * A UUID v4 derived from strings (cyrb128: four mixed 32-bit lanes). Used for object uids: derived from the
 * runtime id (itself seeded) and an object key, so the same seed gives the same uids without threading an RNG
 * through object construction.
 */
export function derivedUuid(...parts: string[]): string {
  const s = parts.join('\u0000');
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < s.length; i++) {
    const k = s.charCodeAt(i);
    h1 = h2 ^ imul(h1 ^ k, 597399067);
    h2 = h3 ^ imul(h2 ^ k, 2869860233);
    h3 = h4 ^ imul(h3 ^ k, 951274213);
    h4 = h1 ^ imul(h4 ^ k, 2716044179);
  }
  h1 = imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return formatUuid(h1, h2, h3, h4);
}

/** A stable small number from a string (FNV-1a), for seeded variety in object contents. */
export function stableHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------------------
// Plans, regions, providers

/** Gardener provider types (shoot `spec.provider.type`). */
export type Provider = 'aws' | 'azure' | 'gcp' | 'openstack';

const AWS_REGIONS = ['eu-central-1', 'eu-west-2', 'us-east-1', 'us-west-2', 'ap-southeast-1', 'ap-northeast-1', 'ap-southeast-2', 'ap-south-1', 'ca-central-1', 'sa-east-1'];
const AZURE_REGIONS = ['westeurope', 'northeurope', 'switzerlandnorth', 'uksouth', 'eastus', 'westus2', 'centralus', 'japaneast', 'southeastasia', 'australiaeast'];
const GCP_REGIONS = ['europe-west3', 'us-central1', 'asia-south1'];
const SCC_REGIONS = ['eu-de-1', 'eu-de-2', 'ap-jp-1', 'ap-ae-1'];
/** Trial and free clusters run in a few AWS/Azure regions (KEB maps the platform region onto them). */
const TRIAL_REGIONS = ['eu-central-1', 'us-east-1', 'ap-southeast-1', 'westeurope', 'eastus', 'southeastasia'];
const FREE_REGIONS = ['eu-central-1', 'us-east-1', 'westeurope', 'eastus'];

const REGIONS_BY_PLAN: Record<Plan, readonly string[]> = {
  aws: AWS_REGIONS,
  azure: AZURE_REGIONS,
  azure_lite: AZURE_REGIONS,
  gcp: GCP_REGIONS,
  trial: TRIAL_REGIONS,
  free: FREE_REGIONS,
  'sap-converged-cloud': SCC_REGIONS,
  preview: AWS_REGIONS,
  'build-runtime-aws': AWS_REGIONS,
};

const PROVIDER_BY_REGION = new Map<string, Provider>([
  ...AWS_REGIONS.map((r) => [r, 'aws'] as const),
  ...AZURE_REGIONS.map((r) => [r, 'azure'] as const),
  ...GCP_REGIONS.map((r) => [r, 'gcp'] as const),
  ...SCC_REGIONS.map((r) => [r, 'openstack'] as const),
]);

/** The infrastructure provider a runtime's shoot runs on (trial/free: by region). */
export function providerOf(rt: Pick<RuntimeSpec, 'region'>): Provider {
  return PROVIDER_BY_REGION.get(rt.region) ?? 'aws';
}

/** KEB service plan ids (`kyma-project.io/broker-plan-id`, KEB `servicePlanID`; KEB internal/broker/plans.go). */
export const PLAN_IDS: Record<Plan, string> = {
  preview: '5cb3d976-b85c-42ea-a636-79cadda109a9',
  'build-runtime-aws': '6aae0ff3-89f7-4f12-86de-51466145422e',
  azure: '4deee563-e5ec-4731-b9b1-53b42d855f0c',
  azure_lite: '8cb22518-aa26-44c5-91a0-e669ec9bf443',
  aws: '361c511f-f939-4621-b228-d0fb79a1fe15',
  gcp: 'ca6e5357-707f-4565-bbbd-b3ab732597c6',
  trial: '7d55d31d-35ae-4438-bf13-6ffdfa107d9f',
  free: 'b1a5764e-2ea1-4f95-94c0-2b4538b37b55',
  'sap-converged-cloud': '03b812ac-c991-4528-b5bd-08b303523a63',
};

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
