/**
 * Words that do not mislead (issue 17), against a simulated landscape: empty selections and extra tokens are
 * refused with an example, a shell plan in Prod says how to get its approval, plan titles show the set typed,
 * `status` lists active and recent waves (`--all`: every wave), a drained wave is called drained with what was
 * left, and the console says what `/wait` and leaving wait for and which waves an earlier session left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import type { CommandContext } from '../../../commands/types.js';
import { Services } from '../../../src/app/services.js';
import { ConsoleBot } from '../../../src/chat/console/console-adapter.js';
import type { WaveEvent } from '../../../src/rollout/wave-runner.js';
import type { WaveStatus } from '../../../src/rollout/wave-status.js';
import { startTestSim, type TestSim, writeSimConfig } from '../../helpers/sim.js';

let sim: TestSim;
const open: Services[] = [];

async function services(): Promise<Services> {
  const s = await Services.create({
    configFile: writeSimConfig(sim, 'words', (cfg) => {
      for (const env of ['dev', 'stage', 'prod']) cfg.environments[env].budgets = { wave: 100 };
    }),
  });
  // The journal of this config, created as a first plan would (commands that only read refuse a missing one).
  await s.journal('create');
  open.push(s);
  return s;
}

const shell = (s: Services): CommandContext => ({ user: 'sre-1', via: 'shell', interactive: false, services: s });

beforeAll(async () => {
  sim = await startTestSim({ profile: 'fresh', runtimes: 80, timeScale: 0.01 });
});

afterAll(async () => {
  for (const s of open) await s.close();
  await sim?.close();
});

describe('refusals with an example', () => {
  it('an empty selection is refused (exit 1) and neither planned nor run as a 0-runtime wave', async () => {
    const s = await services();
    const plan = await dispatch(shell(s), 'plan', ['stage', 'region=nowhere']);
    expect(plan.exitCode).toBe(1);
    expect(plan.text).toContain('nothing to plan in stage: target region=nowhere');
    expect(plan.text).toContain('example: plan stage kyma-test');
    const run = await dispatch(shell(s), 'run', ['stage', 'region=nowhere', '--yes']);
    expect(run.exitCode).toBe(1);
    expect(await (await s.journal()).listWaves()).toEqual([]);
    expect((await dispatch(shell(s), 'status', [])).text).toBe('no waves yet');
  });

  it('an unknown extra token is refused (exit 2) with an example', async () => {
    const s = await services();
    const plan = await dispatch(shell(s), 'plan', ['stage', 'kyma-test', '%00']);
    expect(plan.exitCode).toBe(2);
    expect(plan.text).toContain('"%00"');
    expect(plan.text).toContain('example: plan stage kyma-test');
    const status = await dispatch(shell(s), 'status', ['stage-20261125-1', 'extra']);
    expect(status.exitCode).toBe(2);
    expect(status.text).toContain('unexpected "extra"');
    expect(status.text).toContain('example: status');
  });
});

describe('plans', () => {
  it('a shell plan of Prod says it needs an approval and how to get it; the title shows the set typed', async () => {
    const s = await services();
    const res = await dispatch(shell(s), 'plan', ['prod', 'kyma-test', '--sample', '1']);
    expect(res.exitCode).toBe(0);
    const doc = res.json as { hash: string; title: string; target: string };
    expect(doc.title).toBe('kyma-test');
    expect(doc.target).not.toBe('kyma-test'); // the canonical form (selectors), kept for the runbook
    expect(res.text.split('\n')[0]).toBe(`Plan ${doc.hash.slice(0, 12)} — prod, target kyma-test (sample of 1)`);
    expect(res.text).toContain(`prod needs an on-call approval of this plan before it runs`);
    expect(res.text).toContain(`istio-migrate approve ${doc.hash.slice(0, 12)} --as oncall-1`);
    expect(res.text).toContain(`then run --plan ${doc.hash.slice(0, 12)}`);
    expect(res.text).not.toMatch(/\d\.\d{3,} s/); // durations rounded
  });

  it('the console titles the plan with the set typed, and /wait with nothing running says so', async () => {
    const bot = new ConsoleBot({ services: await services(), user: 'sre-1', progressIntervalMs: Infinity });
    try {
      await bot.input('stage kyma-test --sample 2');
      expect(bot.lastReply()).toMatch(/^== Plan [0-9a-f]{12} — stage, kyma-test ==/);
      await bot.input('/wait');
      expect(bot.lastReply()).toContain('nothing is running');
    } finally {
      bot.close();
    }
  });
});

describe('waves', () => {
  it('status lists the active and the recent waves; --all every wave', async () => {
    const s = await services();
    const journal = await s.journal();
    const rt = { runtimeId: 'r-1', shootName: 'c-1', globalAccountId: 'ga', subaccountId: 'sa', plan: 'aws', region: 'eu-central-1', instanceId: 'i-1' };
    const ids: string[] = [];
    for (let i = 0; i < 13; i++) {
      const w = await journal.createWave({ env: 'dev', target: 'all', planHash: `h${i}`, state: 'running', concurrency: 1, requestedBy: 'sre-1', approvedBy: null }, [rt]);
      ids.push(w.waveId);
      if (i < 12) await journal.setWaveState(w.waveId, 'finished');
    }
    const res = await dispatch(shell(s), 'status', []);
    const listed = (res.json as { waves: WaveStatus[] }).waves.map((w) => w.waveId);
    // The active (newest, interrupted: nobody runs it) and the ten most recent ended ones, newest first.
    expect(listed).toEqual([ids[12], ...ids.slice(2, 12).reverse()]);
    expect(res.text).toContain('(2 older waves not shown: status --all)');
    expect(res.text).toContain(`${ids[0].replace(/-\d+$/, '')}`);
    const all = await dispatch(shell(s), 'status', ['--all']);
    expect((all.json as { waves: WaveStatus[] }).waves).toHaveLength(13);
    // A wave whose runtimes were never started but which ended finished was drained.
    expect(res.text).toContain(`${ids[11]} drained (1 runtime not started) all`);

    // The console names the wave an earlier session left without a runner.
    const bot = new ConsoleBot({ services: s, user: 'sre-1' });
    try {
      const lines = await bot.interruptedWaves();
      expect(lines).toEqual([`interrupted wave ${ids[12]} (dev, all): 1 runtime not finished — resume ${ids[12]} to continue it, or abort ${ids[12]}`]);
    } finally {
      bot.close();
    }
  });

  it('a drained wave is called drained with what was left; leaving says what it waits for', async () => {
    const s = await services();
    const bot = new ConsoleBot({ services: s, user: 'sre-1', progressIntervalMs: Infinity });
    // Drain once the first runtime started: with concurrency 1 the rest are never started.
    const firstStarted = new Promise<string>((resolve) => {
      const on = (e: WaveEvent) => {
        if (e.type === 'runtime-started') {
          s.events.off('event', on);
          resolve(e.waveId);
        }
      };
      s.events.on('event', on);
    });
    try {
      await bot.input('run dev all --concurrency 1 --yes');
      const waveId = await firstStarted;
      await bot.input(`drain ${waveId}`);
      await bot.leave();
      const t = bot.transcript();
      expect(t).toMatch(new RegExp(`waiting for wave \`${waveId}\`.* to end before leaving; Ctrl-C stops it now`));
      expect(t).toMatch(new RegExp(`== Wave ${waveId} drained \\(\\d+ runtimes not started\\) — dev, `));
      const st = await dispatch(shell(s), 'status', [waveId]);
      expect((st.json as WaveStatus).state).toBe('finished'); // the JSON keeps C5's state
      expect(st.text).toMatch(/ drained \(\d+ runtimes not started\): /);
    } finally {
      bot.close();
    }
  });
});
