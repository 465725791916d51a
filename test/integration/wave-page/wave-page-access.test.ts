/**
 * Wave pages are reached only through signed links (HMAC over the wave id and the expiry, key from the config):
 * unsigned, tampered, re-pointed and expired links get 403; the HTML carries no kubeconfig, token nor the key. And
 * `export W --format svg|png` renders the timeline chart from the journal.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import type { CommandContext } from '../../../commands/types.js';
import { Services } from '../../../src/app/services.js';
import { serveWavePages } from '../../../src/wave-page/serve.js';
import { startTestSim, type TestSim, writeSimConfig } from '../../helpers/sim.js';

const KEY = 'access-test-key-fedcba9876543210';
const sign = (subject: string, exp: number) => createHmac('sha256', KEY).update(`${subject}\n${exp}`).digest('hex');

describe('src/wave-page/page-server.ts — signed links only; no secret on a page; export svg|png', () => {
  let sim: TestSim;
  let ctx: CommandContext;
  let served: { port: number; close(): Promise<void> };
  let waveId: string;
  let dir: string;
  const base = () => `http://127.0.0.1:${served.port}`;

  beforeAll(async () => {
    process.env.WAVE_PAGE_ACCESS_KEY = KEY;
    dir = mkdtempSync(path.join(os.tmpdir(), 'wave-page-access-'));
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
    const configFile = writeSimConfig(sim, 'wave-page-access', (cfg) => {
      cfg.page = { keyEnv: 'WAVE_PAGE_ACCESS_KEY' };
      cfg.environments.dev.budgets = { wave: 100 };
    });
    ctx = { user: 'sre-1', via: 'shell', interactive: false, services: await Services.create({ configFile }) };
    const ran = await dispatch(ctx, 'run', ['dev', 'all', '--yes', '--force']);
    waveId = (ran.json as { waveId: string }).waveId;
    served = await serveWavePages({ configFile, port: 0, host: '127.0.0.1', out: () => undefined, err: () => undefined });
  }, 120_000);
  afterAll(async () => {
    await served?.close();
    await ctx?.services.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a correctly signed link opens the page (200), whose HTML holds no kubeconfig, token or key', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const res = await fetch(`${base()}/waves/${waveId}?exp=${exp}&sig=${sign(`wave:${waveId}`, exp)}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`Wave ${waveId}`);
    expect(html).not.toMatch(/kind: Config|certificate-authority-data|client-key-data|token:|Bearer |xox[a-z]-/);
    expect(html).not.toContain(KEY);
    const kdir = path.join(sim.out, 'kubeconfigs', 'dev');
    const tokens = readdirSync(kdir).flatMap((f) => [...readFileSync(path.join(kdir, f), 'utf8').matchAll(/token: *"?([^"\s]+)/g)].map((m) => m[1]));
    expect(tokens.length).toBeGreaterThan(2);
    for (const t of tokens) expect(html).not.toContain(t);
  });

  it.each([
    ['unsigned', () => `/waves/WAVE`],
    ['without a signature', () => `/waves/WAVE?exp=${Math.floor(Date.now() / 1000) + 600}`],
    ['tampered signature', () => { const exp = Math.floor(Date.now() / 1000) + 600; const s = sign('wave:WAVE', exp); return `/waves/WAVE?exp=${exp}&sig=${s.slice(0, -1)}${s.endsWith('0') ? '1' : '0'}`; }],
    ['tampered expiry', () => { const exp = Math.floor(Date.now() / 1000) + 600; return `/waves/WAVE?exp=${exp + 86_400}&sig=${sign('wave:WAVE', exp)}`; }],
    ['expired', () => { const exp = Math.floor(Date.now() / 1000) - 1; return `/waves/WAVE?exp=${exp}&sig=${sign('wave:WAVE', exp)}`; }],
    ['signed for another wave', () => { const exp = Math.floor(Date.now() / 1000) + 600; return `/waves/WAVE?exp=${exp}&sig=${sign('wave:dev-20990101-1', exp)}`; }],
    ['signed with another key', () => { const exp = Math.floor(Date.now() / 1000) + 600; return `/waves/WAVE?exp=${exp}&sig=${createHmac('sha256', 'another-key-0123456789').update(`wave:WAVE\n${exp}`).digest('hex')}`; }],
    ['events, unsigned', () => `/waves/WAVE/events`],
    ['chart, unsigned', () => `/waves/WAVE/chart.svg`],
    ['index, signed for a wave', () => { const exp = Math.floor(Date.now() / 1000) + 600; return `/waves/index/dev?exp=${exp}&sig=${sign('wave:WAVE', exp)}`; }],
  ])('%s → 403', async (_name, url) => {
    const res = await fetch(base() + url().replaceAll('WAVE', waveId));
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain(waveId === '' ? 'x' : '"counts"');
  });

  it.each(['/waves/%E0%A4%A', '/waves/index/%', '/waves/assets/%zz'])('a malformed %%-escape (%s) → 400 with the security headers, not a crash', async (url) => {
    const res = await fetch(base() + url);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain('malformed %-escape');
    // The server still answers.
    expect((await fetch(`${base()}/waves/${waveId}`)).status).toBe(403);
  });

  it('export --format svg prints the timeline chart; --format png --out writes a PNG', async () => {
    const svg = await dispatch(ctx, 'export', [waveId, '--format', 'svg']);
    expect(svg.exitCode).toBe(0);
    expect(svg.text).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.text).toContain('platform failures');
    expect(svg.text).toContain('<desc');
    const file = path.join(dir, 'wave.png');
    const png = await dispatch(ctx, 'export', [waveId, '--format', 'png', '--out', file]);
    expect(png.exitCode).toBe(0);
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(bytes.readUInt32BE(16)).toBe(800);
    const bad = await dispatch(ctx, 'export', [waveId, '--format', 'gif']);
    expect(bad.exitCode).toBe(2);
  });
});
