/**
 * The wave pages from the built binary: `istio-migrate serve` prints its ready line with signed links and serves
 * them (SIGTERM → exit 0); `istio-migrate bot` with a page key configured but missing exits 2 naming the fix, and a
 * key too short is refused without being printed.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { simAndSlack } from '../helpers/sim-services.js';
import { runBin } from '../helpers/built-bin.js';
import { BOT_TOKEN, SECRET, writeBotConfig } from './harness.js';


const run = (args: string[], env: Record<string, string>, onStdout?: (text: string, kill: () => void) => void) => runBin(args, { env, onStdout });

describe('src/wave-page/serve.ts and the bot — wave pages from the binary', () => {
  const f = simAndSlack({ profile: 'scenarios', timeScale: 0.01 });

  it('serve prints one ready line with signed links, serves the index (403 unsigned), and exits 0 on SIGTERM', async () => {
    const config = writeBotConfig(f.sim, {}, (cfg) => (cfg.page = { keyEnv: 'PAGE_KEY_FOR_SERVE' }));
    // serve only reads: without a journal it refuses (exit 2, naming it) and creates none; a first plan creates it.
    const journalFile = path.join(path.dirname(config), 'journal.db');
    const refused = await run(['serve', '--config', config, '--port', '0'], {});
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`no journal at ${journalFile}`);
    expect(existsSync(journalFile)).toBe(false);
    expect((await run(['plan', 'dev', 'all', '--json', '--config', config], {})).code).toBe(0);
    let checked: Error | undefined;
    let done = false;
    const r = await run(['serve', '--config', config, '--port', '0'], { PAGE_KEY_FOR_SERVE: 'serve-test-key-0123456789abcdef' }, (text, kill) => {
      if (done || !text.includes('\n')) return;
      done = true;
      void (async () => {
        try {
          const ready = JSON.parse(text.split('\n')[0]) as { ready: boolean; port: number; links: Record<string, string> };
          expect(ready.ready).toBe(true);
          expect(ready.links['index:dev']).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${ready.port}/waves/index/dev\\?exp=\\d+&sig=[0-9a-f]{64}$`));
          const index = await fetch(ready.links['index:dev']);
          expect(index.status).toBe(200);
          expect(await index.text()).toContain('Waves of dev');
          expect((await fetch(`http://127.0.0.1:${ready.port}/waves/index/dev`)).status).toBe(403);
          expect((await fetch(`http://127.0.0.1:${ready.port}/waves/assets/uPlot.iife.min.js`)).status).toBe(200);
        } catch (e) {
          checked = e as Error;
        } finally {
          kill();
        }
      })();
    });
    if (checked) throw checked;
    expect(done).toBe(true);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr + r.stdout).not.toContain('serve-test-key-0123456789abcdef');
  }, 60_000);

  it.each([
    ['missing', {}, 'page.keyEnv names PAGE_KEY_FOR_BOT, which is not set'],
    ['too short', { PAGE_KEY_FOR_BOT: 'short-key' }, 'shorter than 16 bytes'],
  ])('bot with the page key %s exits 2 naming the fix, never printing the key', async (_name, extra: Record<string, string>, message) => {
    const config = writeBotConfig(f.sim, {}, (cfg) => (cfg.page = { keyEnv: 'PAGE_KEY_FOR_BOT' }));
    const r = await run(['bot', '--config', config], { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: f.fake.apiUrl, PORT: '0', HEALTH_PORT: '0', ...extra });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('openssl rand -hex 32');
    expect(r.stderr).not.toContain('short-key');
  }, 60_000);
});
