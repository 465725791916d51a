/**
 * One regex must not freeze the bot (issue 14, finding 4). Selectors run on RE2 (linear time), so a catastrophic
 * pattern such as `runtime-id=(.*)*x` answers like any other: from the shell, and in a running bot whose `/healthz`
 * keeps answering meanwhile. Plan resolution has a deadline with a clear error, and `plan` from chat is limited per
 * user. The processes here are real (`istio-migrate plan`, `istio-migrate bot` with signed Slack requests); each
 * wait has a generous deadline so that a frozen process fails the test instead of hanging it.
 */
import { describe, expect, it } from '@jest/globals';
import { postSigned, slashPayload, type FakeSlackCall } from '../../helpers/fake-slack.js';
import { BOT_TOKEN, SIGNING_SECRET, exitWithin, start, writeConfig } from './bot-process.js';
import { simAndSlack } from '../../helpers/sim-services.js';

/** What no frozen process answers within: far above any honest answer on a busy 2-core machine. */
const GENEROUS_MS = 45_000;

/** Patterns that make a backtracking engine take exponential time on a runtime id (36 characters, no `x`). */
const CATASTROPHIC = ['runtime-id=(.*)*x', 'runtime-id=(.*.*)*x', 'instance-id=(.|.?)*x', 'account=([0-9a-f-]+)*x', 'subaccount=(.*){1,30}x'];

describe('src/targets/selector.ts (RE2) + src/rollout/plan-wave.ts — hostile selectors', () => {
  const ops = simAndSlack({ profile: 'fresh=100', runtimes: 60, seed: 3, timeScale: 0.01 }, { limits: { 'chat.postMessage': null, 'chat.postEphemeral': null } });

  it.each(CATASTROPHIC)('the shell answers `plan stage %s` (full match: no runtime, refused as an empty plan)', async (selector) => {
    const { dir, configFile } = writeConfig(ops.sim);
    ops.dirs.push(dir);
    const p = start(['plan', 'stage', selector, '--json', '--config', configFile], {});
    const { code } = await exitWithin(p, GENEROUS_MS, 'frozen?');
    // An empty selection is refused with exit 1 and an example (commands/shared.ts since 3d2369e): an answer, not a hang.
    expect(code).toBe(1);
    expect(p.stderr() + p.stdout()).toContain(`nothing to plan in stage: target ${selector} — it selects no runtime of Gardener and KEB`);
  });

  it('a plan that does not resolve within its deadline ends with a clear error (exit 1), not a hang', async () => {
    const { dir, configFile } = writeConfig(ops.sim);
    ops.dirs.push(dir);
    const p = start(['plan', 'stage', 'all', '--config', configFile], { ISTIO_MIGRATE_PLAN_DEADLINE_MS: '1' });
    const { code } = await exitWithin(p, GENEROUS_MS, 'frozen?');
    expect(code).toBe(1);
    expect(p.stderr() + p.stdout()).toMatch(/planning in stage did not finish within 0\.001 s .*nothing was planned/);
  });

  it('a bot planning catastrophic selectors from Slack keeps answering /healthz, and limits plans to 10 a minute per user', async () => {
    const { dir, configFile } = writeConfig(ops.sim);
    ops.dirs.push(dir);
    const bot = start(['bot', '--config', configFile], { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: ops.fake.apiUrl, PORT: '0', HEALTH_PORT: '0' });
    try {
      const listening = await bot.waitForLog((l) => l.msg === 'listening for Slack on /slack/events');
      const events = `http://127.0.0.1:${listening.port as number}/slack/events`;
      const health = listening.healthPort as number;
      // 10 plans by one user: each catastrophic, each answered; /healthz answers 200 every time, also while a plan
      // is in progress (answered before that plan's reply reached the fake Slack: an ordering, not a duration).
      const isReply = (c: FakeSlackCall) => ['chat.postMessage', 'chat.postEphemeral'].includes(c.method);
      let answeredDuringPlan = 0;
      for (let i = 0; i < 10; i++) {
        const before = ops.fake.calls.length;
        const res = await postSigned(events, slashPayload(`plan stage ${CATASTROPHIC[i % CATASTROPHIC.length]}`, { user: 'U-HOSTILE' }), SIGNING_SECRET);
        expect(res.status).toBe(200);
        const reply = ops.fake.waitFor((c) => ops.fake.calls.indexOf(c) >= before && isReply(c));
        let got: FakeSlackCall | undefined;
        void reply.then((c) => (got = c));
        const until = Date.now() + GENEROUS_MS;
        while (!got) {
          const h = await fetch(`http://127.0.0.1:${health}/healthz`, { signal: AbortSignal.timeout(GENEROUS_MS) });
          expect(h.status).toBe(200);
          if (!ops.fake.calls.slice(before).some(isReply)) answeredDuringPlan++;
          if (Date.now() > until) throw new Error(`no answer to plan ${i + 1} within ${GENEROUS_MS} ms`);
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(bodyText(got)).toContain('nothing to plan in stage: target ');
      }
      expect(answeredDuringPlan).toBeGreaterThanOrEqual(1);
      // The 11th within the minute is refused, to that user only, saying when to try again.
      const before = ops.fake.calls.length;
      await postSigned(events, slashPayload('plan stage all', { user: 'U-HOSTILE' }), SIGNING_SECRET);
      const refused = await ops.fake.waitFor((c) => ops.fake.calls.indexOf(c) >= before && ['chat.postMessage', 'chat.postEphemeral'].includes(c.method));
      expect(refused.method).toBe('chat.postEphemeral');
      expect(bodyText(refused)).toMatch(/too many plans: at most 10 a minute per user; try again in \d+ s/);
      // Another user is not affected.
      const before2 = ops.fake.calls.length;
      await postSigned(events, slashPayload('plan stage all', { user: 'U-OTHER' }), SIGNING_SECRET);
      const other = await ops.fake.waitFor((c) => ops.fake.calls.indexOf(c) >= before2 && ['chat.postMessage', 'chat.postEphemeral'].includes(c.method));
      expect(bodyText(other)).toMatch(/Plan [0-9a-f]{12}/);
    } finally {
      bot.child.kill('SIGTERM');
      await bot.exited;
    }
  }, 240_000);
});

function bodyText(c: FakeSlackCall): string {
  return JSON.stringify(c.body);
}
