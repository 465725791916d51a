/**
 * A wave plan (DESIGN.md §5, C5): resolve the targets, preflight the environment, count, estimate, and hash.
 * The hash is sha256 over canonical JSON of env, sorted runtime ids, excludes, concurrency, budgets, the budget
 * guard's α, deadlines and the preflight's template versions, so an approval covers exactly what was shown.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { KubeClient, RequestCounter } from '../clients/kube-client.js';
import type { EnvName } from '../config/config.js';
import type { PlannedRuntime } from '../journal/journal.js';
import { parseTargets } from '../targets/selector.js';
import { resolveTargets } from '../targets/resolve.js';
import { expectedConcurrency, type ExpectedConcurrency, type GuardPrior } from './budget-guard.js';
import { landscapeReaders } from './landscape-readers.js';
import type { PlanPorts } from './ports.js';
import { preflight, type Preflight } from './preflight.js';
import type { WindowsPolicy } from '../config/schedule.js';
import { calendarOf } from './freeze-calendar.js';
import { forecastSchedule, type ScheduleForecast } from './window-forecast.js';

/** A runtime of a plan: what the journal stores per planned runtime, instance id included. */
export type PlanRuntime = Required<Omit<PlannedRuntime, 'maintenance'>> & Pick<PlannedRuntime, 'maintenance'>;

export interface PlanDocument {
  hash: string;
  env: EnvName;
  /** The target in canonical form (selectors, sets expanded): what the runbook and verify compare. */
  target: string;
  /**
   * The target as typed (`kyma-test`, `kyma-test except region=eu-.*`), for titles; not part of the hash. Absent in
   * plans stored before it existed.
   */
  title?: string;
  runtimes: PlanRuntime[];
  skipped: { runtimeId: string; reason: string; detail?: string }[];
  preflight: Preflight;
  /** The requested concurrency (at most this many in flight). */
  concurrency: number;
  /** What the budget guard allows at the start and how the wave ramps up (C4). */
  expectedConcurrency: ExpectedConcurrency;
  /** Expected wall time in seconds. */
  eta: number;
  /**
   * The time of one runtime the ETA assumes: measured on the environment's last ended wave (or the one before it in
   * the runbook; runtime-pace.ts), else LM's usual minute (`waveId` absent). Absent in plans stored before it existed.
   */
  etaBasis?: { perRuntimeSeconds: number; waveId?: string; runtimes?: number };
  budget: number;
  /** The budget guard's α (C4; part of the hash). */
  alpha: number;
  /** The history the guard starts from (weighted successes and failures of earlier waves). */
  history: GuardPrior;
  deadlineSeconds: number;
  excludes: string[];
  sample: number | null;
  counts: { byRegion: Record<string, number>; byPlan: Record<string, number>; byGlobalAccount: Record<string, number> };
  /** Warnings of the resolution (unknown plan names); absent in plans stored before they existed. */
  warnings?: string[];
  /** The environment's maintenance-window policy; absent for `ignore` (then not in the hash either). */
  windows?: WindowsPolicy;
  /** Windows and freeze calendar: when runtimes start, the calendar entries met (window-forecast.ts); absent when neither applies. */
  schedule?: ScheduleForecast;
}

export interface PlanInput {
  env: EnvName;
  specs: string[];
  excludes?: string[];
  sample?: number;
  concurrency?: number;
  /** Deadline of resolution and preflight (default PLAN_DEADLINE_MS, or $ISTIO_MIGRATE_PLAN_DEADLINE_MS). */
  deadlineMs?: number;
  /**
   * Re-resolve a stored list (`run --plan` of a sampled plan): the runtimes are the eligible ones among these ids,
   * not a new sample (`sample` is only recorded). Ids that are no longer eligible are left out, so the hash differs.
   */
  only?: string[];
  /** The plan's time (windows and calendar are forecast from it); default now. */
  now?: number;
}

/** JSON with sorted keys: equal content, equal hash. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function planHash(p: Pick<PlanDocument, 'env' | 'runtimes' | 'excludes' | 'concurrency' | 'budget' | 'alpha' | 'deadlineSeconds' | 'preflight' | 'windows'>): string {
  return createHash('sha256')
    .update(
      canonical({
        env: p.env,
        runtimeIds: p.runtimes.map((r) => r.runtimeId).sort(),
        excludes: [...p.excludes].sort(),
        concurrency: p.concurrency,
        budget: p.budget,
        alpha: p.alpha,
        deadlineSeconds: p.deadlineSeconds,
        templates: p.preflight.templates.map((t) => `${t.channel}:${t.name}:${t.version}`).sort(),
        windows: p.windows === 'ignore' ? undefined : p.windows, // absent for ignore: the hashes of before windows existed
      }),
    )
    .digest('hex');
}

function countRuntimes(rts: PlanRuntime[]): PlanDocument['counts'] {
  const counts: PlanDocument['counts'] = { byRegion: {}, byPlan: {}, byGlobalAccount: {} };
  for (const r of rts) {
    counts.byRegion[r.region] = (counts.byRegion[r.region] ?? 0) + 1;
    counts.byPlan[r.plan] = (counts.byPlan[r.plan] ?? 0) + 1;
    counts.byGlobalAccount[r.globalAccountId] = (counts.byGlobalAccount[r.globalAccountId] ?? 0) + 1;
  }
  return counts;
}

/** How long resolution and preflight may take before `plan` gives up with a clear error. */
export const PLAN_DEADLINE_MS = 10_000;

/** Resolution and preflight did not end within the deadline (a slow landscape, or a very large one). */
export class PlanDeadlineError extends Error {
  readonly code = 'plan-deadline';
  constructor(
    readonly env: string,
    readonly ms: number,
  ) {
    super(`planning in ${env} did not finish within ${ms / 1000} s (KEB, Gardener or KCP answered too slowly): nothing was planned; try again, or narrow the target, e.g. region=eu-.*`);
    this.name = 'PlanDeadlineError';
  }
}

/** Rough duration of one runtime without history: LM takes about a minute in real time (scaled on a simulated landscape). */
function defaultRuntimeSeconds(services: PlanPorts): number {
  return 60 * services.config.timeScale;
}

const excludesOf = (input: PlanInput) => input.excludes ?? [];

export async function planWave(services: PlanPorts, input: PlanInput): Promise<PlanDocument> {
  const envCfg = services.envConfig(input.env);
  const spec = parseTargets({ specs: input.specs, excludes: input.excludes ?? [], namedSets: envCfg.targets });
  const counter = new RequestCounter();
  const throttle = services.throttle(input.env);
  const kcp = new KubeClient(await readFile(envCfg.kcp.kubeconfig, 'utf8'), { system: 'kcp', counter, throttle });
  const readers = await landscapeReaders(services, input.env, counter);
  const deadlineMs = input.deadlineMs ?? (Number(process.env.ISTIO_MIGRATE_PLAN_DEADLINE_MS) || PLAN_DEADLINE_MS);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new PlanDeadlineError(input.env, deadlineMs)), deadlineMs)));
  const work = Promise.all([
    resolveTargets({ env: input.env, spec, ...readers, sample: input.only ? undefined : input.sample }),
    preflight(kcp, envCfg.reconciliationDisabled),
  ]);
  work.catch(() => undefined); // given up on after the deadline: its late failure is not unhandled
  const [resolution, pre] = await Promise.race([work, late]).finally(() => clearTimeout(timer));
  const only = input.only ? new Set(input.only) : null;
  const windows = envCfg.windows ?? 'ignore';
  const runtimes: PlanRuntime[] = resolution.runtimes.filter((r) => !only || only.has(r.runtimeId)).map((r) => ({
    runtimeId: r.runtimeId,
    shootName: r.shootName,
    globalAccountId: r.globalAccountId,
    subaccountId: r.subaccountId,
    plan: r.plan,
    region: r.region,
    instanceId: r.instanceId,
    ...(windows !== 'ignore' && r.maintenance && { maintenance: r.maintenance }),
  }));
  const concurrency = input.concurrency ?? services.concurrency(input.env);
  const budget = services.budget(input.env, runtimes.length);
  const alpha = services.alpha(input.env);
  const history = await services.guardPrior(input.env);
  const pace = await services.runtimePace(input.env);
  const perRuntimeSeconds = pace?.seconds ?? defaultRuntimeSeconds(services);
  const expected = expectedConcurrency({ runtimes: runtimes.length, budget, alpha, requested: concurrency, prior: history });
  const deadlineSeconds = envCfg.limits.deadlineSeconds ?? services.config.timing.deadlineSeconds;
  const excludes = input.excludes ?? [];
  const schedule = forecastSchedule({ runtimes, env: input.env, windows, calendar: calendarOf(services.config.calendar), now: input.now ?? Date.now(), concurrency: expected.atStart, perRuntimeMs: perRuntimeSeconds * 1000, deadlineMs: deadlineSeconds * 1000 });
  const doc: Omit<PlanDocument, 'hash'> = {
    env: input.env,
    target: spec.canonical,
    title: `${input.specs.join(' ')}${excludesOf(input).length ? ` except ${excludesOf(input).join(' ')}` : ''}`,
    runtimes,
    skipped: resolution.skipped.map((s) => ({ runtimeId: s.runtimeId, reason: s.reason, detail: s.detail })),
    preflight: pre,
    concurrency,
    expectedConcurrency: expected,
    eta: schedule?.eta ?? Math.ceil(expected.rounds * perRuntimeSeconds),
    etaBasis: pace ? { perRuntimeSeconds, waveId: pace.waveId, runtimes: pace.runtimes } : { perRuntimeSeconds },
    budget,
    alpha,
    history,
    deadlineSeconds,
    excludes,
    sample: input.sample ?? null,
    counts: only ? countRuntimes(runtimes) : resolution.counts,
    warnings: resolution.warnings,
    ...(windows !== 'ignore' && { windows }),
    ...(schedule && { schedule }),
  };
  return { hash: planHash(doc), ...doc };
}
