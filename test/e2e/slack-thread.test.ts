/**
 * Issue 21: a calm thread. A Stage wave of 200 failing runtimes, 50 each of four reasons (plus a few that migrate),
 * through the real Bolt receiver and the fake Slack: the thread gets grouped digests whose counts add up to every
 * failure, and nothing else but the wave's end (no budget stop, pause, abort or approval happened).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeSlack, buttonPayload, postSigned, slashPayload, type FakeSlackCall, type Json } from '../helpers/fake-slack.js';
import { outsideRunbook, runtimesOf, startTestSim, type SimConfigDoc, type TestSim } from '../helpers/sim.js';
import { expectedOf } from '../helpers/outcomes.js';
import { SECRET, startBot, writeBotConfig, type TestBot } from './harness.js';

const STAGE = 'C-STAGE';
/** The failing scenarios; what each fails with (its C4 reason, else its outcome) comes from the shared C2 table. */
const FAILING_SCENARIOS = ['istio-error', 'manifest-error', 'no-template', 'no-kyma'];
const failsWith = (scenario: string): string => {
  const e = expectedOf(scenario);
  const why = e.reason ?? e.outcome;
  if (!why || e.outcome === 'migrated') throw new Error(`C2 says scenario ${scenario} does not fail (${JSON.stringify(e)})`);
  return why;
};
const PER_REASON = 50;

const isParentPost = (c: FakeSlackCall) => c.method === 'chat.postMessage' && c.status === 200 && !c.body.thread_ts && String(c.body.text).startsWith('Wave ');
const texts = (blocks: Json[]) => blocks.flatMap((b: Json) => [b.text?.text ?? '', ...(b.fields ?? []).map((f: Json) => f.text), ...(b.elements ?? []).map((e: Json) => e.text ?? '')]).join('\n');

describe('src/chat/wave-thread.ts through src/chat/slack/wave-reporter.ts — a wave with 200 failures of 4 reasons', () => {
  let sim: TestSim;
  let fake: FakeSlack;
  let t: TestBot;
  const chosen = new Map<string, string>(); // runtimeId → expected reason

  beforeAll(async () => {
    sim = await startTestSim({ profile: 'fresh=1,istio-error=1,manifest-error=1,no-template=1,no-kyma=1', runtimes: 1200, timeScale: 0.01 });
    const stage = runtimesOf(sim.out).filter((r) => r.env === 'stage');
    for (const scenario of FAILING_SCENARIOS) {
      const reason = failsWith(scenario);
      const of = stage.filter((r) => r.scenario === scenario).slice(0, PER_REASON);
      if (of.length < PER_REASON) throw new Error(`the simulator made only ${of.length} Stage runtimes of scenario ${scenario}; the test needs ${PER_REASON}`);
      for (const r of of) chosen.set(r.runtimeId, reason);
    }
    const fresh = stage.filter((r) => r.scenario === 'fresh').slice(0, 10);
    fake = await FakeSlack.start({ limits: { 'chat.postMessage': null, 'chat.update': null } });
    const config = writeBotConfig(sim, {}, (cfg) => {
      outsideRunbook(cfg as SimConfigDoc);
      cfg.chat = { channels: { stage: STAGE }, customerContactChannel: 'C-CUSTOMER' };
      const env = cfg.environments.stage;
      env.budgets = { wave: 1000 };
      env.limits = { concurrency: 40, requestsPerSecond: {} };
      // one selector per runtime: a selector is at most 1,024 characters (a union of 210 ids in one regex is not)
      env.targets['two-hundred'] = [...chosen.keys(), ...fresh.map((r) => r.runtimeId)].map((id) => `runtime-id=${id}`);
    });
    t = await startBot(fake, config, 'http');
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
    await sim?.close();
  });

  it('tells the wave in grouped digests that count every failure, and posts at once only the end', async () => {
    await postSigned(t.eventsUrl, slashPayload('stage two-hundred', { user: 'U1', channel: STAGE }), SECRET);
    await t.bot.idle();
    const plan = structuredClone([...fake.messages.values()].find((m) => m.channel === STAGE && m.text.startsWith('Plan '))!);
    expect(plan).toBeDefined();
    const runId = plan.blocks.find((b: Json) => b.type === 'actions').elements[0].action_id as string;
    fake.reset();
    const res = await postSigned(t.eventsUrl, { payload: JSON.stringify(buttonPayload(plan, runId, 'U1')) }, SECRET);
    expect(res.status).toBe(200);
    const parentTs = String((await fake.waitFor(isParentPost)).answer!.ts);
    const journal = await t.services.journal();
    for (;;) {
      const [wave] = await journal.listWaves({ env: 'stage' });
      if (wave && ['finished', 'aborted', 'budget-stopped'].includes(wave.state)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await t.bot.idle();

    const [wave] = await journal.listWaves({ env: 'stage' });
    expect(wave.state).toBe('finished');
    const runtimes = await journal.listWaveRuntimes(wave.waveId);
    expect(runtimes).toHaveLength(chosen.size + 10);
    // The simulator did what the scenarios say: 200 failures, 50 of each reason.
    const failedBy = new Map<string, number>();
    for (const r of runtimes) {
      const expected = chosen.get(r.runtimeId);
      if (!expected) continue;
      const got = r.result?.reason ?? r.result?.outcome;
      expect(`${r.runtimeId} ${got}`).toBe(`${r.runtimeId} ${expected}`);
      failedBy.set(expected, (failedBy.get(expected) ?? 0) + 1);
    }
    expect(Object.fromEntries(failedBy)).toEqual({ 'istio-error': 50, 'manifest-error': 50, 'module-template-missing': 50, 'kyma-cr-missing': 50 });

    const thread = fake.callsTo('chat.postMessage').filter((c) => c.status === 200 && c.body.thread_ts === parentTs);
    const digests = thread.filter((c) => /failures? since the last digest/.test(String(c.body.text)));
    const others = thread.filter((c) => !digests.includes(c));
    // Immediate posts: only the wave's end (nothing else that needs a person happened).
    expect(others.map((c) => c.body.text)).toEqual([`Wave ${wave.waveId} finished`]);
    expect(thread.at(-1)!.body.text).toBe(`Wave ${wave.waveId} finished`);
    // Far fewer posts than failures: grouped digests.
    expect(digests.length).toBeGreaterThanOrEqual(1);
    expect(digests.length).toBeLessThanOrEqual(20);
    // No failure lost: per reason, the digest counts add up to the journal's.
    const counted = new Map<string, number>();
    for (const d of digests) {
      const body = texts(d.body.blocks);
      const lines = [...body.matchAll(/^• `([a-z-]+)` × (\d+): (.*)$/gm)];
      expect(lines.length).toBeGreaterThanOrEqual(1);
      for (const [, reason, n, examples] of lines) {
        counted.set(reason, (counted.get(reason) ?? 0) + Number(n));
        // A few examples per group, each a failure of that reason.
        const ids = [...examples.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
        expect(ids.length).toBeGreaterThanOrEqual(1);
        expect(ids.length).toBeLessThanOrEqual(3);
        for (const id of ids) expect(chosen.get(id)).toBe(reason);
      }
      expect(body).toContain(`export ${wave.waveId} --format csv`);
    }
    expect(Object.fromEntries(counted)).toEqual({ 'istio-error': 50, 'manifest-error': 50, 'module-template-missing': 50, 'kyma-cr-missing': 50 });
    // The parent carries the totals by reason; the full list is the CSV in the thread.
    const parent = fake.message(STAGE, parentTs)!;
    expect(texts(parent.blocks)).toMatch(/failures by reason: .*istio-error 50/);
    const upload = fake.uploads.at(-2)!; // the CSV; the timeline chart (a PNG) follows it
    expect(upload.body).toContain('waveId,runtimeId,'); // the CSV's header line
    for (const id of chosen.keys()) expect(upload.body).toContain(id);
    expect(fake.unexpected).toEqual([]);
  });
});
