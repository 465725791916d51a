/**
 * Issue 14, finding 6: on the same host, a wave whose runner process is gone (kill -9) is taken over at once — by
 * `resume`, and by the bot's own resume scan at start, which must not wait for the dead runner's lease to lapse.
 * The `run` here holds a 10-minute lease; the bot (a real child process) must resume and finish the wave long
 * before that, with no runtime patched twice.
 */
import { describe, expect, it } from '@jest/globals';
import { SqliteJournal } from '../../../src/journal/sqlite/sqlite-journal.js';
import { BOT_TOKEN, SIGNING_SECRET, expectFinishedOnce, killedDevRun, start } from './bot-process.js';
import { simAndSlack } from '../../helpers/sim-services.js';

/** Far longer than the test may run: a lapse of this lease cannot be what lets the bot in. */
const LONG_LEASE_MS = 600_000;

describe('src/chat/slack/bot-command.ts — the resume scan takes over a dead runner of this host at once', () => {
  const ops = simAndSlack({ profile: 'existing-default=60,fresh=40', runtimes: 200, seed: 7, timeScale: 0.03 });

  it('run killed with -9 holding a 10-minute lease: a bot started next takes the wave over at start (its pid is gone) and finishes it; kymaWrites ≤ 1 per runtime', async () => {
    const { sim, fake } = ops;
    const env = { ISTIO_MIGRATE_LEASE_TTL_MS: String(LONG_LEASE_MS), ISTIO_MIGRATE_USER: 'sre-ops' };
    // One scan at start and then none within the test: the takeover must come from the start scan.
    const botEnv = { ...env, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, PORT: '0', HEALTH_PORT: '0', ISTIO_MIGRATE_RESUME_SCAN_MS: String(LONG_LEASE_MS), SHUTDOWN_TIMEOUT_MS: '10000' };
    const { configFile, journalFile, eligible, run } = await killedDevRun(ops, env);
    const journal = SqliteJournal.open(journalFile);
    try {
      const [wave] = await journal.listWaves({ env: 'dev' });
      expect(wave).toBeDefined();
      const lease = await journal.getLease(wave.waveId);
      // The dead run's lease is live for minutes still; its holder is `host:pid:runner` of the killed process.
      expect(lease).toBeTruthy();
      expect(Date.parse(lease!.expiresAt) - Date.now()).toBeGreaterThan(LONG_LEASE_MS / 2);
      expect(lease!.holder).toContain(`:${run.child.pid}:`);

      const bot = start(['bot', '--config', configFile], botEnv);
      const takeover = await bot.waitForLog((l) => l.waveId === wave.waveId && l.deadHolder !== undefined, 60_000);
      expect(takeover.deadHolder).toBe(lease!.holder);
      const started = await bot.waitForLog((l) => l.msg === 'wave started' && l.waveId === wave.waveId, 60_000);
      expect(started.resumed).toBe(true);
      await bot.waitForLog((l) => l.msg === 'wave ended' && l.waveId === wave.waveId, 60_000);
      bot.child.kill('SIGTERM');
      expect((await bot.exited).code).toBe(0);

      await expectFinishedOnce(journal, wave.waveId, eligible, sim);
    } finally {
      await journal.close();
    }
  }, 120_000);
});
