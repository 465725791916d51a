/**
 * The wave runner (DESIGN.md §5, C4, C5): runs a wave's pending runtimes through `migrateRuntime` with p-queue
 * at the wave's concurrency, under the error budget, obeying pause / drain / abort / set-concurrency / freeze
 * given through the journal (so another process can steer it within a second), and journaling every
 * checkpoint so that a crash at any moment can be resumed: finished runtimes are left alone, in-flight ones
 * are re-checked by state and never patched twice.
 *
 * Progress is an event stream (`WaveEvents`) for the chat layer; the journal stays the source of truth.
 */
import { EventEmitter, setMaxListeners } from 'node:events';
import PQueue from 'p-queue';
import type { Journal, Wave, WaveRuntime, WaveState } from '../journal/journal.js';
import type { Throttle } from '../clients/kube-client.js';
import { migrateRuntime, type MigrateOptions } from '../migration/migrate-runtime.js';
import type { MigrationResult } from '../migration/result.js';
import { allowedInFlight, NO_PRIOR, type GuardDecision, type GuardPrior } from './budget-guard.js';
import type { GlobalBudget } from './global-budget.js';
import { isFrozen } from './freeze.js';
import { limitCause, patchToReadyMs, saveLimit, type WaveLimit } from './limit.js';
import { LmLimiter, type LimiterOptions } from './lm-limiter.js';
import { JournalUnavailableError, RuntimeWriteRefusedError } from '../journal/errors.js';
import { newRunnerHolder } from './runner-identity.js';
import { LeaseRenewal } from './lease-renewal.js';
import { KcpSkipList } from './kcp-skip-list.js';
import { kcpClient, KubeconfigBatch } from './kubeconfig-batch.js';
import { ManifestWatch } from './manifest-watch.js';
import { istioManifestName } from '../migration/resources.js';
import { StartGate, type Schedule } from './start-gate.js';
import { systemClock, type Clock } from './clock.js';
import { waveStart, type WaveStart } from './wave-status.js';
import { withEarlierPatch } from './earlier-patch.js';
import { finishIneligible, type EligibilityRecheck } from './eligibility-recheck.js';

export type WaveEvent =
  | { type: 'wave-started'; waveId: string; start: WaveStart }
  | { type: 'runtime-started'; waveId: string; runtimeId: string }
  | { type: 'runtime-finished'; waveId: string; runtimeId: string; result: MigrationResult }
  /** `scope`: whose budget stopped the wave — its own, or the global one (then `failures`/`budget` are global). */
  | { type: 'budget-stopped'; waveId: string; failures: number; budget: number; scope: 'wave' | 'global' }
  | { type: 'state'; waveId: string; state: WaveState }
  /** The limit on runtimes in flight changed, or its cause did (limit.ts): what the live message and `status` show. */
  | { type: 'limit'; waveId: string; limit: WaveLimit }
  | { type: 'wave-finished'; waveId: string; state: WaveState };

/**
 * The in-process wave event stream, and the process's graceful stop: `stopAll()` (SIGTERM) stops every runner
 * following this stream as `RunnerDeps.stop` would — so that waves started through any command stop too.
 */
export class WaveEvents extends EventEmitter<{ event: [WaveEvent] }> {
  private readonly stopping = new AbortController();
  /** The lease holders of the runners alive in this process (whether a holder of this process still runs). */
  readonly runners = new Set<string>();

  /** Fires when the process stops taking work (see `RunnerDeps.stop`). */
  get stopSignal(): AbortSignal {
    return this.stopping.signal;
  }

  stopAll(reason: unknown = new Error('the process is stopping')): void {
    this.stopping.abort(reason);
  }
}

/** Access to one environment's remote systems, read from the config once per wave. */
export interface EnvAccess {
  kcpKubeconfig: string;
  gardener?: { kubeconfig: string; namespace: string };
  deadlineMs: number;
  pollIntervalMs: number;
  onConflict: 'hold' | 'proceed';
  /** Maintenance-window policy and freeze calendar (start-gate.ts); unset: start whenever the queue reaches a runtime. */
  schedule?: Schedule;
}

export interface RunnerDeps {
  journal: Journal;
  access: EnvAccess;
  /** The wave's error budget (already resolved to a count, C4). */
  budget: number;
  /**
   * The budget guard's α (C4): a runtime starts only while P(Binomial(n, p) > budget − f) ≤ α. Default 0: the strict
   * rule (failures + in flight ≤ budget); the commands pass the environment's α (0.01, Prod 0.001).
   */
  alpha?: number;
  /** Weighted history of earlier waves for the guard's failure rate (C4); none by default. */
  prior?: GuardPrior;
  /**
   * Follow Lifecycle Manager's pace (lm-limiter.ts): lower the limit when patch → Manifest Ready latency grows or
   * 429/5xx answers appear. Default off; the commands turn it on.
   */
  adaptive?: boolean | Omit<LimiterOptions, 'max'>;
  /**
   * The global error budget over every wave running in this process (config `globalBudget`); unset: only the
   * wave's own budget applies. The wave joins it while it runs.
   */
  globalBudget?: GlobalBudget;
  /**
   * This process (`host:pid`, `processHolder()`); the runner's lease holder is this plus a part of its own
   * (`newRunnerHolder`), so that two runners of one process are two holders.
   */
  holder: string;
  /** Take the lease over from this holder even before it lapses: the caller found that runner dead. */
  takeOverFrom?: string;
  /** Runtimes not started yet that are no longer eligible (a wave run again: eligibility-recheck.ts); unset: none asked. */
  recheck?: EligibilityRecheck;
  /** `retry-failed` put the wave's failed runtimes back: its start is told as a retry (`WaveStart`), not as a resume. */
  retry?: boolean;
  events?: WaveEvents;
  throttle?: Throttle;
  /**
   * From how many runtimes to start on the wave watches their istio Manifests with one stream (manifest-watch.ts)
   * rather than one watch each (a smaller wave would pay more for listing every Manifest). Default 50.
   */
  sharedManifestWatchFrom?: number;
  /** How often the runner reads control commands from the journal. */
  controlIntervalMs?: number;
  /** Injected for tests of the runner's own logic; defaults to the real migration. */
  migrate?: (o: MigrateOptions) => Promise<MigrationResult>;
  leaseTtlMs?: number;
  /**
   * Graceful stop (SIGTERM): no new starts, in-flight runtimes are aborted (their checkpoints stay, so a resume
   * re-checks them by state), the wave becomes `interrupted` and its lease is released for the next process.
   * `events.stopSignal` acts the same.
   */
  stop?: AbortSignal;
  /** Time for the window and calendar decisions and the control loop's pace (tests: a ManualClock); default the real one. */
  clock?: Clock;
}

export class LeaseHeldError extends Error {
  readonly code = 'lease-held';
  constructor(
    readonly waveId: string,
    readonly holder: string,
    readonly expiresAt: string,
  ) {
    super(`wave ${waveId} is being run by ${holder} (lease until ${expiresAt}); not starting a second runner`);
  }
}

const IN_FLIGHT = new Set(['running', 'before-patch', 'patched']);

/** Runs (or resumes) a wave until it finishes, is aborted, drained or stopped by its budget. */
export async function runWave(deps: RunnerDeps, waveId: string): Promise<Wave> {
  const { journal } = deps;
  const ttl = deps.leaseTtlMs ?? 15_000;
  const holder = newRunnerHolder(deps.holder);
  const lease = await journal.acquireLease(waveId, holder, ttl, { takeOverFrom: deps.takeOverFrom });
  if (lease.holder !== holder) throw new LeaseHeldError(waveId, lease.holder, lease.expiresAt);
  deps.events?.runners.add(holder);
  try {
    return await runHeld(deps, waveId, holder, ttl);
  } catch (e) {
    // The journal is gone: say which wave stopped and how to continue it (JournalUnavailableError's message).
    if (e instanceof JournalUnavailableError && !e.waveId) throw e.forWave(waveId);
    throw e;
  } finally {
    deps.events?.runners.delete(holder);
  }
}

async function runHeld(deps: RunnerDeps, waveId: string, holder: string, ttl: number): Promise<Wave> {
  const { journal } = deps;
  const emit = (e: WaveEvent) => deps.events?.emit('event', e);
  const migrate = deps.migrate ?? migrateRuntime;
  const controlInterval = deps.controlIntervalMs ?? 250;
  const clock = deps.clock ?? systemClock;

  let wave = (await journal.getWave(waveId))!;
  const all = await journal.listWaveRuntimes(waveId);
  const start = waveStart(wave.state, all, deps.retry);
  const pending: WaveRuntime[] = [
    // In-flight ones first: they are re-checked by state (never patched twice, C5).
    ...all.filter((r) => IN_FLIGHT.has(r.state)),
    ...all.filter((r) => r.state === 'pending'),
  ];
  // A wave run again: runtimes not started that are no longer eligible end skipped, never started.
  for (const result of deps.recheck ? await finishIneligible(journal, waveId, holder, pending, deps.recheck) : []) {
    pending.splice(pending.findIndex((r) => r.runtimeId === result.runtimeId), 1);
    emit({ type: 'runtime-finished', waveId, runtimeId: result.runtimeId!, result });
  }
  // KCP reads for the whole wave rather than per runtime: skip-reconciliation with one list and watch, the kubeconfig
  // secrets in batches of the runtimes next in line, the istio Manifests with one watch.
  // Aborted when the wave stops (a stop, abort, a lost lease, a failure): every runtime in flight and the wave's
  // own KCP reads end there. Every runtime in flight listens on this one signal (hundreds at high concurrency).
  const abort = new AbortController();
  setMaxListeners(0, abort.signal);
  const kcp = kcpClient(deps.access.kcpKubeconfig, deps.throttle, abort.signal);
  const skipList = KcpSkipList.of(kcp);
  const kubeconfigs = kcp && new KubeconfigBatch(kcp, function* () {
    for (const r of pending) yield r.runtimeId;
  });
  let manifests = kcp && pending.length >= (deps.sharedManifestWatchFrom ?? 50) ? new ManifestWatch(kcp, new Set(pending.map((r) => istioManifestName(r.runtimeId)))) : undefined;
  if (manifests && !(await manifests.start())) manifests = undefined;
  let failures = all.filter((r) => r.state === 'finished' && r.result?.class === 'platform').length;
  // C4: finished runtimes not failed on the platform side (customer outcomes included). Not-eligible ones (skipped,
  // dry-run) are no evidence about the failure rate: they count on neither side.
  let successes = all.filter((r) => r.state === 'finished' && (r.result?.class === 'none' || r.result?.class === 'customer')).length;
  const alpha = deps.alpha ?? 0;
  const prior = deps.prior ?? NO_PRIOR;
  // The guard's decision, recomputed when a runtime finishes or the requested concurrency changes.
  let decision: GuardDecision | undefined;
  let decisionMax = 0;
  const guard = (max: number): GuardDecision => {
    if (!decision || decisionMax !== max) {
      decisionMax = max;
      decision = allowedInFlight({ s: successes + prior.s, f: failures + prior.f, waveFailures: failures, budget: deps.budget, alpha, max });
    }
    return decision;
  };
  const limiter = deps.adaptive ? new LmLimiter({ max: Math.max(1, wave.concurrency), ...(typeof deps.adaptive === 'object' ? deps.adaptive : {}) }) : undefined;
  const gate = new StartGate(deps.access.schedule, wave.env, deps.access.deadlineMs, clock);
  let shown: WaveLimit | undefined;
  let shownAt = 0;
  /** Tells the limit (event and journal): at once when it or its cause changes, the in-flight count once a second. */
  const show = async (now: WaveLimit) => {
    if (shown && shown.limit === now.limit && shown.cause === now.cause && (shown.inFlight === now.inFlight || Date.now() - shownAt < 1000)) return;
    shown = now;
    shownAt = Date.now();
    emit({ type: 'limit', waveId, limit: now });
    await saveLimit(journal, waveId, now);
  };
  await journal.setWaveState(waveId, 'running');
  if (wave.control === 'pause') await journal.setWaveState(waveId, 'paused');
  emit({ type: 'wave-started', waveId, start });

  const queue = new PQueue({ concurrency: Math.max(1, wave.concurrency) });
  let inFlight = 0;
  let failed: unknown;
  let wake: () => void = () => undefined;
  const nudge = () => wake();
  const stops = [deps.stop, deps.events?.stopSignal].filter((sig): sig is AbortSignal => !!sig);
  const stop = stops.length ? AbortSignal.any(stops) : undefined;
  const onStop = () => {
    abort.abort(stop!.reason);
    nudge();
  };

  if (stop?.aborted) abort.abort(stop.reason);
  else stop?.addEventListener('abort', onStop, { once: true });

  // Renewed while the runner runs; a renewal that finds another holder stops it at once (lease-renewal.ts).
  const renewal = new LeaseRenewal(journal, waveId, holder, ttl, (l) => {
    abort.abort(new LeaseHeldError(waveId, l.holder, l.expiresAt));
    nudge();
  });

  const runOne = async (r: WaveRuntime) => {
    const resumeAfterPatch = r.state === 'before-patch' || r.state === 'patched';
    inFlight++;
    let platformFailure = false;
    let evidence = false; // a result that counts for the guard (not aborted, not not-eligible)
    try {
      if (abort.signal.aborted) return; // stopped between queueing and starting: it stays pending
      await journal.startRuntime(waveId, r.runtimeId, holder);
      emit({ type: 'runtime-started', waveId, runtimeId: r.runtimeId });
      const migrated = await migrate({
        runtimeId: r.runtimeId,
        kcpKubeconfig: deps.access.kcpKubeconfig,
        kcpSkipReconciliation: () => skipList.labelled(r.runtimeId),
        kcpSecretKubeconfig: await kubeconfigs?.take(r.runtimeId),
        manifests,
        gardener: deps.access.gardener ? { ...deps.access.gardener, shootName: r.runtime.shootName } : undefined,
        deadlineMs: deps.access.deadlineMs,
        pollIntervalMs: deps.access.pollIntervalMs,
        onConflict: deps.access.onConflict,
        signal: abort.signal,
        throttle: deps.throttle,
        onRemoteError: limiter ? (_system, kind, status) => (kind === 'throttled' || (status !== undefined && status >= 500)) && limiter.overload() : undefined,
        resumeAfterPatch,
        onCheckpoint: (c) => journal.checkpoint(waveId, r.runtimeId, c, holder),
      });
      const result = await withEarlierPatch(journal, waveId, migrated);
      await journal.finishRuntime(waveId, r.runtimeId, result, holder);
      if (result.class === 'platform') {
        failures++;
        platformFailure = true;
      } else if (result.class !== 'not-eligible') successes++;
      evidence = result.class !== 'not-eligible';
      decision = undefined;
      const latency = limiter && patchToReadyMs(result);
      if (limiter && latency !== undefined) limiter.sample(latency, inFlight);
      if (result.outcome === 'multiple-istio-crs') {
        await journal.openTask({
          runtimeId: r.runtimeId,
          waveId,
          env: wave.env,
          globalAccountId: r.runtime.globalAccountId,
          subaccountId: r.runtime.subaccountId,
          shootName: r.runtime.shootName,
          istioCrs: (result.inventoryAfter.length ? result.inventoryAfter : result.inventoryBefore).map((c) => ({ name: c.name, namespace: c.namespace, createdAt: c.createdAt, state: c.state })),
          message: result.message,
        });
      }
      emit({ type: 'runtime-finished', waveId, runtimeId: r.runtimeId, result });
    } catch (e) {
      // Aborted: the checkpoint stays as it was; a resume re-checks this runtime by state. Anything else (a
      // journal write failed, a bug) ends the wave: it is rethrown by the loop below rather than left as an
      // unhandled rejection of the fire-and-forget queue task, which would kill the process.
      if (e instanceof RuntimeWriteRefusedError && e.reason === 'not-lease-holder') {
        // Another runner holds the wave now (this one stalled past its lease): stop as for a lost renewal.
        if (!renewal.lostTo) {
          const l = await journal.getLease(waveId).catch(() => undefined);
          const lostTo = (renewal.lostTo = l ?? { waveId, holder: '(none)', expiresAt: new Date().toISOString() });
          abort.abort(new LeaseHeldError(waveId, lostTo.holder, lostTo.expiresAt));
        }
      } else if (!abort.signal.aborted) {
        failed ??= e;
        abort.abort(e);
      }
    } finally {
      inFlight--;
      global?.finished(platformFailure, evidence); // reserved by the start loop below
      nudge();
    }
  };

  let final = 'interrupted' as WaveState; // every way out of the loop below sets it, or throws after it
  let stoppedBy = 'wave' as 'wave' | 'global';
  let globalUsage: { failures: number; budget: number } | undefined;
  // Joined here, right before the try whose finally leaves it; runOne only runs from inside that try.
  const global = deps.globalBudget?.join(waveId, all.length, failures, { alpha, successes, prior });
  // Another wave's runtime finished or a wave left the global ledger: this wave may start again.
  const offGlobal = deps.globalBudget?.onChange(nudge);
  try {
    try {
      await loop();
    } catch (e) {
      // A journal read or write of the loop failed (the journal is unreachable, …): start nothing more, stop the
      // runtimes in flight at their checkpoints, and end with that error below once they have stopped.
      failed ??= e;
      abort.abort(e);
    }
    await queue.onIdle();
  } finally {
    await renewal.settle();
    await manifests?.stop();
    await skipList.stop();
    stop?.removeEventListener('abort', onStop);
    offGlobal?.();
    // Also when the loop threw: a wave stopped by a budget keeps its failures counted (the global budget stays
    // spent for the other waves); any other end frees its share.
    global?.leave(final === 'budget-stopped');
  }
  function launch(next: WaveRuntime): void {
    kubeconfigs?.expect(next.runtimeId);
    global?.started(); // released by runOne's finally
    inFlight++; // counted now so the loop sees it; runOne counts it again, so undone when it starts
    void queue.add(() => (inFlight--, runOne(next)));
  }
  /** Paused or draining: the runtimes a crashed runner left in flight are in flight still, and finish (re-checked). */
  function finishLeftInFlight(): void {
    while (pending.length && IN_FLIGHT.has(pending[0].state)) launch(pending.shift()!);
  }
  async function loop(): Promise<void> {
    let lastControl = 0;
    let frozen = false;
    while (true) {
      // Control commands and freezes, read at most once per control interval (they act within it), not at every
      // runtime's end.
      if (clock.now() - lastControl >= controlInterval) {
        lastControl = clock.now();
        wave = (await journal.getWave(waveId))!;
        frozen = await isFrozen(journal, wave.env);
        if (wave.concurrency !== queue.concurrency) {
          queue.concurrency = Math.max(1, wave.concurrency);
          limiter?.setMax(queue.concurrency);
        }
      }
      gate.tick(); // the calendar and the windows: which runtimes may start now
      if (renewal.lostTo || failed !== undefined) break;
      if (stop?.aborted) break; // final stays `interrupted`
      if (wave.control === 'abort') {
        final = 'aborted';
        abort.abort(new Error(`wave ${waveId} aborted`));
        break;
      }
      if (wave.control === 'drain') {
        if (wave.state !== 'draining') {
          await journal.setWaveState(waveId, (wave.state = 'draining'));
          emit({ type: 'state', waveId, state: 'draining' });
        }
        finishLeftInFlight();
        if (inFlight === 0) {
          final = 'finished';
          break;
        }
        await show({ inFlight, limit: shown?.limit ?? queue.concurrency, requested: queue.concurrency, cause: 'draining: nothing new starts; the runtimes in flight finish' });
      } else if (wave.control === 'pause' || frozen) {
        if (wave.state !== 'paused') {
          await journal.setWaveState(waveId, (wave.state = 'paused'));
          emit({ type: 'state', waveId, state: 'paused' });
        }
        finishLeftInFlight();
        await show({ inFlight, limit: shown?.limit ?? queue.concurrency, requested: queue.concurrency, cause: `${frozen ? 'frozen' : 'paused'}: nothing new starts; the runtimes in flight finish` });
      } else {
        if (wave.state !== 'running') {
          await journal.setWaveState(waveId, (wave.state = 'running'));
          emit({ type: 'state', waveId, state: 'running' });
        }
        // C4: a new runtime starts only while the budget guard allows one more in flight — the wave's own and the
        // global one over all running waves (checked and reserved with no await in between) — and within the
        // requested concurrency and LM's pace (the limiter).
        const g = guard(queue.concurrency);
        const limit = Math.min(queue.concurrency, g.limit, limiter?.limit ?? Infinity);
        let taken: WaveRuntime | undefined;
        while (pending.length && inFlight < limit && (global?.canStart() ?? true) && (taken = gate.take(pending))) launch(taken);
        const waiting = pending.length && inFlight < limit ? gate.waiting(pending) : undefined;
        const now: WaveLimit = { inFlight, limit, requested: queue.concurrency, ...(waiting && { waiting: { runtimes: waiting.runtimes, nextStart: waiting.nextStart } }), cause: waiting?.text ?? limitCause({ requested: queue.concurrency, guard: g, limiter, globalHeld: !!pending.length && inFlight < limit && !!global && !global.canStart() }) };
        await show(now);
        if (!pending.length && inFlight === 0) {
          final = 'finished';
          break;
        }
        if (failures >= deps.budget && inFlight === 0) {
          final = 'budget-stopped';
          break;
        }
        // The global budget spent by failures (of this wave or others): end as for the wave's own budget.
        if (global?.exhausted() && inFlight === 0) {
          final = 'budget-stopped';
          stoppedBy = 'global';
          globalUsage = global.usage(); // as it stopped the wave
          break;
        }
      }
      await Promise.race([new Promise<void>((resolve) => (wake = resolve)), clock.sleep(controlInterval)]);
    }
  }
  if (shown) await saveLimit(journal, waveId, null).catch(() => undefined); // only a running wave has a limit to show
  // Lost the lease: the new holder owns the wave's state now; touch nothing. In-flight runtimes stay at their
  // checkpoints, which the new holder re-checks.
  if (renewal.lostTo) throw new LeaseHeldError(waveId, renewal.lostTo.holder, renewal.lostTo.expiresAt);
  if (failed !== undefined) {
    // Without a journal there is no lease to give back (it lapses by itself); do not wait on it.
    if (!(failed instanceof JournalUnavailableError)) await journal.releaseLease(waveId, holder).catch(() => undefined);
    throw failed instanceof Error ? failed : new Error('the wave runner failed', { cause: failed });
  }
  if (final === 'budget-stopped') {
    emit(
      stoppedBy === 'global' && globalUsage
        ? { type: 'budget-stopped', waveId, failures: globalUsage.failures, budget: globalUsage.budget, scope: 'global' }
        : { type: 'budget-stopped', waveId, failures, budget: deps.budget, scope: 'wave' },
    );
  }
  await journal.setWaveState(waveId, final);
  await journal.releaseLease(waveId, holder);
  emit({ type: 'wave-finished', waveId, state: final });
  return (await journal.getWave(waveId))!;
}
