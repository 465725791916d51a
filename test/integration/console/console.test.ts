/**
 * The console adapter (C7) as a user meets it: scripted sessions through the built binary, and in-process
 * `ConsoleBot` sessions (the console is the test harness, STYLE.md §3) against a simulated landscape.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Services } from '../../../src/app/services.js';
import { ConsoleBot } from '../../../src/chat/console/console-adapter.js';
import { startTestSim, writeSimConfig, type TestSim } from '../../helpers/sim.js';
import { runBin } from '../../helpers/built-bin.js';

let sim: TestSim;
const dirs: string[] = [];

/** The simulator's config with a journal of its own. */
function freshConfig(): string {
  return writeSimConfig(sim, 'console-test', (_cfg, dir) => dirs.push(dir));
}

const runConsole = (args: string[], stdin?: string) => runBin(['console', ...args], { env: { ISTIO_MIGRATE_USER: 'sre-script' }, stdin: stdin ?? '' });

/** The transcript without the timing-dependent progress-bar lines. */
const stable = (t: string) =>
  t
    .split('\n')
    .filter((l) => !l.startsWith('» '))
    .join('\n');

beforeAll(async () => {
  // Benign runtimes only: these tests are about the console, not outcomes (the wave tests cover those).
  sim = await startTestSim({ profile: 'existing-default=60,fresh=30,with-keda=10', runtimes: 60, timeScale: 0.01 });
});

afterAll(async () => {
  await sim?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('src/chat/console/console-command.ts — istio-migrate console --script (built binary)', () => {
  it('runs a script: plan → /click Run → /wait → status, with comments and blank lines; exit 0', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'console-script-'));
    dirs.push(dir);
    const script = path.join(dir, 'session.txt');
    writeFileSync(script, ['# a first wave', '', '/istio-migrate stage kyma-test --sample 2   # the prefix is optional', '/click Run', '/wait', 'status', ''].join('\n'));

    const r = await runConsole(['--config', freshConfig(), '--script', script]);

    expect(r.code).toBe(0);
    const out = stable(r.stdout);
    expect(out).toContain('sre-script> /istio-migrate stage kyma-test --sample 2');
    expect(out).toMatch(/== Plan [0-9a-f]{12} — stage, /);
    expect(out).toContain('[1] Run  [2] Cancel');
    expect(out).toMatch(/wave `stage-\d{8}-1` started by @sre-script — 2 runtimes/);
    expect(out).toMatch(/== Wave stage-\d{8}-1 finished — stage, /);
    expect(out).toMatch(/\[#{20}\] 2\/2/);
    expect(out).toMatch(/sre-script> status\nstage-\d{8}-1 finished/);
    expect(out).not.toContain('a first wave'); // comments are not echoed
    expect(out).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:/); // no timestamps unless asked
  });

  it('reads piped stdin; an unknown command answers with the error and an example, and the exit code is 1', async () => {
    const r = await runConsole(['--config', freshConfig()], 'frobnicate now\nhelp run\n');

    expect(r.code).toBe(1);
    expect(r.stdout).toContain('sre-script> frobnicate now');
    expect(r.stdout).toContain('`/istio-migrate frobnicate now` was not run');
    expect(r.stdout).toContain('unknown command "frobnicate"');
    expect(r.stdout).toContain('Example: plan stage kyma-test');
    expect(r.stdout).toContain('run --plan 3f2a9c1b7d4e --yes'); // help run still answered after the failure
  });

  it('exits 2 when the script cannot be read', async () => {
    const r = await runConsole(['--config', freshConfig(), '--script', '/nonexistent/session.txt']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read the script');
  });
});

describe('src/chat/console/console-adapter.ts — ConsoleBot in-process', () => {
  let services: Services;
  let bot: ConsoleBot;
  beforeAll(async () => {
    services = await Services.create({ configFile: freshConfig(), env: {} });
    bot = new ConsoleBot({ services, user: 'sre-1', progressIntervalMs: 0 });
  });
  afterAll(async () => {
    bot?.close();
    await services?.close();
  });

  it('comments and blank lines do nothing', async () => {
    await bot.say('sre-1', '# nothing');
    await bot.say('sre-1', '   ');
    expect(bot.transcript()).toBe('');
    expect(bot.failed).toBe(0);
  });

  it('plan → /click Run → /wait → status, as the identity that clicked', async () => {
    await bot.say('sre-1', 'stage kyma-test --sample 2');
    expect(bot.lastReply()).toContain('[1] Run  [2] Cancel');
    expect(bot.lastReply()).toContain('planned by @sre-1');

    await bot.say('sre-2', '/click Run');
    expect(bot.lastReply()).toMatch(/wave `stage-\d{8}-1` started by @sre-2/);

    await bot.say('sre-1', '/wait');
    expect(bot.lastReply()).toMatch(/== Wave stage-\d{8}-1 finished/);
    expect(bot.transcript()).toMatch(/» stage-\d{8}-1 running \[/); // progress lines (every event here)

    await bot.say('sre-1', 'status');
    expect(bot.lastReply()).toMatch(/stage-\d{8}-1 finished/);

    // The plan's buttons are used up: the next click has nothing to press.
    await bot.say('sre-1', '/click Run');
    expect(bot.lastReply()).toContain('no message with buttons');
  });

  it('/as and the Prod approval: the requester cannot approve, an approver can, then the run starts', async () => {
    await bot.input('/as sre-1');
    expect(bot.user).toBe('sre-1');
    await bot.input('prod kyma-test --sample 1');
    expect(bot.lastReply()).toContain('[1] Request approval  [2] Cancel');
    expect(bot.lastReply()).toContain('prod needs an on-call approval');

    await bot.input('run --plan $PLAN --yes');
    expect(bot.lastReply()).toContain('needs an on-call approval');

    await bot.input('/click Request approval');
    expect(bot.lastReply()).toContain('@sre-1 asks for an on-call approval');
    expect(bot.lastReply()).toContain('[1] Approve  [2] Run');

    await bot.input('/click Approve');
    expect(bot.lastReply()).toContain('sre-1 requested plan');
    expect(bot.lastReply()).toContain('cannot approve it');

    await bot.input('/as oncall-1');
    await bot.input('/click 1');
    expect(bot.lastReply()).toMatch(/plan [0-9a-f]{12} approved by oncall-1 for run/);

    await bot.input('/as sre-1');
    await bot.input('/click Run');
    expect(bot.lastReply()).toMatch(/wave `prod-\d{8}-1` started by @sre-1 — 1 runtime,/);
    await bot.input('/wait');
    await bot.input('status --json');
    const doc = JSON.parse(bot.lastReply().split('\n').slice(0, -1).join('\n')) as { waves: { waveId: string; state: string }[] };
    expect(doc.waves.find((w) => w.waveId.startsWith('prod-'))?.state).toBe('finished');
  });

  it('unknown commands and directives answer with what was wrong and an example', async () => {
    const before = bot.failed;
    await bot.say('sre-1', 'frobnicate');
    expect(bot.lastReply()).toContain('unknown command "frobnicate"');
    expect(bot.lastReply()).toContain('Example: plan stage kyma-test');
    await bot.say('sre-1', '/frobnicate');
    expect(bot.lastReply()).toContain('unknown console directive /frobnicate');
    await bot.say('sre-1', 'plan stage "kyma-test');
    expect(bot.lastReply()).toContain('unterminated quote');
    expect(bot.lastReply()).toContain('example: plan stage');
    expect(bot.failed).toBe(before + 3);
  });
});
