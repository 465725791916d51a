import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FakeSlack} from '../helpers/fake-slack.js';
import { buttonPayload, postSigned, slashPayload, type FakeSlackCall, type Json } from '../helpers/fake-slack.js';
import { runtimeOf, type TestSim, outsideRunbook, type SimConfigDoc } from '../helpers/sim.js';
import { SECRET, type TestBot, closeSlackSetup, startSlackSetup } from './harness.js';

const DEV = 'C-DEV';
const CUSTOMER = 'C-CUSTOMER';

const isParentPost = (c: FakeSlackCall) => c.method === 'chat.postMessage' && c.status === 200 && !c.body.thread_ts && String(c.body.text).startsWith('Wave ');
const texts = (blocks: Json[]) => blocks.flatMap((b: Json) => [b.text?.text ?? '', ...(b.fields ?? []).map((f: Json) => f.text), ...(b.elements ?? []).map((e: Json) => e.text ?? '')]).join('\n');

function expectWithinBlockKit(blocks: Json[]) {
  expect(blocks.length).toBeLessThanOrEqual(50);
  for (const b of blocks) if (b.type === 'section') expect(b.text.text.length).toBeLessThanOrEqual(3000);
}

describe('src/chat/slack/wave-reporter.ts — plan → Run → live parent → digests → final summary (HTTP receiver)', () => {
  let sim: TestSim;
  let fake: FakeSlack;
  let t: TestBot;

  beforeAll(async () => {
    process.env.SLACK_WAVE_TEST_PAGE_KEY = 'slack-wave-test-page-key-0123456789';
    ({ sim, fake, t } = await startSlackSetup({
      // chat.update is tight here (4 per second, Retry-After 1 s): the reporter meets 429s and must lose nothing.
      fake: { limits: { 'chat.postMessage': null, 'chat.update': { max: 4, windowMs: 1000 } }, retryAfterSeconds: 1 },
      config: (cfg) => {
        outsideRunbook(cfg as SimConfigDoc); // waves of chosen runtimes, not runbook steps
        cfg.chat = { channels: { dev: DEV }, customerContactChannel: CUSTOMER };
        cfg.environments.dev.budgets = { wave: 100 };
        cfg.page = { keyEnv: 'SLACK_WAVE_TEST_PAGE_KEY', baseUrl: 'https://istio-migrate.example.com/' };
      },
    }));
  });
  afterAll(() => closeSlackSetup({ t, fake, sim }));

  const click = async (message: { channel: string; ts: string; text: string; blocks: Json[] }, actionId: string, user: string) => {
    const res = await postSigned(t.eventsUrl, { payload: JSON.stringify(buttonPayload(message, actionId, user)) }, SECRET);
    expect(res.status).toBe(200);
  };

  it('runs a whole Dev wave: one parent edited in place, failure digests in its thread, tasks, the final summary and the full list as a file', async () => {
    const res = await postSigned(t.eventsUrl, slashPayload('dev all', { user: 'U1', channel: 'C-ASK' }), SECRET);
    expect(res.status).toBe(200);
    await t.bot.idle();
    // The plan goes to the environment's channel; the caller is told where.
    const planPost = fake.callsTo('chat.postMessage').find((c) => String(c.body.text).startsWith('Plan '))!;
    expect(planPost.body.channel).toBe(DEV);
    expect(fake.callsTo('chat.postEphemeral').map((c) => c.body.text)).toEqual([expect.stringContaining(`<#${DEV}>`)]);
    const plan = structuredClone([...fake.messages.values()].find((m) => m.channel === DEV && m.text.startsWith('Plan '))!);
    const runId = plan.blocks.find((b: Json) => b.type === 'actions').elements[0].action_id as string;
    expect(plan.blocks.find((b: Json) => b.type === 'actions').elements[0].confirm).toBeDefined();

    fake.reset();
    await click(plan, runId, 'U1');
    await t.bot.idle();

    const journal = await t.services.journal();
    const [wave] = await journal.listWaves({ env: 'dev' });
    expect(wave.state).toBe('finished');
    const ref = (await journal.chatMessage('wave', wave.waveId))!;
    expect(ref.channel).toBe(DEV);
    // ONE parent, edited in place.
    expect(fake.calls.filter(isParentPost)).toHaveLength(1);
    const updates = fake.callsTo('chat.update').filter((c) => c.body.ts === ref.ts);
    expect(updates.length).toBeGreaterThanOrEqual(1);
    // 429s were answered (Retry-After) and nothing was lost: the last render is the truth from the journal.
    expect(fake.calls.filter((c) => c.method === 'chat.update' && c.status === 429).length).toBeGreaterThan(0);
    const parent = fake.message(DEV, ref.ts)!;
    expectWithinBlockKit(parent.blocks);
    const shown = texts(parent.blocks);
    const runtimes = await journal.listWaveRuntimes(wave.waveId);
    expect(shown).toContain(`(${runtimes.length}/${runtimes.length})`);
    expect(shown).toMatch(/runtimes \*\d+\* vs istio Manifests \*\d+\*/);
    expect(shown).toContain('Not migrated');
    expect(shown).toContain('requested by <@U1>');
    // The live message links to the wave's page: the configured base URL and a signed, expiring link.
    expect(shown).toMatch(new RegExp(`<https://istio-migrate\\.example\\.com/waves/${wave.waveId}\\?exp=\\d+&sig=[0-9a-f]{64}\\|live page with charts>`));
    // The bot serves that page on HEALTH_PORT; the same path unsigned gets 403.
    const pagePath = /<https:\/\/istio-migrate\.example\.com(\/waves\/[^|]+)\|/.exec(shown)![1];
    const page = await fetch(`http://127.0.0.1:${t.started.healthPort}${pagePath}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`<dd data-count="total">${runtimes.length}</dd>`);
    expect((await fetch(`http://127.0.0.1:${t.started.healthPort}/waves/${wave.waveId}`)).status).toBe(403);
    expect(parent.blocks.some((b: Json) => b.type === 'actions')).toBe(false);
    // The plan message names the wave and lost its buttons.
    expect(texts(fake.message(DEV, plan.ts)!.blocks)).toContain(`run by <@U1> as wave \`${wave.waveId}\``);

    // The thread: digests of what needs attention, and the end with the requester mentioned.
    const thread = fake.callsTo('chat.postMessage').filter((c) => c.body.thread_ts === ref.ts);
    const threadText = thread.map((c) => texts(c.body.blocks)).join('\n');
    const failed = runtimes.filter((r) => r.result?.class === 'platform' || r.result?.class === 'customer');
    expect(failed.length).toBeGreaterThan(0);
    // Failures are grouped by reason in digests (issue 21): the counts add up to every failure.
    const counted = [...threadText.matchAll(/^• `[a-z-]+` × (\d+):/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(counted).toBe(failed.length);
    const migrated = runtimes.find((r) => r.result?.outcome === 'migrated')!;
    expect(threadText).not.toContain(migrated.runtimeId); // successes are counted, not posted
    expect(threadText).toMatch(/customer-contact tasks? × \d+: `task-\d+`.* in <#C-CUSTOMER>/);
    expect(thread.at(-1)!.body.text).toBe(`Wave ${wave.waveId} finished`);
    expect(texts(thread.at(-1)!.body.blocks)).toContain('<@U1>');
    for (const c of thread) expectWithinBlockKit(c.body.blocks);

    // Customer-contact tasks, once per runtime, in their channel.
    const tasks = await journal.listTasks();
    expect(tasks.length).toBe(runtimes.filter((r) => r.result?.outcome === 'multiple-istio-crs').length);
    const taskPosts = fake.callsTo('chat.postMessage').filter((c) => c.body.channel === CUSTOMER);
    expect(taskPosts).toHaveLength(tasks.length);
    for (const task of tasks) expect(await journal.chatMessage('task', task.taskId)).toBeDefined();
    expect(texts(taskPosts[0].body.blocks)).toMatch(/Propose to the customer/);

    // The full list: files.uploadV2's three steps into the wave's thread.
    const getUrl = fake.callsTo('files.getUploadURLExternal');
    const complete = fake.callsTo('files.completeUploadExternal');
    // Then one chart image (the timeline), the same way.
    expect(getUrl.map((c) => c.body.filename)).toEqual([`${wave.waveId}.csv`, `${wave.waveId}-timeline.png`]);
    expect(complete).toHaveLength(2);
    for (const c of complete) expect(c.body).toMatchObject({ channel_id: DEV, thread_ts: ref.ts });
    const [csv, png] = fake.uploads.slice(-2);
    for (const r of runtimes) expect(csv.body).toContain(r.runtimeId);
    expect(png.body).toContain('PNG\r\n\x1a\n'); // the PNG signature inside the multipart upload
    expect(fake.unexpected).toEqual([]);
  });

  it('Pause and Abort on the parent message: acked at once, journaled, told in the thread, and the parent shows it', async () => {
    // A Stage runtime LM is slow on (the Dev one ran above): the wave is certainly still running when clicked.
    const slow = runtimeOf(sim.out, 'stage', 'slow');
    fake.reset();
    await postSigned(t.eventsUrl, slashPayload(`stage runtime-id=${slow.runtimeId}`, { user: 'U2', channel: 'C-STAGE' }), SECRET);
    await t.bot.idle();
    const plan = structuredClone([...fake.messages.values()].filter((m) => m.channel === 'C-STAGE' && m.text.startsWith('Plan ')).at(-1)!);
    const runId = plan.blocks.find((b: Json) => b.type === 'actions').elements[0].action_id as string;
    await click(plan, runId, 'U2');
    const parentTs = String((await fake.waitFor(isParentPost)).answer!.ts);
    const parent = structuredClone(fake.message('C-STAGE', parentTs)!);
    const waveId = parent.text.split(' ')[1];
    const buttons = parent.blocks.find((b: Json) => b.type === 'actions').elements;
    expect(buttons.map((e: Json) => e.text.text)).toEqual(['Pause', 'Drain', 'Abort']);
    expect(buttons[2].confirm).toBeDefined();

    await click(parent, `im:wave-pause:${waveId}`, 'U2');
    await fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.thread_ts === parentTs && texts(c.body.blocks ?? []).includes('paused by <@U2>'));
    await click(parent, `im:wave-abort:${waveId}`, 'U3');
    await t.bot.idle();

    const journal = await t.services.journal();
    expect((await journal.getWave(waveId))!.state).toBe('aborted');
    expect((await journal.listAudit({ subject: waveId })).map((a) => `${a.action}:${a.actor}`)).toEqual(expect.arrayContaining(['pause:U2', 'abort:U3']));
    const thread = fake.callsTo('chat.postMessage').filter((c) => c.body.thread_ts === parentTs).map((c) => texts(c.body.blocks)).join('\n');
    expect(thread).toContain('aborted by <@U3>');
    expect(thread).toContain('<@U2>'); // the requester is told the wave ended
    const final = fake.message('C-STAGE', parentTs)!;
    expect(final.text).toContain('aborted');
    expect(final.blocks.some((b: Json) => b.type === 'actions')).toBe(false);
    expect(fake.unexpected).toEqual([]);
  });

  it('re-attaches after a restart: a live wave with a journaled parent is rendered again', async () => {
    const journal = await t.services.journal();
    const fresh = runtimeOf(sim.out, 'dev', 'with-keda');
    const wave = await journal.createWave({ env: 'dev', target: 'reattach', planHash: 'f'.repeat(64), state: 'running', concurrency: 1, requestedBy: 'U9', approvedBy: null }, [
      { runtimeId: fresh.runtimeId, shootName: fresh.shootName, globalAccountId: fresh.globalAccountId, subaccountId: fresh.subaccountId, plan: fresh.plan, region: fresh.region },
    ]);
    await journal.acquireLease(wave.waveId, 'another-replica:1', 60_000);
    const parent = await t.bot.poster.post(DEV, { text: 'old render', blocks: [] });
    await journal.setChatMessage('wave', wave.waveId, parent);
    await t.bot.reporter.stop();
    fake.reset();
    await t.bot.reporter.start();
    await t.bot.idle();
    const update = fake.callsTo('chat.update').find((c) => c.body.ts === parent.ts)!;
    expect(update.body.text).toBe(`Wave ${wave.waveId} running: 0/1 done`);
    await journal.releaseLease(wave.waveId, 'another-replica:1');
    await journal.setWaveState(wave.waveId, 'aborted');
  });
});
