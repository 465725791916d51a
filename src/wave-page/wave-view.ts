/**
 * What a wave's page shows, computed from the journal only (DESIGN.md §2: everything shown derives from it):
 * counts, progress per minute (done, in flight, platform failures against the budget), outcomes by region, plan and
 * global account, time from patch to Ready (percentiles per interval; start to result for runtimes this run did not
 * patch, apart), the concurrency limit now, its cause and its history, the non-Ready list with what to do, the
 * wave's customer tasks and the approval trail. No kubeconfig, token or secret is ever part of it: results hold none,
 * and only named fields are copied out of them.
 */
import type { Approval, Journal, WaveState } from '../journal/journal.js';
import { etaPaceStart, liveEtaSeconds } from '../rollout/eta.js';
import { waveBudget, type BudgetPolicy } from '../rollout/wave-budget.js';
import type { Outcome } from '../migration/outcomes.js';
import { istioCrLabel } from '../migration/istio-conflict.js';
import { patchToReadyMs, readLimit, readLimitHistory, type LimitPoint, type WaveLimit } from '../rollout/limit.js';
import { countRuntimes, effectiveState, waveSummary, type WaveSummary } from '../rollout/wave-status.js';

export interface TimelinePoint {
  /** Start of the interval (`bucketSeconds` long), epoch seconds. */
  t: number;
  /** Runtimes finished up to the end of this interval (cumulative). */
  done: number;
  /** Runtimes finished in this interval, as a rate per minute. */
  perMinute: number;
  /** Runtimes in flight at the end of this minute. */
  inFlight: number;
  /** Platform failures up to the end of this minute (cumulative). */
  failures: number;
  /**
   * Median and 90th percentile of patch-to-Ready seconds (the Kyma patch to the Manifest seen Ready) of the runtimes
   * this run patched and saw Ready, finished in this interval (null: none).
   */
  p50: number | null;
  p90: number | null;
  /** The same of start-to-result seconds, for the runtimes finished here that this run did not patch (null: none). */
  unpatchedP50: number | null;
  unpatchedP90: number | null;
}

export interface Breakdown {
  key: string;
  total: number;
  done: number;
  ok: number;
  customer: number;
  platform: number;
  skipped: number;
}

export interface NotReady {
  runtimeId: string;
  shootName: string;
  region: string;
  plan: string;
  globalAccountId: string;
  outcome: string;
  reason: string | null;
  detail: string | null;
  todo: string;
}

export interface WaveView extends WaveSummary {
  total: number;
  finished: number;
  platformFailures: number;
  budget: number;
  /** Length of a timeline interval: a minute, shorter for short waves, longer for long ones (≤ 240 points). */
  bucketSeconds: number;
  /** Estimated seconds to the end (rollout/eta.ts: the pace of the last ten minutes, as the Slack message); null when it cannot be told. */
  etaSeconds: number | null;
  timeline: TimelinePoint[];
  /** The running wave's concurrency limit now and why (null: not running, or nothing saved yet). */
  limitNow: WaveLimit | null;
  /** Each change of the limit or its cause, oldest first (bounded; empty for waves run before it was kept). */
  limitHistory: LimitPoint[];
  byRegion: Breakdown[];
  byPlan: Breakdown[];
  byAccount: Breakdown[];
  notReady: NotReady[];
  tasks: { taskId: string; runtimeId: string; shootName: string; state: string; globalAccountId: string; istioCrs: string }[];
  approvals: { approver: string; requestedBy: string; action: string; planHash: string; createdAt: string; expiresAt: string; usedAt: string | null; usedBy: string | null }[];
  generatedAt: string;
}

/** The states in which a wave's runner may hold a limit (as `status` reads it). */
const LIVE_STATES = new Set<WaveState>(['running', 'paused', 'draining']);

/** What to do about a runtime that did not end Ready, per outcome (the runbook's words). */
const TODO: Record<Exclude<Outcome, 'migrated' | 'already-migrated'>, string> = {
  'multiple-istio-crs': 'contact the customer (customer-contact task); once they agree, run the safe rename-to-default',
  'kyma-cr-missing': 'check the runtime in KEB; no Kyma CR in kyma-system, nothing was patched',
  'kyma-cr-ambiguous': 'old record: check which Kyma CR LM reads, then retry-failed',
  'module-template-missing': 'check the SKR catalog sync (ModuleTemplate for istio); retry-failed when it is there',
  timeout: 'LM did not finish in time: check the Manifest on KCP; retry-failed waits for it without patching twice',
  error: 'read the detail; a platform failure: fix the cause, then retry-failed',
  skipped: 'not eligible: nothing to do unless the reason changes',
};

function percentile(sorted: number[], q: number): number | null {
  if (!sorted.length) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 10) / 10;
}

function breakdown(rows: { key: string; cls: string | null }[]): Breakdown[] {
  const m = new Map<string, Breakdown>();
  for (const r of rows) {
    let b = m.get(r.key);
    if (!b) m.set(r.key, (b = { key: r.key, total: 0, done: 0, ok: 0, customer: 0, platform: 0, skipped: 0 }));
    b.total++;
    if (r.cls === null) continue;
    b.done++;
    if (r.cls === 'none') b.ok++;
    else if (r.cls === 'customer') b.customer++;
    else if (r.cls === 'platform') b.platform++;
    else b.skipped++;
  }
  return [...m.values()].sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
}

export interface WaveViewDeps {
  journal: Journal;
  /** The environment's budget (C4); the wave's own, when `resume --budget` raised it, wins (rollout/wave-budget.ts). */
  budget: BudgetPolicy;
  now?: () => number;
}

/** The view of one wave, or undefined when the journal has no such wave. */
export async function buildWaveView(deps: WaveViewDeps, waveId: string): Promise<WaveView | undefined> {
  const { journal } = deps;
  const now = deps.now?.() ?? Date.now();
  const wave = await journal.getWave(waveId);
  if (!wave) return undefined;
  const [runtimes, state, approvals, tasks, limitHistory] = await Promise.all([
    journal.listWaveRuntimes(waveId),
    effectiveState(journal, wave, now),
    journal.listApprovals(wave.planHash),
    journal.listTasks(),
    readLimitHistory(journal, waveId),
  ]);
  const limitNow = LIVE_STATES.has(state) ? ((await readLimit(journal, waveId)) ?? null) : null;
  const counts = countRuntimes(runtimes);
  const finished = runtimes.filter((r) => r.state === 'finished' && r.result);
  const platformFailures = finished.filter((r) => r.result!.class === 'platform').length;

  // Timeline from each result's start and finish (the journal's timestamps), in intervals of `bucket` seconds.
  const endMs = wave.finishedAt ? Date.parse(wave.finishedAt) : now;
  const spanS = Math.max(1, (endMs - Date.parse(wave.createdAt)) / 1000);
  const bucket = [1, 5, 10, 30, 60, 300, 900, 3600].find((b) => spanS / b <= 240) ?? 3600;
  const startMin = Math.floor(Date.parse(wave.createdAt) / 1000 / bucket);
  const endMin = Math.max(startMin, Math.floor(endMs / 1000 / bucket));
  const minutes = endMin - startMin + 1;
  const doneIn = new Array<number>(minutes).fill(0);
  const failIn = new Array<number>(minutes).fill(0);
  const startIn = new Array<number>(minutes).fill(0);
  const durations: number[][] = Array.from({ length: minutes }, () => []);
  const unpatched: number[][] = Array.from({ length: minutes }, () => []);
  const idx = (iso: string) => Math.min(minutes - 1, Math.max(0, Math.floor(Date.parse(iso) / 1000 / bucket) - startMin));
  for (const r of finished) {
    const res = r.result!;
    const f = idx(res.finishedAt);
    doneIn[f]++;
    if (res.class === 'platform') failIn[f]++;
    if (res.class !== 'not-eligible') {
      startIn[idx(res.startedAt)]++;
      const ms = patchToReadyMs(res);
      if (ms !== undefined) durations[f].push(ms / 1000);
      // Patched but not Ready (a timeout, an error after the patch) has no patch-to-Ready time: it counts as a failure.
      else if (!res.patched) unpatched[f].push(res.durationMs / 1000);
    }
  }
  // In flight at the end of a minute: started (skipped ones never start) and not yet finished; the runtimes running
  // now count at the last minute (their start is not journaled until they finish).
  const skipIn = new Array<number>(minutes).fill(0);
  for (const r of finished) if (r.result!.class === 'not-eligible') skipIn[idx(r.result!.finishedAt)]++;
  const running = runtimes.length - finished.length - counts.pending;
  const timeline: TimelinePoint[] = [];
  let done = 0;
  let failures = 0;
  let started = 0;
  let skipped = 0;
  for (let i = 0; i < minutes; i++) {
    done += doneIn[i];
    failures += failIn[i];
    started += startIn[i];
    skipped += skipIn[i];
    const sorted = durations[i].sort((a, b) => a - b);
    const sortedU = unpatched[i].sort((a, b) => a - b);
    timeline.push({
      t: (startMin + i) * bucket,
      done,
      perMinute: Math.round((doneIn[i] * 60 * 10) / bucket) / 10,
      inFlight: Math.max(0, started - (done - skipped)) + (i === minutes - 1 ? running : 0),
      failures,
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      unpatchedP50: percentile(sortedU, 0.5),
      unpatchedP90: percentile(sortedU, 0.9),
    });
  }

  const paceStart = etaPaceStart(now, Date.parse(wave.createdAt));
  const finishedInPace = finished.filter((r) => Date.parse(r.result!.finishedAt) >= paceStart).length;
  const etaSeconds = liveEtaSeconds({ state, left: counts.pending + running, finishedInPace, now, paceStart });

  const cls = (r: (typeof runtimes)[number]) => (r.state === 'finished' && r.result ? r.result.class : null);
  const notReady: NotReady[] = finished
    .filter((r) => r.result!.outcome !== 'migrated' && r.result!.outcome !== 'already-migrated')
    .map((r) => {
      const res = r.result!;
      return {
        runtimeId: r.runtimeId,
        shootName: r.runtime.shootName,
        region: r.runtime.region,
        plan: r.runtime.plan,
        globalAccountId: r.runtime.globalAccountId,
        outcome: res.outcome,
        reason: res.reason,
        detail: res.detail,
        todo: TODO[res.outcome as keyof typeof TODO] ?? '',
      };
    });
  const ids = new Set(runtimes.map((r) => r.runtimeId));
  return {
    ...waveSummary(wave, state, counts),
    total: runtimes.length,
    finished: finished.length,
    platformFailures,
    budget: await waveBudget(journal, deps.budget, wave, runtimes.length),
    bucketSeconds: bucket,
    etaSeconds,
    timeline,
    limitNow,
    limitHistory,
    byRegion: breakdown(runtimes.map((r) => ({ key: r.runtime.region, cls: cls(r) }))),
    byPlan: breakdown(runtimes.map((r) => ({ key: r.runtime.plan, cls: cls(r) }))),
    byAccount: breakdown(runtimes.map((r) => ({ key: r.runtime.globalAccountId, cls: cls(r) }))),
    notReady,
    tasks: tasks
      .filter((t) => t.waveId === waveId || (t.waveId === null && ids.has(t.runtimeId)))
      .map((t) => ({ taskId: t.taskId, runtimeId: t.runtimeId, shootName: t.shootName, state: t.state, globalAccountId: t.globalAccountId, istioCrs: t.istioCrs.map((c) => `${istioCrLabel(c)}=${c.state ?? '?'}`).join(', ') })),
    approvals: approvals.map((a: Approval) => ({ approver: a.approver, requestedBy: a.requestedBy, action: a.action, planHash: a.planHash, createdAt: a.createdAt, expiresAt: a.expiresAt, usedAt: a.usedAt ?? null, usedBy: a.usedBy ?? null })),
    generatedAt: new Date(now).toISOString(),
  };
}
