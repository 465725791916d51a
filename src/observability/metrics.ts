/**
 * Prometheus metrics (prom-client) on `/metrics`: waves by state, runtimes by outcome and environment, queue
 * depth and in-flight, remote API requests and errors by system, Slack API calls and 429s, approval events,
 * and the process metrics. One registry per process; fed from the wave event stream and the adapters.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { WaveEvent, WaveEvents } from '../rollout/wave-runner.js';

export class Metrics {
  readonly registry = new Registry();
  readonly waves = new Gauge({ name: 'istio_migrate_waves', help: 'Waves by state', labelNames: ['env', 'state'], registers: [this.registry] });
  readonly runtimes = new Counter({ name: 'istio_migrate_runtimes_total', help: 'Finished runtimes by outcome', labelNames: ['env', 'outcome', 'reason'], registers: [this.registry] });
  readonly inFlight = new Gauge({ name: 'istio_migrate_runtimes_in_flight', help: 'Runtimes being migrated', labelNames: ['env'], registers: [this.registry] });
  readonly remoteRequests = new Counter({ name: 'istio_migrate_remote_requests_total', help: 'Requests to remote systems', labelNames: ['system'], registers: [this.registry] });
  readonly remoteErrors = new Counter({ name: 'istio_migrate_remote_errors_total', help: 'Failed requests to remote systems', labelNames: ['system'], registers: [this.registry] });
  readonly slackCalls = new Counter({ name: 'istio_migrate_slack_api_calls_total', help: 'Slack Web API calls', labelNames: ['method'], registers: [this.registry] });
  readonly slackRateLimited = new Counter({ name: 'istio_migrate_slack_rate_limited_total', help: 'Slack Web API 429 answers', labelNames: ['method'], registers: [this.registry] });
  readonly approvals = new Counter({ name: 'istio_migrate_approval_events_total', help: 'Approval clicks by result', labelNames: ['env', 'result'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'istio_migrate_' });
  }

  /** Follows a wave event stream. */
  follow(events: WaveEvents, envOf: (waveId: string) => string): void {
    events.on('event', (e: WaveEvent) => {
      const env = envOf(e.waveId);
      if (e.type === 'runtime-started') this.inFlight.inc({ env });
      else if (e.type === 'runtime-finished') {
        this.inFlight.dec({ env });
        this.runtimes.inc({ env, outcome: e.result.outcome, reason: e.result.reason ?? '' });
        for (const [system, n] of Object.entries(e.result.requests)) if (system !== 'total' && n) this.remoteRequests.inc({ system }, n);
      } else if (e.type === 'wave-started') this.waves.inc({ env, state: 'running' });
      else if (e.type === 'wave-finished') {
        this.waves.dec({ env, state: 'running' });
        this.waves.inc({ env, state: e.state });
      }
    });
  }
}
