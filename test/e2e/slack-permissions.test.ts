import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { FakeSlack, buttonPayload, postSigned, slashPayload, type Json } from '../helpers/fake-slack.js';
import { SECRET, startBot, writeBotConfig, slackSetup } from './harness.js';

describe('src/chat/permissions.ts — refusals through Slack', () => {
  const s = slackSetup({
      fake: { usergroups: { SONCALL: ['U-ONCALL'] }, limits: { 'chat.postMessage': null } },
      approval: { stage: { operators: ['U-OP'] }, prod: { approvers: [], approverGroup: 'SONCALL', operators: ['U-OP'] } },
    });

  async function say(text: string, user: string) {
    s.fake.reset();
    const res = await postSigned(s.t.eventsUrl, slashPayload(text, { user }), SECRET);
    expect(res.status).toBe(200);
    await s.t.bot.idle();
    return { posts: s.fake.callsTo('chat.postMessage'), eph: s.fake.callsTo('chat.postEphemeral') };
  }

  it.each([
    ['run stage kyma-test --yes', /may not run `run` in stage: operators there are <@U-OP>/],
    ['pause stage-20261125-1', /may not run `pause` in stage/],
    ['freeze all', /may not run `freeze` in stage/],
  ])('refuses %s to a non-operator, ephemerally', async (text, why) => {
    const { posts, eph } = await say(text, 'U1');
    expect(posts).toHaveLength(0);
    expect(eph).toHaveLength(1);
    expect(eph[0].body.user).toBe('U1');
    expect(JSON.stringify(eph[0].body.blocks)).toMatch(why);
  });

  it('lets everyone read and plan', async () => {
    expect((await say('status', 'U1')).posts).toHaveLength(1);
    const { posts } = await say('prod trial', 'U1');
    expect(posts).toHaveLength(1);
    const actions = posts[0].body.blocks.find((b: Json) => b.type === 'actions');
    expect(actions.elements.map((e: Json) => e.text.text)).toEqual(['Request approval', 'Cancel']);
  });

  it('lets only the on-call group approve (members looked up once, then cached), and never --as', async () => {
    // Its own bot and fake Slack: the group lookup cache starts empty here, whatever ran before.
    const own = await FakeSlack.start({ usergroups: { SONCALL: ['U-ONCALL'] }, limits: { 'chat.postMessage': null } });
    const bot = await startBot(
      own,
      writeBotConfig(s.sim, { stage: { operators: ['U-OP'] }, prod: { approvers: [], approverGroup: 'SONCALL', operators: ['U-OP'] } }),
      'http',
    );
    try {
      const lookups: string[] = [];
      const sayOwn = async (text: string, user: string) => {
        own.reset();
        const res = await postSigned(bot.eventsUrl, slashPayload(text, { user }), SECRET);
        expect(res.status).toBe(200);
        await bot.bot.idle();
        const looked = own.calls.filter((c) => c.method === 'usergroups.users.list').map((c) => String(c.body.usergroup));
        lookups.push(...looked);
        return { posts: own.callsTo('chat.postMessage'), eph: own.callsTo('chat.postEphemeral'), looked };
      };
      const { posts } = await sayOwn('prod trial', 'U-OP');
      const hash = posts[0].body.blocks.find((b: Json) => b.type === 'actions').elements[0].value as string;
      const refused = await sayOwn(`approve ${hash}`, 'U1');
      expect(refused.posts).toHaveLength(0);
      expect(JSON.stringify(refused.eph[0].body.blocks)).toMatch(/may not approve in prod: approvers are <!subteam\^SONCALL>/);
      // Deciding on U1 needed the group's members: looked up once, by this bot.
      expect(lookups).toEqual(['SONCALL']);
      const asOther = await sayOwn(`approve ${hash} --as U-ONCALL`, 'U1');
      expect(asOther.posts).toHaveLength(0);
      expect(JSON.stringify(asOther.eph[0].body.blocks)).toContain('--as is not available in Slack');
      const approved = await sayOwn(`approve ${hash}`, 'U-ONCALL');
      expect(approved.eph).toHaveLength(0);
      expect(approved.posts[0].body.text).toContain('approved by U-ONCALL');
      expect(approved.looked).toEqual([]); // cached from the first lookup
      expect(lookups).toEqual(['SONCALL']);
    } finally {
      await bot.close();
      await own.close();
    }
  });

  it('refuses a Run click by a non-operator ephemerally and starts nothing', async () => {
    const { posts } = await say('stage kyma-test', 'U-OP');
    const plan = structuredClone([...s.fake.messages.values()].at(-1)!);
    expect(plan.text).toBe(posts[0].body.text);
    const runId = plan.blocks.find((b: Json) => b.type === 'actions').elements[0].action_id as string;
    s.fake.reset();
    await postSigned(s.t.eventsUrl, { payload: JSON.stringify(buttonPayload(plan, runId, 'U1')) }, SECRET);
    await s.t.bot.idle();
    expect(s.fake.callsTo('chat.postMessage')).toHaveLength(0);
    expect(s.fake.callsTo('chat.update')).toHaveLength(0);
    const eph = s.fake.callsTo('chat.postEphemeral');
    expect(eph).toHaveLength(1);
    expect(eph[0].body.user).toBe('U1');
    expect(eph[0].body.text).toMatch(/may not run `run` in stage/);
    expect(await (await s.t.services.journal()).listWaves()).toEqual([]);
  });

  it('refuses export --out in Slack: a file written on the bot\'s host (its journal, say) is not a Slack user\'s to choose', async () => {
    const journal = await s.t.services.journal();
    const wave = await journal.createWave({ env: 'dev', target: 'all', planHash: 'f'.repeat(64), state: 'finished', concurrency: 1, requestedBy: 'U-OP', approvedBy: null }, []);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'export-out-'));
    try {
      for (const format of ['svg', 'png', 'csv']) {
        const target = path.join(dir, `pwned.${format}`);
        const { posts, eph } = await say(`export ${wave.waveId} --format ${format} --out ${target}`, 'U1');
        expect(existsSync(target)).toBe(false);
        expect(posts).toHaveLength(0);
        expect(JSON.stringify(eph[0].body.blocks)).toMatch(/--out writes a file on the bot's host: only in the shell/);
      }
      // Without --out it answers as before.
      expect((await say(`export ${wave.waveId} --format csv`, 'U1')).posts).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
