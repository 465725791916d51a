/**
 * Issue 21 part 4: the console prints what the wave's thread would show (src/chat/wave-thread.ts). A Stage wave with
 * failures of four reasons, driven through ConsoleBot against the simulator over HTTP, with a small digest interval:
 * the `» ` digest lines group the failures by reason with counts that add up to the journal's failures, and the only
 * line told at once is the wave's end (no budget stop, pause, drain, abort or interruption happened). A second wave,
 * paused and resumed by a person: each is told at once, exactly once, and nothing else. A third wave, interrupted and
 * resumed by another process: told as resumed after an interruption. A retry of the first wave's failed runtimes:
 * told as a retry, not as an interruption.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Services } from '../../../src/app/services.js';
import { ConsoleBot } from '../../../src/chat/console/console-adapter.js';
import { outsideRunbook, runtimesOf, startTestSim, writeSimConfig, type TestSim } from '../../helpers/sim.js';
import { expectedOf } from '../../helpers/outcomes.js';

const FAILING = ['istio-error', 'manifest-error', 'no-template', 'no-kyma'];
const PER_REASON = 12;

describe('src/chat/console/console-adapter.ts with src/chat/wave-thread.ts — the thread policy in the console', () => {
  let sim: TestSim;
  let services: Services;
  let bot: ConsoleBot;
  let config: string;
  const chosen = new Map<string, string>(); // runtimeId → expected reason (DESIGN.md C2, test/helpers/outcomes.ts)

  beforeAll(async () => {
    sim = await startTestSim({ profile: 'fresh=1,istio-error=1,manifest-error=1,no-template=1,no-kyma=1', runtimes: 400, timeScale: 0.01 });
    const stage = runtimesOf(sim.out).filter((r) => r.env === 'stage');
    for (const scenario of FAILING) {
      const of = stage.filter((r) => r.scenario === scenario).slice(0, PER_REASON);
      if (of.length < PER_REASON) throw new Error(`the simulator made only ${of.length} Stage runtimes of scenario ${scenario}; the test needs ${PER_REASON}`);
      const e = expectedOf(scenario);
      for (const r of of) chosen.set(r.runtimeId, e.reason ?? e.outcome!);
    }
    const fresh = stage.filter((r) => r.scenario === 'fresh').slice(0, 4);
    // A second wave for pause/resume: runtimes of the same scenarios not in the first one.
    const second = FAILING.flatMap((scenario) => stage.filter((r) => r.scenario === scenario).slice(PER_REASON, PER_REASON + 6));
    if (second.length < 24) throw new Error(`the simulator made too few Stage runtimes for the second wave (${second.length} of 24)`);
    // A third wave, interrupted and resumed by another process: fresh runtimes, more than the concurrency.
    const third = stage.filter((r) => r.scenario === 'fresh').slice(4, 34);
    if (third.length < 30) throw new Error(`the simulator made too few fresh Stage runtimes for the third wave (${third.length} of 30)`);
    config = writeSimConfig(sim, 'console-thread', (cfg) => {
      outsideRunbook(cfg);
      const env = cfg.environments.stage;
      env.budgets = { wave: 1000 };
      env.limits = { concurrency: 8, requestsPerSecond: {} };
      // 0.05 min × time scale 0.01 = 30 ms between digests: several digests in one short wave
      env.thread = { digestMinutes: 0.05, digestThreshold: 1000 };
      env.targets = { ...(env.targets as Record<string, string[]>), mixed: [...chosen.keys(), ...fresh.map((r) => r.runtimeId)].map((id) => `runtime-id=${id}`), steered: second.map((r) => `runtime-id=${r.runtimeId}`), third: third.map((r) => `runtime-id=${r.runtimeId}`) };
    });
    services = await Services.create({ configFile: config, env: {} });
    bot = new ConsoleBot({ services, user: 'sre-1', progressIntervalMs: 60_000 });
  });
  afterAll(async () => {
    bot?.close();
    await services?.close();
    await sim?.close();
  });

  it('prints grouped digests that count every failure, and at once only the wave end', async () => {
    await bot.say('sre-1', 'stage mixed');
    expect(bot.lastReply()).toContain('[1] Run  [2] Cancel');
    await bot.say('sre-1', '/click Run');
    expect(bot.lastReply()).toMatch(/wave `stage-\d{8}-1` started by @sre-1/);
    await bot.say('sre-1', '/wait');
    expect(bot.lastReply()).toMatch(/== Wave stage-\d{8}-1 finished/);

    const journal = await services.journal();
    const [wave] = await journal.listWaves({ env: 'stage' });
    expect(wave.state).toBe('finished');
    const runtimes = await journal.listWaveRuntimes(wave.waveId);
    expect(runtimes).toHaveLength(chosen.size + 4);
    const journalFailures = new Map<string, number>();
    for (const r of runtimes) {
      const expected = chosen.get(r.runtimeId);
      if (!expected) continue;
      expect(`${r.runtimeId} ${r.result?.reason ?? r.result?.outcome}`).toBe(`${r.runtimeId} ${expected}`);
      journalFailures.set(expected, (journalFailures.get(expected) ?? 0) + 1);
    }
    expect(Object.fromEntries(journalFailures)).toEqual({ 'istio-error': PER_REASON, 'manifest-error': PER_REASON, 'module-template-missing': PER_REASON, 'kyma-cr-missing': PER_REASON });

    const lines = bot.transcript().split('\n');
    // Digests: a header per digest, then one `» • reason × n: examples` line per group.
    const headers = lines.filter((l) => l.startsWith('» ') && /failures? since the last digest/.test(l));
    expect(headers.length).toBeGreaterThanOrEqual(1);
    expect(headers.length).toBeLessThan(chosen.size); // grouped, not one line per failure
    const counted = new Map<string, number>();
    for (const l of lines) {
      const m = /^» • `([a-z-]+)` × (\d+): (.*)$/.exec(l);
      if (!m) continue;
      counted.set(m[1], (counted.get(m[1]) ?? 0) + Number(m[2]));
      const ids = [...m[3].matchAll(/`([^`]+)`/g)].map((x) => x[1]);
      expect(ids.length).toBeGreaterThanOrEqual(1);
      expect(ids.length).toBeLessThanOrEqual(3);
      for (const id of ids) expect(`${id} ${chosen.get(id)}`).toBe(`${id} ${m[1]}`);
    }
    // No failure lost: per reason, the digest counts add up to the journal's failures.
    expect(Object.fromEntries(counted)).toEqual(Object.fromEntries(journalFailures));
    // Each digest's header names the number of its group lines' failures.
    const total = [...headers].reduce((n, h) => n + Number(/: (\d+) failures? since/.exec(h)![1]), 0);
    expect(total).toBe(chosen.size);

    // Immediate lines (`wave `<id>`: …`): none for this wave — no budget stop, pause, drain, abort or interruption;
    // its end is the final summary, printed once, after the last digest.
    expect(lines.filter((l) => l.startsWith(`wave \`${wave.waveId}\`: `))).toEqual([]);
    const ends = lines.map((l, i) => (l.startsWith(`== Wave ${wave.waveId} finished`) ? i : -1)).filter((i) => i >= 0);
    expect(ends).toHaveLength(1);
    const lastDigest = lines.map((l, i) => (l.startsWith('» ') && /since the last digest/.test(l) ? i : -1)).filter((i) => i >= 0).at(-1)!;
    expect(lastDigest).toBeLessThan(ends[0]);
  });

  it("prints a person's pause and the resume that answers it at once, each exactly once", async () => {
    await bot.say('sre-1', 'stage steered');
    expect(bot.lastReply()).toContain('[1] Run  [2] Cancel');
    await bot.say('sre-1', '/click Run');
    const id = /wave `(stage-\d{8}-\d+)` started/.exec(bot.lastReply())?.[1];
    expect(id).toBeDefined();
    await bot.say('sre-1', `pause ${id}`);
    const line = (re: RegExp) => bot.transcript().split('\n').filter((l) => l.startsWith(`wave \`${id}\`: `) && re.test(l));
    for (const deadline = Date.now() + 60_000; !line(/paused/).length; ) {
      if (Date.now() > deadline) throw new Error(`no "paused" line for ${id} within 60 s:\n${bot.transcript()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await bot.say('sre-1', `resume ${id}`);
    await bot.say('sre-1', '/wait');
    // The resume answers once the runner has resumed: a wave this small may have ended before /wait.
    expect(bot.transcript()).toContain(`== Wave ${id} finished`);
    expect(line(/paused/)).toHaveLength(1);
    expect(line(/running again/)).toHaveLength(1);
    // Nothing else was told at once for this wave (its end is the summary).
    expect(line(/./)).toHaveLength(2);
  });

  it('tells a retry of the failed runtimes as a retry, not as a resume after an interruption', async () => {
    const journal = await services.journal();
    const first = (await journal.listWaves({ env: 'stage' })).sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0];
    expect(first.state).toBe('finished');
    const before = bot.transcript().split('\n').length;
    await bot.say('sre-1', `retry-failed ${first.waveId} --yes`);
    expect(bot.lastReply()).toMatch(new RegExp(`wave \`${first.waveId}\` retry started by @sre-1`));
    await bot.say('sre-1', '/wait');
    expect(bot.lastReply()).toContain(`== Wave ${first.waveId} finished`);
    const told = bot.transcript().split('\n').slice(before).filter((l) => l.startsWith(`wave \`${first.waveId}\`: `));
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/retry-failed: the runtimes that failed on the platform side run again/);
    expect(told[0]).not.toMatch(/interruption|resumed/);
  });

  it('prints at once that a wave interrupted by a stopping process was resumed, as the thread does', async () => {
    await bot.say('sre-1', 'stage third');
    await bot.say('sre-1', '/click Run');
    const id = /wave `(stage-\d{8}-\d+)` started/.exec(bot.lastReply())?.[1];
    expect(id).toBeDefined();
    const journal = await services.journal();
    // SIGTERM's graceful stop, once a runtime has finished: the wave is interrupted with runtimes left.
    for (const deadline = Date.now() + 60_000; !(await journal.listWaveRuntimes(id!)).some((r) => r.state === 'finished'); ) {
      if (Date.now() > deadline) throw new Error(`no runtime of ${id} finished within 60 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    services.events.stopAll();
    await bot.say('sre-1', '/wait');
    expect((await journal.getWave(id!))?.state).toBe('interrupted');

    // Another process resumes it: its console tells the resume at once, exactly once.
    const other = await Services.create({ configFile: config, env: {} });
    const resumer = new ConsoleBot({ services: other, user: 'sre-2', progressIntervalMs: 60_000 });
    try {
      await resumer.say('sre-2', `resume ${id} --yes`);
      await resumer.say('sre-2', '/wait');
      expect(resumer.lastReply()).toContain(`== Wave ${id} finished`);
      const told = resumer.transcript().split('\n').filter((l) => l.startsWith(`wave \`${id}\`: `));
      expect(told).toHaveLength(1);
      expect(told[0]).toMatch(/resumed after an interruption/);
    } finally {
      resumer.close();
      await other.close();
    }
  });
});
