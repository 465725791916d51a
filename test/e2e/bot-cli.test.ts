import { describe, expect, it } from '@jest/globals';
import { simAndSlack } from '../helpers/sim-services.js';
import { BOT_TOKEN, SECRET, writeBotConfig } from './harness.js';
import { runBin } from '../helpers/built-bin.js';


/** Runs the built binary; `onStderr` may send it a signal once it has said something. */
const run = (args: string[], env: Record<string, string>, onStderr?: (text: string, kill: () => void) => void) => runBin(args, { env, onStderr });

describe('src/chat/slack/bot-command.ts — istio-migrate bot', () => {
  it('exits 2 without --config, ISTIO_MIGRATE_CONFIG or --simulated', async () => {
    const r = await run(['bot'], { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SECRET });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no landscape configured');
    expect(r.stderr).toContain('--simulated');
  });

  it('exits 2 in HTTP mode without SLACK_SIGNING_SECRET', async () => {
    const r = await run(['bot', '--simulated'], { SLACK_BOT_TOKEN: BOT_TOKEN });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SLACK_SIGNING_SECRET is not set');
  });

  it('exits 2 without SLACK_BOT_TOKEN, and never prints a token or secret', async () => {
    const r = await run(['bot', '--config', 'nowhere.yaml'], { SLACK_APP_TOKEN: 'xapp-very-secret', SLACK_SIGNING_SECRET: SECRET });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SLACK_BOT_TOKEN is not set');
    expect(r.stderr).not.toContain('xapp-very-secret');
    expect(r.stderr).not.toContain(SECRET);
  });

  it('exits 2 when the Slack Web API cannot be reached: says so (not that the token was refused), never the URL\'s password', async () => {
    // Port 1 on loopback answers nothing; the password in the URL must not reach any output.
    const r = await run(['bot', '--simulated'], { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: 'http://bot:hunter2-pw@127.0.0.1:1/api/', PORT: '0', HEALTH_PORT: '0' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the Slack Web API at http://127.0.0.1:1/api/ could not be reached for auth.test (SLACK_API_URL carries a user name or password');
    expect(r.stderr).not.toContain('was not accepted');
    expect(r.stderr + r.stdout).not.toContain('hunter2-pw');
  }, 60_000);

  describe('with a configured landscape', () => {
    const f = simAndSlack({ profile: 'scenarios', timeScale: 0.01 });

    it('starts the HTTP receiver, and SIGTERM stops it with exit 0', async () => {
      const config = writeBotConfig(f.sim);
      let signalled = false;
      const r = await run(['bot', '--config', config], { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: f.fake.apiUrl, PORT: '0', HEALTH_PORT: '0' }, (text, kill) => {
        if (!signalled && text.includes('listening for Slack')) {
          signalled = true;
          kill();
        }
      });
      expect(r.code).toBe(0);
      expect(signalled).toBe(true);
      expect(r.stderr).not.toContain(BOT_TOKEN);
      expect(r.stderr).not.toContain(SECRET);
      expect(f.fake.calls.map((c) => c.method)).toEqual(['auth.test']);
    });
  });
});
