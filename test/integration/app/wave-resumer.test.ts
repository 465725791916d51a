/**
 * src/app/wave-resumer.ts on a real (SQLite) journal: the bot asks for a scan at start and on becoming the leader —
 * at once — and on a timer. Overlapping scans each saw an interrupted wave as free and started two runners; the
 * loser's end dropped the winner from `running`, so SIGTERM did not wait for that wave and the process left it
 * `running` (test/integration/ops/shutdown.test.ts failed now and then).
 */
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { WaveResumer, type ResumerServices } from '../../../src/app/wave-resumer.js';
import { SqliteJournal } from '../../../src/journal/sqlite/sqlite-journal.js';
import type { Journal, Wave } from '../../../src/journal/journal.js';
import { WaveEvents } from '../../../src/rollout/wave-runner.js';

const runtimes = (n: number) => Array.from({ length: n }, (_, i) => ({ runtimeId: `rt-${i}`, shootName: `s${i}`, globalAccountId: 'ga', subaccountId: 'sa', plan: 'azure', region: 'westeurope' }));

async function setup(): Promise<{ journal: Journal; wave: Wave; services: ResumerServices }> {
  const journal = SqliteJournal.open(':memory:');
  await journal.migrate();
  // A wave left `running` with no lease: its runner is gone (interrupted).
  const wave = await journal.createWave({ env: 'dev', target: 'all', planHash: '0'.repeat(64), state: 'running', concurrency: 2, requestedBy: 'sre-1', approvedBy: null }, runtimes(3));
  return { journal, wave, services: { journal: () => Promise.resolve(journal), events: new WaveEvents(), leadership: undefined, globalBudget: undefined } };
}

describe('src/app/wave-resumer.ts — one runner per interrupted wave, known until it ends', () => {
  it('scans asked for at once run one after the other: the wave is resumed once and stays in `running` until its runner ends', async () => {
    const { journal, wave, services } = await setup();
    const runs: string[] = [];
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const resumer = new WaveResumer(services, pino({ level: 'silent' }), async (w) => {
      runs.push(w.waveId);
      // The runner takes the lease at once (as runWave does), then runs until told to end.
      await journal.acquireLease(w.waveId, 'this-process:runner-1', 60_000);
      await ended;
      await journal.releaseLease(w.waveId, 'this-process:runner-1');
    });
    try {
      const [a, b, c] = await Promise.all([resumer.scan(), resumer.scan(), resumer.scan()]);
      expect(new Set([...a, ...b, ...c])).toEqual(new Set([wave.waveId]));
      expect(runs).toEqual([wave.waveId]);
      expect([...resumer.running.keys()]).toEqual([wave.waveId]);

      // Later scans leave a wave this process runs alone.
      expect(await resumer.scan()).toEqual([]);
      expect(runs).toHaveLength(1);

      // idle() waits for the runner, and only then is the wave gone from `running`.
      let idle = false;
      const waiting = resumer.idle().then(() => (idle = true));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(idle).toBe(false);
      end();
      await waiting;
      expect(resumer.running.size).toBe(0);
    } finally {
      end();
      await journal.close();
    }
  });

});
