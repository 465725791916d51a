/**
 * /metrics after a small Dev wave on the simulator (issue 8 §4): waves by state (from the journal, paused and
 * interrupted ones included), runtimes by outcome and environment, queue depth and in-flight, remote requests
 * counted at the clients (KEB included) and remote errors by system and class.
 */
import { describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import { startHealthServer } from '../../../src/observability/health.js';
import { Metrics } from '../../../src/observability/metrics.js';
import { simServices } from '../../helpers/sim-services.js';

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function sum(text: string, name: string, labelFilter = ''): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(labelFilter))
    .reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('src/observability/metrics.ts after a wave', () => {
  const f = simServices({ profile: 'scenarios', timeScale: 0.01 }, 'metrics', (cfg) => {
    cfg.environments.dev.budgets = { wave: 100 };
  });

  it('shows waves by state, runtimes, queue, in-flight, remote requests and errors with plausible values', async () => {
    const metrics = new Metrics();
    metrics.follow(f.services.events, (id) => id.split('-')[0]);
    metrics.followJournal(() => f.services.journal());
    const stop = metrics.countRemoteCalls();
    const h = await startHealthServer(0, metrics, []);
    try {
      const ctx = f.ctx;
      const res = await dispatch(ctx, 'run', ['dev', 'all', '--yes']);
      expect((res.json as { state: string }).state).toBe('finished');
      // Two more waves straight in the journal: a Stage one whose runner is gone (interrupted) and a Prod one
      // held (paused, its lease alive) — neither ever sent a wave event to this process.
      const journal = await f.services.journal();
      const rts = (env: string, n: number) => Array.from({ length: n }, (_, i) => ({ runtimeId: `${env}-rt-${i}`, shootName: `s${i}`, globalAccountId: 'ga', subaccountId: 'sa', plan: 'azure', region: 'westeurope' }));
      const mk = async (env: string, n: number) => {
        await journal.savePlan({ hash: `${env}`.padEnd(64, '0'), env, target: 'all', document: {}, createdBy: 'sre-1', createdAt: new Date().toISOString() });
        return journal.createWave({ env, target: 'all', planHash: `${env}`.padEnd(64, '0'), state: 'running', concurrency: 4, requestedBy: 'sre-1', approvedBy: null }, rts(env, n));
      };
      await mk('stage', 3);
      const prod = await mk('prod', 5);
      await journal.acquireLease(prod.waveId, 'another-process', 60_000);
      await journal.setWaveState(prod.waveId, 'paused');

      const text = await (await fetch(`http://127.0.0.1:${h.port}/metrics`)).text();
      expect(value(text, 'istio_migrate_waves{env="dev",state="finished"}')).toBe(1);
      expect(value(text, 'istio_migrate_waves{env="stage",state="interrupted"}')).toBe(1);
      expect(value(text, 'istio_migrate_waves{env="prod",state="paused"}')).toBe(1);
      expect(text).not.toContain('istio_migrate_waves{env="dev",state="running"}');
      expect(value(text, 'istio_migrate_runtimes_queued{env="dev"}')).toBe(0);
      expect(value(text, 'istio_migrate_runtimes_queued{env="stage"}')).toBe(3);
      expect(value(text, 'istio_migrate_runtimes_queued{env="prod"}')).toBe(5);
      expect(value(text, 'istio_migrate_runtimes_in_flight{env="dev"}')).toBe(0);
      expect(value(text, 'istio_migrate_runtimes_total{env="dev",outcome="migrated",reason=""}')).toBeGreaterThan(0);
      // Requests counted at the clients: the plan's KEB and Gardener listing and the migrations' KCP and SKR calls.
      for (const system of ['keb', 'kcp', 'skr', 'gardener']) expect(value(text, `istio_migrate_remote_requests_total{system="${system}"}`)).toBeGreaterThan(0);
      // The failing scenarios (an SKR that is down, a flaky one) fail requests; each failure has its class.
      expect(sum(text, 'istio_migrate_remote_errors_total')).toBeGreaterThan(0);
      expect(text).toMatch(/istio_migrate_remote_errors_total\{system="(kcp|skr|gardener|keb)",class="(transient|throttled|permanent)"\} \d+/);
      expect(sum(text, 'istio_migrate_remote_errors_total')).toBeLessThan(sum(text, 'istio_migrate_remote_requests_total'));
      expect(text).toContain('istio_migrate_process_resident_memory_bytes');
    } finally {
      stop();
      await h.close();
    }
  }, 90_000);
});
