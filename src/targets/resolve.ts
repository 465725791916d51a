/**
 * Target resolution (DESIGN.md §5, DOMAIN.md §7 resolver): Gardener shoots joined with KEB runtimes (listed
 * with `state=all`), filtered by a TargetSpec. A runtime the target selects but that cannot be migrated is
 * listed in `skipped` with its reason — never dropped silently:
 *
 * - `excluded`: matched by an `--exclude` spec (excludes are evaluated first);
 * - a KEB state taskrun's resolver skips: the last operation is a deprovisioning or a suspension, or a
 *   provisioning/unsuspension that has not succeeded — KEB states `deprovisioning`, `deprovisioned`,
 *   `deprovisionincomplete`, `suspended`, `provisioning`, `failed` (kyma-environment-broker
 *   common/orchestration/resolver.go `resolveRuntimeTarget`, removed in 9d3465a7a, 2025-04; states from
 *   internal/runtime/converter.go `adjustRuntimeState`). `error` (a failed update or cluster upgrade),
 *   `updating` and `upgrading` runtimes are targets, as they were for taskrun;
 * - `hibernated`: KEB says succeeded but the shoot is hibernated;
 * - `no-runtime-id`: a shoot without the runtime id annotation;
 * - `not-in-keb`: a shoot whose runtime id KEB does not know;
 * - `no-shoot`: a KEB runtime without a shoot in the Gardener project;
 * - `duplicate-shoot`: a second shoot with a runtime id already taken by another shoot.
 *
 * KEB runtimes in state `deprovisioned` without a shoot are history, not runtimes, and are not listed.
 *
 * Fields of a runtime come from KEB where KEB has them (its account ids, plan, region), from the shoot
 * otherwise; selectors match against that joined record.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { KubeClient } from '../clients/kube-client.js';
import type { KebClient, KebRuntime } from '../clients/keb-client.js';
import { listShoots, type Shoot } from '../clients/gardener.js';
import { evaluate, isKnownPlan, KNOWN_PLAN_NAMES, unknownPlanWarnings, type SelectableRuntime, type TargetSpec } from './selector.js';

/** An eligible target runtime. */
export interface ResolvedRuntime extends SelectableRuntime {
  kebState: string;
  /** The shoot's `spec.maintenance.timeWindow`, when it has one. */
  maintenance?: { begin: string; end: string };
}

/** Why a selected runtime is not a target: a KEB state, or one of the reasons in this module's header. */
export type SkipReason = 'excluded' | 'hibernated' | 'no-runtime-id' | 'not-in-keb' | 'no-shoot' | 'duplicate-shoot' | (string & {});

export interface SkippedRuntime {
  /** '' for a shoot without a runtime id annotation. */
  runtimeId: string;
  /** '' for a KEB runtime without a shoot name. */
  shootName: string;
  reason: SkipReason;
  detail: string;
}

export interface Resolution {
  env: string;
  /** The target's canonical form. */
  target: string;
  /** Eligible runtimes (after `sample`), sorted by runtime id, each once. */
  runtimes: ResolvedRuntime[];
  /** Selected but not eligible, sorted by runtime id then shoot name. */
  skipped: SkippedRuntime[];
  /** Eligible runtimes before sampling. */
  eligible: number;
  /** Things the operator should know that do not stop the plan (unknown plan names in the target or from KEB). */
  warnings: string[];
  /** Over `runtimes`; keys sorted. */
  counts: { byRegion: Record<string, number>; byPlan: Record<string, number>; byGlobalAccount: Record<string, number> };
}

export interface ResolveTargetsInput {
  env: string;
  spec: TargetSpec;
  keb: KebClient;
  gardener: { client: KubeClient; namespace: string; limit?: number };
  /** Pick this many eligible runtimes spread over regions and plans. */
  sample?: number;
  /** Seed of the sample's choice; same seed and landscape ⇒ same sample. Default 1. */
  seed?: number;
}

/** KEB states whose runtimes are targets (see the module header). */
export const ELIGIBLE_KEB_STATES: ReadonlySet<string> = new Set(['succeeded', 'error', 'updating', 'upgrading']);

interface Candidate {
  rt: SelectableRuntime;
  shoot?: Shoot;
  keb?: KebRuntime;
  /** Set for join problems found before matching. */
  problem?: { reason: SkipReason; detail: string };
}

function fromKeb(k: KebRuntime, shoot?: Shoot): SelectableRuntime {
  return {
    runtimeId: k.runtimeID || shoot?.runtimeId || '',
    instanceId: k.instanceID ?? '',
    shootName: shoot?.name ?? k.shootName ?? '',
    globalAccountId: k.globalAccountID || shoot?.globalAccountId || '',
    subaccountId: k.subAccountID || shoot?.subaccountId || '',
    plan: k.servicePlanName ?? '',
    planId: k.servicePlanID ?? '',
    region: k.region || shoot?.region || '',
  };
}

function fromShoot(s: Shoot): SelectableRuntime {
  return {
    runtimeId: s.runtimeId ?? '',
    instanceId: '',
    shootName: s.name,
    globalAccountId: s.globalAccountId ?? '',
    subaccountId: s.subaccountId ?? '',
    plan: '',
    planId: '',
    region: s.region ?? '',
  };
}

/** Shoots joined with KEB runtimes: one candidate per shoot, plus one per KEB runtime without a shoot. */
function join(shoots: Shoot[], kebRuntimes: KebRuntime[]): Candidate[] {
  const kebById = new Map<string, KebRuntime>();
  for (const k of kebRuntimes) if (k.runtimeID) kebById.set(k.runtimeID, k);
  const claimed = new Set<string>();
  const out: Candidate[] = [];
  for (const s of [...shoots].sort((a, b) => cmp(a.name, b.name))) {
    if (!s.runtimeId) {
      out.push({ rt: fromShoot(s), shoot: s, problem: { reason: 'no-runtime-id', detail: `shoot ${s.name} has no runtime id annotation` } });
      continue;
    }
    const k = kebById.get(s.runtimeId);
    if (!k) {
      out.push({ rt: fromShoot(s), shoot: s, problem: { reason: 'not-in-keb', detail: `shoot ${s.name} names runtime ${s.runtimeId}, which KEB does not list` } });
      continue;
    }
    if (claimed.has(s.runtimeId)) {
      out.push({ rt: fromKeb(k, s), shoot: s, keb: k, problem: { reason: 'duplicate-shoot', detail: `shoot ${s.name} names runtime ${s.runtimeId}, already taken by shoot ${k.shootName}` } });
      continue;
    }
    claimed.add(s.runtimeId);
    out.push({ rt: fromKeb(k, s), shoot: s, keb: k });
  }
  for (const k of kebRuntimes) {
    if (k.runtimeID && claimed.has(k.runtimeID)) continue;
    // Deprovisioned and without a shoot: the runtime no longer exists (KEB keeps the record for history).
    if (k.status?.state === 'deprovisioned') continue;
    out.push({ rt: fromKeb(k), keb: k, problem: { reason: 'no-shoot', detail: `KEB runtime ${k.runtimeID || `(instance ${k.instanceID})`} has no shoot${k.shootName ? ` ${k.shootName}` : ''} in the Gardener project` } });
  }
  return out;
}

/** Why a matched candidate cannot be migrated, or undefined when it can. Excludes are checked by the caller first. */
function ineligibility(c: Candidate): { reason: SkipReason; detail: string } | undefined {
  const state = c.keb?.status?.state;
  if (c.keb && !ELIGIBLE_KEB_STATES.has(state ?? '')) return { reason: state || 'unknown', detail: `KEB state ${state || '(none)'}` };
  if (c.problem) return c.problem;
  if (c.shoot?.hibernated) return { reason: 'hibernated', detail: `shoot ${c.shoot.name} is hibernated although KEB says ${state}` };
  return undefined;
}

/** Resolves a target in one environment. Reads KEB and Gardener once each (both paged, in parallel). */
export async function resolveTargets(input: ResolveTargetsInput): Promise<Resolution> {
  const [kebRuntimes, shoots] = await Promise.all([
    input.keb.listRuntimes({ state: 'all' }),
    listShoots(input.gardener.client, input.gardener.namespace, { limit: input.gardener.limit }),
  ]);
  const eligible: ResolvedRuntime[] = [];
  const skipped: SkippedRuntime[] = [];
  const taken = new Set<string>();
  for (const c of join(shoots, kebRuntimes)) {
    const verdict = evaluate(input.spec, c.rt);
    if (verdict === 'none') continue;
    const skip = verdict === 'excluded' ? { reason: 'excluded', detail: 'matched by an --exclude selector' } : ineligibility(c);
    if (skip || taken.has(c.rt.runtimeId)) {
      skipped.push({ runtimeId: c.rt.runtimeId, shootName: c.rt.shootName, ...(skip ?? { reason: 'duplicate-shoot', detail: `runtime ${c.rt.runtimeId} listed twice` }) });
      continue;
    }
    taken.add(c.rt.runtimeId);
    eligible.push({ ...c.rt, kebState: c.keb!.status.state, ...(c.shoot?.maintenance && { maintenance: c.shoot.maintenance }) });
  }
  eligible.sort((a, b) => cmp(a.runtimeId, b.runtimeId));
  skipped.sort((a, b) => cmp(a.runtimeId, b.runtimeId) || cmp(a.shootName, b.shootName));
  const runtimes = input.sample === undefined ? eligible : sampleSpread(eligible, input.sample, input.seed ?? 1);
  const warnings = [...unknownPlanWarnings(input.spec)];
  const strange = [...new Set(kebRuntimes.map((k) => k.servicePlanName).filter((p) => p && !isKnownPlan(p)))].sort(cmp);
  if (strange.length) warnings.push(`KEB lists runtimes of plans this tool does not know: ${strange.join(', ')} (known: ${KNOWN_PLAN_NAMES.join(', ')}); they are resolved like any other`);
  return { env: input.env, target: input.spec.canonical, runtimes, skipped, eligible: eligible.length, warnings, counts: countsOf(runtimes) };
}

function countsOf(rts: ResolvedRuntime[]): Resolution['counts'] {
  const tally = (f: (r: ResolvedRuntime) => string) => {
    const m = new Map<string, number>();
    for (const r of rts) m.set(f(r), (m.get(f(r)) ?? 0) + 1);
    return Object.fromEntries([...m.entries()].sort(([a], [b]) => cmp(a, b)));
  };
  return { byRegion: tally((r) => r.region), byPlan: tally((r) => r.plan), byGlobalAccount: tally((r) => r.globalAccountId) };
}

/**
 * N runtimes spread over regions and plans: groups by (region, plan); each pick takes the next runtime of the
 * group whose region, then plan, then group has been picked least (ties broken by a seeded order). So N ≥ the
 * number of regions covers every region, and plans are spread within that. Returned sorted by runtime id.
 */
export function sampleSpread(rts: ResolvedRuntime[], n: number, seed: number): ResolvedRuntime[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`sample must be a non-negative integer, got ${n}`);
  if (n >= rts.length) return [...rts].sort((a, b) => cmp(a.runtimeId, b.runtimeId));
  const rand = seededRandom(seed);
  const groups = new Map<string, { region: string; plan: string; queue: ResolvedRuntime[]; rank: number; picked: number }>();
  for (const r of [...rts].sort((a, b) => cmp(a.runtimeId, b.runtimeId))) {
    const key = `${r.region}\u0000${r.plan}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { region: r.region, plan: r.plan, queue: [], rank: 0, picked: 0 }));
    g.queue.push(r);
  }
  const list = [...groups.entries()].sort(([a], [b]) => cmp(a, b)).map(([, g]) => g);
  for (const g of list) {
    shuffle(g.queue, rand);
    g.rank = rand();
  }
  const byRegion = new Map<string, number>();
  const byPlan = new Map<string, number>();
  const out: ResolvedRuntime[] = [];
  while (out.length < n) {
    let best: (typeof list)[number] | undefined;
    let bestKey: number[] = [];
    for (const g of list) {
      if (g.picked >= g.queue.length) continue;
      const key = [byRegion.get(g.region) ?? 0, byPlan.get(g.plan) ?? 0, g.picked, g.rank];
      if (!best || lexLess(key, bestKey)) {
        best = g;
        bestKey = key;
      }
    }
    if (!best) break;
    out.push(best.queue[best.picked++]);
    byRegion.set(best.region, (byRegion.get(best.region) ?? 0) + 1);
    byPlan.set(best.plan, (byPlan.get(best.plan) ?? 0) + 1);
  }
  return out.sort((a, b) => cmp(a.runtimeId, b.runtimeId));
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

function shuffle<T>(xs: T[], rand: () => number): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
}

/** A seeded uniform [0, 1) stream (pure-rand): the sample must be the same for the same seed, everywhere. */
export function seededRandom(seed: number): () => number {
  const rng = xoroshiro128plus(seed | 0);
  // Small seeds start low in entropy; skip the first outputs as the landscape generator does.
  for (let i = 0; i < 32; i++) rng.next();
  return () => uniformInt(rng, 0, 0xffffffff) / 4294967296;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
