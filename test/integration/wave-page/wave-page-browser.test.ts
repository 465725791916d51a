/**
 * The wave page in a real headless Chromium (Debian's `chromium`, driven by playwright-core): a simulated Dev wave
 * runs, is paused so that its numbers stand still, and its page — reached through the signed link — must show the
 * journal's counts and draw its charts; resumed, the page follows it live (server-sent events) to `finished`, and a
 * screenshot of the finished wave is kept in .test-results/ (not committed). Served on HEALTH_PORT's handler as the
 * bot serves it (the same `wavePages` handler), here through `istio-migrate serve`'s server.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { chromium, type BrowserContext } from 'playwright-core';
import { dispatch } from '../../../commands/index.js';
import type { CommandContext, CommandResult } from '../../../commands/types.js';
import { Services } from '../../../src/app/services.js';
import type { WaveRuntime } from '../../../src/journal/journal.js';
import { serveWavePages } from '../../../src/wave-page/serve.js';
import { CHROMIUM, describeWith, requireChromium } from '../../helpers/needs.js';
import { startTestSim, type TestSim, writeSimConfig } from '../../helpers/sim.js';

const KEY = 'wave-page-test-key-0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ROOT = path.resolve(import.meta.dirname, '../../..');

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}

/** Counts as DESIGN.md C5 defines them, straight from the journal's rows. */
function journalCounts(rows: WaveRuntime[]): Record<string, number> {
  const c: Record<string, number> = { total: rows.length, pending: 0, running: 0 };
  for (const r of rows) {
    const k = r.state === 'finished' && r.result ? r.result.outcome : r.state === 'pending' ? 'pending' : 'running';
    c[k] = (c[k] ?? 0) + 1;
  }
  return c;
}

// Needs Debian's chromium (test/helpers/needs.ts): without it the test fails under CI=true and skips visibly elsewhere.
describeWith(requireChromium(), 'src/wave-page — a running wave seen in headless Chromium', () => {
  let sim: TestSim;
  let ctx: CommandContext;
  let served: { port: number; close(): Promise<void> };
  let links: Record<string, string>;
  let browser: BrowserContext;
  let profileDir: string;

  beforeAll(async () => {
    process.env.WAVE_PAGE_TEST_KEY = KEY;
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.02 });
    const configFile = writeSimConfig(sim, 'wave-page', (cfg) => {
      cfg.page = { keyEnv: 'WAVE_PAGE_TEST_KEY', baseUrl: 'https://istio-migrate.example.com' };
      cfg.environments.dev.budgets = { wave: 100 };
      cfg.environments.dev.limits = { ...(cfg.environments.dev.limits as object), concurrency: 1 };
    });
    ctx = { user: 'sre-1', via: 'shell', interactive: false, services: await Services.create({ configFile }) };
    await ctx.services.journal('create'); // serve only reads: the journal exists, as after a first plan
    served = await serveWavePages({ configFile, port: 0, host: '127.0.0.1', out: (l) => (links = (JSON.parse(l) as { links: Record<string, string> }).links), err: () => undefined });
    profileDir = mkdtempSync(path.join(os.tmpdir(), 'wave-page-chromium-'));
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await served?.close();
    await ctx?.services.close();
    await sim?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it('shows the journal counts of a paused wave, draws its charts, follows it live to finished, keeps a screenshot', async () => {
    const journal = await ctx.services.journal();
    let ended: CommandResult | undefined;
    const done = dispatch(ctx, 'run', ['dev', 'all', '--yes', '--force']).then((r) => (ended = r));
    const wave = await until('the wave to start', async () => {
      if (ended) throw new Error(`run ended before it was seen: ${ended.text}`);
      return (await journal.listWaves({ env: 'dev' }))[0];
    });
    await until('two runtimes done', async () => (await journal.listWaveRuntimes(wave.waveId)).filter((r) => r.state === 'finished').length >= 2);
    expect((await dispatch({ ...ctx, user: 'sre-1' }, 'pause', [wave.waveId])).exitCode).toBe(0);
    const rows = await until('nothing in flight', async () => {
      const r = await journal.listWaveRuntimes(wave.waveId);
      return r.every((x) => x.state === 'pending' || x.state === 'finished') && (await journal.getWave(wave.waveId))?.state === 'paused' ? r : undefined;
    });
    const want = journalCounts(rows);
    expect(want.pending).toBeGreaterThan(0);

    // The link `serve` printed at start named the waves then; ask for the wave's own through a fresh `serve` run's output
    // shape: the index lists it with a signed link.
    const page = await browser.newPage();
    await page.goto(links['index:dev']);
    const href = await page.locator(`a:text("${wave.waveId}")`).getAttribute('href');
    expect(href).toMatch(new RegExp(`^/waves/${wave.waveId}\\?exp=\\d+&sig=[0-9a-f]{64}$`));
    await page.goto(new URL(href!, links['index:dev']).toString());
    await page.waitForSelector('#chart-progress[data-drawn="1"] canvas');

    const shown = await page.$$eval('[data-count]', (els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-count'), Number(e.textContent)])));
    for (const [k, n] of Object.entries(want)) expect([k, shown[k]]).toEqual([k, n]);
    expect(await page.locator('[data-field="state"]').textContent()).toBe('paused');
    // The limit's history (saved by the runner beside its latest limit) is on the page as text, as the journal has it.
    const history = await journal.waveLimitHistory(wave.waveId);
    expect(history.length).toBeGreaterThan(0);
    expect(await page.locator('table[data-table="limit"] tbody tr').count()).toBe(Math.min(30, history.length));
    expect(await page.locator('table[data-table="limit"] tbody tr').last().locator('td').nth(3).textContent()).toBe(history.at(-1)!.cause);
    // Every chart drew: a canvas with some non-white pixels.
    const drawn = await page.$$eval('.chart canvas', (cs) =>
      cs.map((c) => {
        const canvas = c as HTMLCanvasElement;
        const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let ink = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200)) ink++;
        return { w: canvas.width, ink };
      }),
    );
    expect(drawn).toHaveLength(4); // progress, rate, patch to Ready, concurrency limit
    for (const c of drawn) {
      expect(c.w).toBeGreaterThan(0);
      expect(c.ink).toBeGreaterThan(50);
    }

    // Live: resume, and the open page follows the wave to its end without a reload.
    expect((await dispatch(ctx, 'resume', [wave.waveId, '--yes'])).exitCode).toBe(0);
    await page.waitForFunction(() => document.querySelector('[data-field="state"]')?.textContent === 'finished', undefined, { timeout: 120_000 });
    await done;
    const final = journalCounts(await journal.listWaveRuntimes(wave.waveId));
    const shownFinal = await page.$$eval('[data-count]', (els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-count'), Number(e.textContent)])));
    for (const [k, n] of Object.entries(final)) expect([k, shownFinal[k]]).toEqual([k, n]);
    expect(final.pending).toBe(0);

    const html = await page.content();
    // No kubeconfig (its document shape) and none of the landscape's tokens; reasons may say "kubeconfig-unavailable".
    expect(html).not.toMatch(/kind: Config|certificate-authority-data|client-key-data|token:|Bearer |xox[a-z]-/);
    const dir = path.join(sim.out, 'kubeconfigs', 'dev');
    const tokens = readdirSync(dir).flatMap((f) => [...readFileSync(path.join(dir, f), 'utf8').matchAll(/token: *"?([^"\s]+)/g)].map((m) => m[1]));
    expect(tokens.length).toBeGreaterThan(2);
    for (const t of tokens) expect(html).not.toContain(t);
    expect(html).not.toContain(KEY);
    mkdirSync(path.join(ROOT, '.test-results'), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, '.test-results', 'wave-page-finished.png'), fullPage: true });
  }, 240_000);
});
