import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { buttonPayload, postSigned, slashPayload, type Json } from '../helpers/fake-slack.js';
import { runtimeOf } from '../helpers/sim.js';
import YAML from 'yaml';
import { BOT_TOKEN, SECRET, slackSetup } from './harness.js';

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => http.get(url, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject));
}

describe('src/chat/slack/app.ts — HTTP receiver', () => {
  const s = slackSetup();

  it('checks the bot token once with auth.test at start, through SLACK_API_URL (slash added)', () => {
    const auth = s.fake.calls.filter((c) => c.method === 'auth.test');
    expect(auth).toHaveLength(1);
    expect(auth[0].headers.authorization).toBe(`Bearer ${BOT_TOKEN}`);
  });

  it('acks a signed slash command and posts the plan with Run/Cancel buttons', async () => {
    s.fake.reset();
    const res = await postSigned(s.t.eventsUrl, slashPayload('dev all'), SECRET);
    expect(res.status).toBe(200);
    await s.t.bot.idle();
    const posts = s.fake.callsTo('chat.postMessage');
    expect(posts).toHaveLength(1);
    const { channel, blocks, text } = posts[0].body;
    expect(channel).toBe('C1');
    expect(text).toMatch(/^Plan [0-9a-f]{12} — dev, all/);
    expect(blocks[0]).toMatchObject({ type: 'header' });
    const actions = blocks.find((b: Json) => b.type === 'actions');
    expect(actions.elements.map((e: Json) => e.text.text)).toEqual(['Run', 'Cancel']);
    expect(actions.elements[0].action_id).toMatch(/^im:run:[0-9a-f]{64}$/);
    expect(actions.elements[0].confirm).toBeDefined();
    expect(s.fake.callsTo('chat.postEphemeral')).toHaveLength(0);
    expect(s.fake.unexpected).toEqual([]);
  });

  it('titles the plan with the set typed (kyma-test), not the account id it stands for (issue 17 item 9)', async () => {
    const cfg = YAML.parse(readFileSync(path.join(s.sim.out, 'config.yaml'), 'utf8')) as { environments: { dev: { targets: Record<string, string[]> } } };
    const account = cfg.environments.dev.targets['kyma-test'][0].replace(/^account=/, '');
    expect(account).toMatch(/^[0-9a-f-]{36}$/);
    s.fake.reset();
    const res = await postSigned(s.t.eventsUrl, slashPayload('plan dev kyma-test'), SECRET);
    expect(res.status).toBe(200);
    await s.t.bot.idle();
    const posts = s.fake.callsTo('chat.postMessage');
    expect(posts).toHaveLength(1);
    const { text, blocks } = posts[0].body;
    const header = blocks.find((b: Json) => b.type === 'header').text.text as string;
    for (const title of [text as string, header]) {
      expect(title).toMatch(/^Plan [0-9a-f]{12} — dev, kyma-test\b/);
      expect(title).not.toContain(account);
    }
    expect(s.fake.unexpected).toEqual([]);
  });

  it.each([
    ['a wrong signature', { signature: 'v0=0000000000000000000000000000000000000000000000000000000000000000' }],
    ['a timestamp 10 minutes old', { timestamp: Math.floor(Date.now() / 1000) - 600 }],
    ['no signature headers', { unsigned: true }],
  ])('rejects %s with 401 and runs no handler', async (_what, opts) => {
    s.fake.reset();
    const res = await postSigned(s.t.eventsUrl, slashPayload('status'), SECRET, opts);
    expect(res.status).toBe(401);
    await s.t.bot.idle();
    expect(s.fake.calls).toEqual([]);
  });

  it('a signed request signed with another secret is rejected too', async () => {
    s.fake.reset();
    const res = await postSigned(s.t.eventsUrl, slashPayload('status'), 'not-the-secret');
    expect(res.status).toBe(401);
    await s.t.bot.idle();
    expect(s.fake.calls).toEqual([]);
  });

  it('answers /healthz on PORT and on HEALTH_PORT', async () => {
    expect(await get(`http://127.0.0.1:${s.t.started.port}/healthz`)).toBe(200);
    expect(await get(`http://127.0.0.1:${s.t.started.healthPort}/healthz`)).toBe(200);
  });

  it('Cancel takes the buttons off the plan and says who cancelled', async () => {
    s.fake.reset();
    await postSigned(s.t.eventsUrl, slashPayload('plan dev all'), SECRET);
    await s.t.bot.idle();
    const posted = s.fake.callsTo('chat.postMessage')[0].body;
    const ts = s.fake.calls.length && [...s.fake.messages.values()].filter((m) => m.channel === 'C1').at(-1)!.ts;
    const msg = s.fake.message('C1', ts as string)!;
    expect(msg.text).toBe(posted.text);
    const res = await postSigned(s.t.eventsUrl, { payload: JSON.stringify(buttonPayload(msg, 'im:cancel', 'U2')) }, SECRET);
    expect(res.status).toBe(200);
    await s.t.bot.idle();
    const updates = s.fake.callsTo('chat.update');
    expect(updates).toHaveLength(1);
    expect(updates[0].body.ts).toBe(ts);
    expect(updates[0].body.blocks.some((b: Json) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(updates[0].body.blocks)).toContain('cancelled by <@U2>');
    // Issue 14: the cancellation is a journal record that `run --plan` reads — the plan does not run until planned again.
    const hash = (posted.blocks as Json[]).find((b: Json) => b.type === 'actions').elements[0].value as string;
    const journal = await s.t.services.journal();
    expect(await journal.planCancellation(hash)).toMatchObject({ cancelledBy: 'U2' });
    s.fake.reset();
    await postSigned(s.t.eventsUrl, slashPayload(`run --plan ${hash} --yes`, { user: 'U2' }), SECRET);
    await s.t.bot.idle();
    expect(JSON.stringify(s.fake.callsTo('chat.postEphemeral')[0].body.blocks)).toContain(`plan ${hash.slice(0, 12)} was cancelled by U2`);
    expect((await journal.listWaves({ env: 'dev' })).filter((w) => w.planHash === hash)).toEqual([]);
  });

  it('Run starts exactly one wave for a plan; another click is answered ephemerally', async () => {
    s.fake.reset();
    const fresh = runtimeOf(s.sim.out, 'dev', 'fresh');
    await postSigned(s.t.eventsUrl, slashPayload(`dev runtime-id=${fresh.runtimeId}`, { user: 'U3' }), SECRET);
    await s.t.bot.idle();
    const plan = structuredClone([...s.fake.messages.values()].at(-1)!);
    const runId = plan.blocks.find((b: Json) => b.type === 'actions').elements[0].action_id as string;
    const hash = runId.slice('im:run:'.length);
    s.fake.reset();
    const first = await postSigned(s.t.eventsUrl, { payload: JSON.stringify(buttonPayload(plan, runId, 'U3')) }, SECRET);
    const second = await postSigned(s.t.eventsUrl, { payload: JSON.stringify(buttonPayload(plan, runId, 'U4')) }, SECRET);
    expect([first.status, second.status]).toEqual([200, 200]);
    await s.t.bot.idle();
    const journal = await s.t.services.journal();
    const waves = (await journal.listWaves()).filter((w) => w.planHash === hash);
    expect(waves).toHaveLength(1);
    expect(waves[0].requestedBy).toBe('U3');
    const eph = s.fake.callsTo('chat.postEphemeral');
    expect(eph).toHaveLength(1);
    expect(eph[0].body.user).toBe('U4');
    expect(eph[0].body.text).toMatch(/already (starting|running as|ran as)/);
    // The plan message lost its buttons and names the wave; the result went into its thread.
    const updated = s.fake.message('C1', plan.ts)!; // as updated by the bot
    expect(JSON.stringify(updated.blocks)).toContain(`wave \`${waves[0].waveId}\``);
    expect(updated.blocks.some((b: Json) => b.type === 'actions')).toBe(false);
    // The wave has a parent message of its own (journaled), and its end went into that thread.
    const ref = (await journal.chatMessage('wave', waves[0].waveId))!;
    expect(ref.ts).not.toBe(plan.ts);
    expect(s.fake.message(ref.channel, ref.ts)!.text).toContain(waves[0].waveId);
    const threaded = s.fake.callsTo('chat.postMessage').filter((c) => c.body.thread_ts === ref.ts);
    expect(threaded.some((c) => String(c.body.text).includes(waves[0].waveId))).toBe(true);
    // A click after the wave ended: ephemeral, still one wave.
    s.fake.reset();
    await postSigned(s.t.eventsUrl, { payload: JSON.stringify(buttonPayload(plan, runId, 'U3')) }, SECRET);
    await s.t.bot.idle();
    expect(s.fake.callsTo('chat.postEphemeral').map((c) => c.body.text)).toEqual([expect.stringContaining(`already ran as \`${waves[0].waveId}\``)]);
    expect((await journal.listWaves()).filter((w) => w.planHash === hash)).toHaveLength(1);
    expect(s.fake.unexpected).toEqual([]);
  });

  it('two Run clicks at once: one wave, the other click hears that it is already starting', async () => {
    s.fake.reset();
    await postSigned(s.t.eventsUrl, slashPayload(`dev runtime-id=${runtimeOf(s.sim.out, 'dev', 'with-keda').runtimeId}`, { user: 'U3' }), SECRET);
    await s.t.bot.idle();
    const plan = structuredClone([...s.fake.messages.values()].at(-1)!);
    const runId = plan.blocks.find((b: Json) => b.type === 'actions').elements[0].action_id as string;
    s.fake.reset();
    await Promise.all(['U3', 'U4'].map((u) => postSigned(s.t.eventsUrl, { payload: JSON.stringify(buttonPayload(plan, runId, u)) }, SECRET)));
    await s.t.bot.idle();
    const journal = await s.t.services.journal();
    expect((await journal.listWaves()).filter((w) => w.planHash === runId.slice('im:run:'.length))).toHaveLength(1);
    expect(s.fake.callsTo('chat.postEphemeral').map((c) => c.body.text)).toEqual([expect.stringContaining('is already starting')]);
  });
});
