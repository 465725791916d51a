/**
 * Running in production: the bot as a child process resumes an interrupted wave at start, serves /healthz,
 * /readyz and /metrics (HEALTH_PORT and, in HTTP mode, PORT), and on SIGTERM stops the wave gracefully — exit 0
 * quickly, the wave `interrupted` with no lease — so that the next bot process resumes and finishes it, with no
 * runtime patched twice.
 */
import { describe, expect, it } from '@jest/globals';
import { SqliteJournal } from '../../../src/journal/sqlite/sqlite-journal.js';
import { postSigned, slashPayload } from '../../helpers/fake-slack.js';
import { BOT_TOKEN, SIGNING_SECRET, expectFinishedOnce, get, killedDevRun, logStory, patchedCount, sleep, start } from './bot-process.js';
import { simAndSlack } from '../../helpers/sim-services.js';

const LEASE_TTL_MS = '1500';

describe('src/chat/slack/bot-command.ts + src/rollout/wave-runner.ts — SIGTERM, resume by the next process, health', () => {
  // 20 Dev runtimes at concurrency 2: a wave of ~10 s, long enough to stop in the middle.
  const ops = simAndSlack({ profile: 'existing-default=60,fresh=40', runtimes: 200, seed: 5, timeScale: 0.03 });

  it('SIGTERM mid-wave: exit 0, wave interrupted without lease; the next bot resumes and finishes it; kymaWrites ≤ 1 per runtime', async () => {
    const { sim, fake } = ops;
    const patched = () => patchedCount(sim);
    const env = { ISTIO_MIGRATE_LEASE_TTL_MS: LEASE_TTL_MS, ISTIO_MIGRATE_USER: 'sre-ops' };
    const botEnv = { ...env, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, PORT: '0', HEALTH_PORT: '0', ISTIO_MIGRATE_RESUME_SCAN_MS: '300', SHUTDOWN_TIMEOUT_MS: '10000' };

    // 1. A `run` that dies (SIGKILL) after a few runtimes: the wave exists, interrupted, its lease lapsing.
    const { configFile, journalFile, eligible } = await killedDevRun(ops, env);
    const journal = SqliteJournal.open(journalFile);
    try {
      const [wave] = await journal.listWaves({ env: 'dev' });
      expect(wave).toBeDefined();

      // 2. A bot starts: it takes the wave over once the dead runner's lease lapsed.
      const bot1 = start(['bot', '--config', configFile], botEnv);
      const listening = await bot1.waitForLog((l) => l.msg === 'listening for Slack on /slack/events');
      const resumed = await bot1.waitForLog((l) => l.msg === 'wave started' && l.waveId === wave.waveId);
      expect(resumed.resumed).toBe(true);

      // Health on HEALTH_PORT and on PORT (HTTP mode).
      for (const port of [listening.healthPort as number, listening.port as number]) {
        expect((await get(port, '/healthz')).status).toBe(200);
        const ready = await get(port, '/readyz');
        expect(ready.status).toBe(200);
        expect(JSON.parse(ready.text)).toEqual({ ready: true, checks: { config: true, journal: true, slack: true } });
        const metrics = await get(port, '/metrics');
        expect(metrics.status).toBe(200);
        expect(metrics.text).toContain('istio_migrate_runtimes_in_flight');
      }

      // Slack's own route on PORT still answers next to the health routes.
      const help = await postSigned(`http://127.0.0.1:${listening.port as number}/slack/events`, slashPayload('help'), SIGNING_SECRET);
      expect(help.status).toBe(200);

      // 3. SIGTERM in the middle of the wave.
      const before = patched();
      while (patched() < before + 2) await sleep(20);
      const counted = (await journal.listWaveRuntimes(wave.waveId)).filter((r) => r.state === 'finished').length;
      expect(counted).toBeLessThan(eligible.length);
      bot1.child.kill('SIGTERM');
      const exit1 = await bot1.exited;
      expect(exit1.code).toBe(0);
      // It did not wait for the wave: runtimes are left for the next bot (below), the wave interrupted.
      const stoppedState = (await journal.getWave(wave.waveId))?.state;
      // On failure, the bot's own account of its stop comes with the state.
      expect({ state: stoppedState, log: stoppedState === 'interrupted' ? [] : logStory(bot1) }).toEqual({ state: 'interrupted', log: [] });
      expect(await journal.getLease(wave.waveId)).toBeFalsy();
      expect(bot1.logs().some((l) => l.msg === 'wave ended' && l.state === 'interrupted' && l.waveId === wave.waveId)).toBe(true);
      const left = (await journal.listWaveRuntimes(wave.waveId)).filter((r) => r.state !== 'finished').length;
      expect(left).toBeGreaterThan(0);

      // 4. The next bot resumes it at start and finishes it.
      const bot2 = start(['bot', '--config', configFile], botEnv);
      await bot2.waitForLog((l) => l.msg === 'wave ended' && l.waveId === wave.waveId, 60_000);
      bot2.child.kill('SIGTERM');
      expect((await bot2.exited).code).toBe(0);

      await expectFinishedOnce(journal, wave.waveId, eligible, sim);
    } finally {
      await journal.close();
    }
  }, 90_000);
});
