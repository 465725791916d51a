/**
 * The bot's resumer: finds the waves whose runner is gone and runs them again in this process, in the background.
 *
 * A wave is resumed when it is `interrupted` (no live lease: a stopped or crashed pod), or when its lease is live but
 * held by a runner known dead (a process of this host that no longer exists: taken over at once, as `resume` does).
 * Paused waves stay paused, done runtimes are skipped, in-flight ones are re-checked by state. A wave another live
 * process holds, or one on another host whose lease has not lapsed, is left to it. Only the leader resumes
 * (docs/ha.md).
 *
 * Scans never overlap: a scan asked for while one runs happens once, after it (the bot asks at start, on becoming the
 * leader — both at once — and on a timer). Overlapping scans each saw the same wave as free and started a runner for
 * it; the loser's end then dropped the winner from `running`, and SIGTERM did not wait for a wave it did not know of:
 * the process left it `running` with a live lease instead of `interrupted`.
 */
import type { Logger } from 'pino';
import type { EnvName } from '../config/config.js';
import type { Wave } from '../journal/journal.js';
import { runnerLiveness } from '../rollout/runner-identity.js';
import { eligibilityRecheck } from '../rollout/eligibility-recheck.js';
import { LeaseHeldError, runWave } from '../rollout/wave-runner.js';
import { waveBudget } from '../rollout/wave-budget.js';
import { effectiveState, waveStatus } from '../rollout/wave-status.js';
import type { Services } from './services.js';

/** The bot's actor name in the audit log for what it does on its own (resuming waves). */
export const BOT_ACTOR = 'istio-migrate-bot';

/** Runs one wave to its end (or its stop) as this process's runner; `takeOverFrom`: the dead holder of its lease. */
export type ResumeRun = (wave: Wave, takeOverFrom: string | undefined) => Promise<void>;

/** What the resumer reads of the services (tests pass only this). */
export type ResumerServices = Pick<Services, 'journal' | 'leadership' | 'globalBudget' | 'events'>;

export class WaveResumer {
  /** The waves this process runs because it resumed them, each until its runner ends. */
  readonly running = new Map<string, Promise<void>>();
  /** Global-budget holds of active waves this replica does not run (yet): see `scanNow`. */
  private readonly holds = new Map<string, () => void>();
  private last: Promise<unknown> = Promise.resolve();
  private queued?: Promise<string[]>;

  constructor(
    private readonly services: ResumerServices,
    private readonly log: Logger,
    private readonly run: ResumeRun,
  ) {}

  /** The resumer of the bot: each wave is run by `runWave` with the services' access, budget and guard. */
  static of(services: Services, log: Logger): WaveResumer {
    return new WaveResumer(services, log, async (wave, takeOverFrom) => {
      const stop = services.leadership?.signal; // this term's: read before any await
      const journal = await services.journal();
      const env = wave.env as EnvName;
      const eligible = (await journal.listWaveRuntimes(wave.waveId)).length;
      await journal.audit({ actor: BOT_ACTOR, action: 'resume', subject: wave.waveId, detail: { from: 'interrupted', holder: services.holder, ...(takeOverFrom ? { takeOverFrom } : {}) } });
      const ended = await runWave(
        { journal, access: await services.access(env), budget: await waveBudget(journal, services, wave, eligible), ...(await services.guardDeps(env, wave.waveId)), globalBudget: services.globalBudget, holder: services.holder, takeOverFrom, recheck: eligibilityRecheck(services, env), stop, events: services.events, throttle: services.throttle(env), leaseTtlMs: Number(process.env.ISTIO_MIGRATE_LEASE_TTL_MS) || undefined },
        wave.waveId,
      );
      const st = await waveStatus(journal, ended);
      await journal.audit({ actor: BOT_ACTOR, action: 'wave-ended', subject: wave.waveId, detail: { state: st.state, counts: st.counts } });
    });
  }

  /** Looks for waves to resume and starts their runners; resolves the ids started. Never two scans at once. */
  scan(): Promise<string[]> {
    if (this.queued) return this.queued;
    const next = this.last.then(() => {
      this.queued = undefined;
      return this.scanNow();
    });
    this.queued = next;
    this.last = next.catch(() => undefined);
    return next;
  }

  /** Resolves when every runner this resumer started has ended. */
  async idle(): Promise<void> {
    await this.last;
    while (this.running.size) await Promise.all([...this.running.values()]);
  }

  private async scanNow(): Promise<string[]> {
    const { services, running } = this;
    const started: string[] = [];
    if (services.leadership && !services.leadership.isLeader) return started;
    const journal = await services.journal();
    const active = await journal.listWaves({ states: ['running', 'paused', 'draining', 'interrupted'] });
    const toResume: { wave: Wave; takeOverFrom?: string }[] = [];
    for (const wave of active) {
      if (running.has(wave.waveId)) continue;
      // A valid lease of a dead runner first: status shows that wave interrupted too, but its lease must be taken over.
      const lease = await journal.getLease(wave.waveId);
      if (lease && Date.parse(lease.expiresAt) > Date.now() && runnerLiveness(lease.holder, services.events.runners) === 'dead') {
        toResume.push({ wave, takeOverFrom: lease.holder });
        continue;
      }
      if ((await effectiveState(journal, wave)) === 'interrupted') toResume.push({ wave });
    }
    await this.holdGlobalBudget(active);
    for (const { wave, takeOverFrom } of toResume) {
      const wl = this.log.child({ waveId: wave.waveId });
      if (takeOverFrom) wl.info({ env: wave.env, deadHolder: takeOverFrom }, 'resuming a wave whose runner is gone (no such process on this host): its lease is taken over at once');
      else wl.info({ env: wave.env }, 'resuming an interrupted wave');
      const work = this.run(wave, takeOverFrom).catch((e: unknown) => {
        if (e instanceof LeaseHeldError) wl.info({ holder: e.holder }, 'another process resumed the wave');
        else wl.error({ err: (e as Error).message }, 'resuming the wave failed');
      });
      const entry: Promise<void> = work.finally(() => {
        if (running.get(wave.waveId) === entry) running.delete(wave.waveId);
      });
      running.set(wave.waveId, entry);
      started.push(wave.waveId);
    }
    return started;
  }

  /**
   * The global budget's ledger first (a new leader: docs/ha.md): every active wave not running here — about to be
   * resumed now, or once the dead runner's lease lapses — with its failures so far, and the waves a budget stopped
   * while those ran; before any of them starts a runtime. Holds of waves no longer active go.
   */
  private async holdGlobalBudget(active: readonly Wave[]): Promise<void> {
    const { globalBudget } = this.services;
    if (!globalBudget) return;
    const journal = await this.services.journal();
    const failuresOf = async (waveId: string) => {
      const rows = await journal.listWaveRuntimes(waveId);
      return { eligible: rows.length, failures: rows.filter((r) => r.state === 'finished' && r.result?.class === 'platform').length };
    };
    const activeIds = new Set(active.map((w) => w.waveId));
    for (const [waveId, drop] of this.holds) {
      if (!activeIds.has(waveId)) {
        drop();
        this.holds.delete(waveId);
      }
    }
    if (active.length) {
      const since = Math.min(...active.map((w) => Date.parse(w.createdAt)));
      for (const w of await journal.listWaves({ states: ['budget-stopped'] })) {
        if (Date.parse(w.updatedAt) < since) continue;
        const c = await failuresOf(w.waveId);
        globalBudget.hold(w.waveId, c.eligible, c.failures, true);
      }
    }
    for (const w of active) {
      if (this.running.has(w.waveId) || this.holds.has(w.waveId)) continue;
      const c = await failuresOf(w.waveId);
      this.holds.set(w.waveId, globalBudget.hold(w.waveId, c.eligible, c.failures));
    }
  }
}
