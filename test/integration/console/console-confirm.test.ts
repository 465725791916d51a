/**
 * src/chat/console/console-adapter.ts: in an interactive console a change without `--yes` is asked about as a
 * message with Proceed / Cancel buttons (issue 17 §5); a script (C7) keeps needing `--yes`. And commands/task.ts:
 * a customer task says what is true about its Istio CRs, shows its history, and refreshes its CRs after a rename
 * (issue 17 §4). The console is the test harness, against the simulator over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Services } from '../../../src/app/services.js';
import { ConsoleBot } from '../../../src/chat/console/console-adapter.js';
import { runtimeOf, startTestSim, writeSimConfig, type TestSim } from '../../helpers/sim.js';

let sim: TestSim;
beforeAll(async () => {
  sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
});
afterAll(async () => {
  await sim?.close();
});

describe('src/chat/console/console-adapter.ts — Proceed / Cancel in an interactive console', () => {
  let services: Services;
  let tty: ConsoleBot;
  let script: ConsoleBot;
  beforeAll(async () => {
    services = await Services.create({ configFile: writeSimConfig(sim, 'console-confirm'), env: {} });
    tty = new ConsoleBot({ services, user: 'sre-1', progressIntervalMs: Infinity, interactive: true });
    script = new ConsoleBot({ services, user: 'sre-1', progressIntervalMs: Infinity });
  });
  afterAll(async () => {
    tty?.close();
    script?.close();
    await services?.close();
  });

  const fresh = () => `runtime-id=${runtimeOf(sim.out, 'stage', 'fresh').runtimeId}`;

  it('a script still needs --yes', async () => {
    await script.input(`run stage ${fresh()} --force`);
    expect(script.lastReply()).toContain('confirm with --yes');
    expect(script.lastReply()).not.toContain('Proceed');
    expect(await (await services.journal()).listWaves({ env: 'stage' })).toEqual([]);
  });

  it('run without --yes shows the plan and asks; Cancel changes nothing, Proceed runs exactly that plan', async () => {
    await tty.input(`run stage ${fresh()} --force`);
    expect(tty.lastReply()).toContain('migrates 1 runtimes of stage as a new wave');
    expect(tty.lastReply()).toMatch(/Plan [0-9a-f]{12} — stage/);
    expect(tty.lastReply()).toContain('[1] Proceed  [2] Cancel');
    expect(tty.lastReply()).not.toContain('no terminal to ask');

    await tty.input('/click Cancel');
    expect(tty.lastReply()).toContain('cancelled by @sre-1: nothing changed');
    expect(await (await services.journal()).listWaves({ env: 'stage' })).toEqual([]);
    await tty.input('/click Proceed');
    expect(tty.lastReply()).toContain('no message with buttons');

    await tty.input(`run stage ${fresh()} --force`);
    const hash = /Plan ([0-9a-f]{12})/.exec(tty.lastReply())![1];
    await tty.input('/click Proceed');
    expect(tty.lastReply()).toMatch(/wave `stage-\d{8}-\d+` started by @sre-1 — 1 runtime,/);
    await tty.input('/wait');
    const [wave] = await (await services.journal()).listWaves({ env: 'stage' });
    expect(wave.planHash.startsWith(hash)).toBe(true);
    expect(wave.state).toBe('finished');
  });

  it('resume and a task rename ask as well; --yes skips the question', async () => {
    // Its own finished wave (not the one the test before made).
    await tty.input(`run stage ${fresh()} --force --yes`);
    const waveId = /`(stage-\d{8}-\d+)`/.exec(tty.lastReply())?.[1];
    if (!waveId) throw new Error(`run --yes did not name its wave: ${tty.lastReply()}`);
    await tty.input('/wait');
    const wave = (await (await services.journal()).getWave(waveId))!;
    expect(wave).toMatchObject({ waveId, state: 'finished' });
    await tty.input(`resume ${wave.waveId}`);
    expect(tty.lastReply()).toContain(`runs the unfinished runtimes of \`${wave.waveId}\` here (finished`);
    expect(tty.lastReply()).toContain('[1] Proceed  [2] Cancel');
    await tty.input('/click Proceed');
    expect(tty.lastReply()).toContain('nothing to resume');
    await tty.input(`resume ${wave.waveId} --yes`);
    expect(tty.lastReply()).toContain('nothing to resume');
    expect(tty.lastReply()).not.toContain('Proceed');
  });
});

describe('commands/task.ts — the customer task tells the truth', () => {
  let services: Services;
  let bot: ConsoleBot;
  beforeAll(async () => {
    services = await Services.create({ configFile: writeSimConfig(sim, 'task-truth'), env: {} });
    bot = new ConsoleBot({ services, user: 'sre-1', progressIntervalMs: Infinity });
  });
  afterAll(async () => {
    bot?.close();
    await services?.close();
  });

  it('one customer CR is named as such, task ID shows the history, and a rename refreshes the CR list', async () => {
    const held = runtimeOf(sim.out, 'dev', 'custom-cr').runtimeId;
    await bot.input(`run dev runtime-id=${held} --yes`);
    await bot.input('/wait');
    const journal = await services.journal();
    const [t] = await journal.listTasks();
    expect(t.runtimeId).toBe(held);
    const names = t.istioCrs.map((c) => c.name);
    expect(names).not.toContain('default');

    await bot.input('tasks');
    if (names.length === 1) {
      expect(bot.lastReply()).toContain(`a customer Istio CR \`${names[0]}\` exists; migrating would add \`default\``);
      expect(bot.lastReply()).not.toMatch(/more than one Istio CR/i);
    } else {
      expect(bot.lastReply()).toContain(`${names.length} Istio CRs exist`);
    }

    await bot.input(`task ${t.taskId} agreed`);
    await bot.input(`task ${t.taskId} rename --yes`);
    expect(bot.lastReply()).toContain('renamed');
    expect((await journal.getTask(t.taskId))!.istioCrs.map((c) => c.name)).toEqual(['default']);

    await bot.input(`task ${t.taskId}`);
    const shown = bot.lastReply();
    expect(shown).toContain(`${t.taskId} renamed`);
    expect(shown).toContain('only the Istio CR `default` exists: nothing left to rename');
    expect(shown).toMatch(/history:[\s\S]*task-agreed by sre-1[\s\S]*task-rename by sre-1[\s\S]*task-renamed by sre-1/);
    expect(shown).toContain(`task ${t.taskId} resolved`);
  }, 60_000);
});
