/**
 * A freeze set during a wave (an SRE labels KCP Kymas skip-reconciliation in an incident, over the API as kubectl
 * label does) holds every runtime that has not been patched yet: skipped, never patched, recorded as labelled. The
 * wave learns it from its watch of the labelled Kymas, not from a list minutes old.
 */
import { describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import type { WaveEvent } from '../../../src/rollout/wave-runner.js';
import { simJson } from '../../helpers/sim.js';
import { simServices } from '../../helpers/sim-services.js';

const SKIP = 'operator.kyma-project.io/skip-reconciliation';

describe('skip-reconciliation set during a wave', () => {
  const f = simServices({ profile: 'existing-default', runtimes: 40, timeScale: 0.02 }, 'skip-mid-wave', (cfg) => {
    cfg.environments.dev.budgets = { wave: 100 };
  });

  it('skips the runtimes not yet started, patches none of them, and records the label', async () => {
    const ids = f.sim.sim.runtimesOf('dev').filter((r) => r.state !== 'suspended' && r.scenario === 'existing-default').slice(0, 4).map((r) => r.runtimeId);
    expect(ids.length).toBe(4);
    let first: string | undefined;
    let labelled: Promise<unknown> | undefined;
    const onEvent = (e: WaveEvent) => {
      if (e.type !== 'runtime-started' || first) return;
      first = e.runtimeId;
      // The freeze, for every runtime of the wave but the one already started.
      labelled = Promise.all(
        ids
          .filter((id) => id !== first)
          .map((id) => simJson(f.sim, 'dev-kcp', 'PATCH', `/apis/operator.kyma-project.io/v1beta2/namespaces/kcp-system/kymas/${id}`, { metadata: { labels: { [SKIP]: 'true' } } }, 'application/merge-patch+json')),
      );
    };
    f.services.events.on('event', onEvent);
    try {
      // Concurrency 1: each runtime starts after the one before it finished, long after the freeze.
      const res = await dispatch(f.ctx, 'run', ['dev', `runtime-id=${ids.join('|')}`, '--concurrency', '1', '--yes']);
      expect((res.json as { state: string }).state).toBe('finished');
      for (const r of (await labelled) as { status: number }[]) expect(r.status).toBe(200);
      const rows = await (await f.services.journal()).listWaveRuntimes((res.json as { waveId: string }).waveId);
      const writes = f.sim.sim.getStats().kymaWrites;
      for (const row of rows.filter((x) => x.runtimeId !== first)) {
        expect({ id: row.runtimeId, outcome: row.result?.outcome, reason: row.result?.reason, patched: row.result?.patched, skip: row.result?.skipReconciliation, writes: writes[row.runtimeId] ?? 0 }).toEqual({
          id: row.runtimeId,
          outcome: 'skipped',
          reason: 'skip-reconciliation',
          patched: false,
          skip: 'labelled',
          writes: 0,
        });
      }
      expect(rows.length).toBe(4);
    } finally {
      f.services.events.off('event', onEvent);
    }
  });
});
