/**
 * Prometheus metrics (prom-client) on `/metrics`: waves by state, runtimes by outcome and environment, queue
 * depth and in-flight, remote API requests and errors by system, Slack API calls and 429s, approval events,
 * and the process metrics. One registry per process; fed from the wave event stream and the adapters.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Journal, WaveState } from '../journal/journal.js';
import { observeRemoteCalls } from '../clients/observe.js';
import type { WaveEvent, WaveEvents } from '../rollout/wave-runner.js';
import { effectiveState } from '../rollout/wave-status.js';

/** Wave states whose runtimes still wait to start (the queue): running, held, or left by a runner that is gone. */
const QUEUEING: readonly WaveState[] = ['running', 'paused', 'draining', 'interrupted'];

export class Metrics {
  readonly registry = new Registry();
  /** Where the waves are read from on each scrape (`followJournal`); without one, wave events feed `waves`. */
  private journal?: () => Promise<Journal>;
  private stopRemote?: () => void;
  private refreshed?: { at: number; done: Promise<void> };
  readonly waves = new Gauge({ name: 'istio_migrate_waves', help: 'Waves by state (from the journal on each scrape: paused, draining and interrupted ones included)', labelNames: ['env', 'state'], registers: [this.registry], collect: () => this.refresh() });
  readonly runtimes = new Counter({ name: 'istio_migrate_runtimes_total', help: 'Finished runtimes by outcome', labelNames: ['env', 'outcome', 'reason'], registers: [this.registry] });
  readonly inFlight = new Gauge({ name: 'istio_migrate_runtimes_in_flight', help: 'Runtimes being migrated', labelNames: ['env'], registers: [this.registry] });
  readonly queued = new Gauge({ name: 'istio_migrate_runtimes_queued', help: 'Runtimes not yet started in unfinished waves (running, paused, draining, interrupted): the queue depth', labelNames: ['env'], registers: [this.registry], collect: () => this.refresh() });
  readonly remoteRequests = new Counter({ name: 'istio_migrate_remote_requests_total', help: 'Requests to remote systems (every attempt of every client: plan, preview, verify, migrations, KEB)', labelNames: ['system'], registers: [this.registry] });
  readonly remoteErrors = new Counter({ name: 'istio_migrate_remote_errors_total', help: 'Failed requests to remote systems by failure class (transient, throttled, permanent)', labelNames: ['system', 'class'], registers: [this.registry] });
  readonly slackCalls = new Counter({ name: 'istio_migrate_slack_api_calls_total', help: 'Slack Web API calls', labelNames: ['method'], registers: [this.registry] });
  readonly slackRateLimited = new Counter({ name: 'istio_migrate_slack_rate_limited_total', help: 'Slack Web API 429 answers', labelNames: ['method'], registers: [this.registry] });
  readonly approvals = new Counter({ name: 'istio_migrate_approval_events_total', help: 'Approval clicks by result', labelNames: ['env', 'result'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'istio_migrate_' });
  }

  /** Follows a wave event stream (runtimes finished and in flight; waves by state when no journal is followed). */
  follow(events: WaveEvents, envOf: (waveId: string) => string): void {
    events.on('event', (e: WaveEvent) => {
      const env = envOf(e.waveId);
      if (e.type === 'runtime-started') this.inFlight.inc({ env });
      else if (e.type === 'runtime-finished') {
        this.inFlight.dec({ env });
        this.runtimes.inc({ env, outcome: e.result.outcome, reason: e.result.reason ?? '' });
      } else if (this.journal) return;
      else if (e.type === 'wave-started') this.waves.inc({ env, state: 'running' });
      else if (e.type === 'wave-finished') {
        this.waves.dec({ env, state: 'running' });
        this.waves.inc({ env, state: e.state });
      }
    });
  }

  /**
   * Waves by state and the queue depth, read from the journal on each scrape: right from the first scrape after
   * a restart, and for waves that are paused, draining or whose runner is gone (interrupted), whoever runs them.
   */
  followJournal(journal: () => Promise<Journal>): void {
    this.journal = journal;
  }

  /** Counts every remote request and classified failure of this process's clients (landscape/observe.ts). */
  countRemoteCalls(): () => void {
    this.stopRemote?.();
    this.stopRemote = observeRemoteCalls({
      request: (system) => this.remoteRequests.inc({ system }),
      error: (system, kind) => this.remoteErrors.inc({ system, class: kind }),
    });
    return this.stopRemote;
  }

  /** One journal read serves both gauges of a scrape. */
  private refresh(): Promise<void> {
    if (this.refreshed && Date.now() - this.refreshed.at < 500) return this.refreshed.done;
    const done = this.collectWaves();
    this.refreshed = { at: Date.now(), done };
    return done;
  }

  private async collectWaves(): Promise<void> {
    if (!this.journal) return;
    try {
      const journal = await this.journal();
      const waves = await journal.listWaves();
      const byState = new Map<string, { env: string; state: WaveState; n: number }>();
      const queued = new Map<string, number>();
      for (const w of waves) {
        const state = await effectiveState(journal, w);
        const k = `${w.env}\u0000${state}`;
        const cur = byState.get(k) ?? { env: w.env, state, n: 0 };
        cur.n++;
        byState.set(k, cur);
        if (QUEUEING.includes(state)) {
          const pending = (await journal.countWaveRuntimes(w.waveId)).filter((c) => c.state === 'pending').reduce((a, c) => a + c.n, 0);
          queued.set(w.env, (queued.get(w.env) ?? 0) + pending);
        } else queued.set(w.env, queued.get(w.env) ?? 0);
      }
      this.waves.reset();
      for (const { env, state, n } of byState.values()) this.waves.set({ env, state }, n);
      this.queued.reset();
      for (const [env, n] of queued) this.queued.set({ env }, n);
    } catch {
      // The journal is unreachable: the last values stay (/readyz reports the journal).
    }
  }
}
