import { describe, expect, it } from '@jest/globals';
import { buttonPayload, slashPayload, type Json } from '../helpers/fake-slack.js';
import { APP_TOKEN, slackSetup } from './harness.js';

describe('src/chat/slack/app.ts — Socket Mode', () => {
  const s = slackSetup({ mode: 'socket' });

  it('connects through apps.connections.open at SLACK_API_URL with the app token', async () => {
    await s.fake.connected();
    expect(s.t.started.mode).toBe('socket');
    const open = s.fake.calls.filter((c) => c.method === 'apps.connections.open');
    expect(open).toHaveLength(1);
    expect(open[0].headers.authorization).toBe(`Bearer ${APP_TOKEN}`);
    expect(s.fake.connections).toBe(1);
  });

  it('acks a slash_commands envelope and answers through the Web API', async () => {
    s.fake.reset();
    const ack = await s.fake.push('slash_commands', slashPayload('status', { user: 'U7', channel: 'C9' }));
    expect(ack.envelope_id).toEqual(expect.any(String));
    await s.t.bot.idle();
    const posts = s.fake.callsTo('chat.postMessage');
    expect(posts).toHaveLength(1);
    expect(posts[0].body.channel).toBe('C9');
    expect(posts[0].body.text).toBe('no waves yet');
    expect(JSON.stringify(posts[0].body.blocks)).toContain('by <@U7>');
    expect(s.fake.unexpected).toEqual([]);
  });

  it('plans with buttons and handles a click pushed as an interactive envelope', async () => {
    s.fake.reset();
    await s.fake.push('slash_commands', slashPayload('stage kyma-test'));
    await s.t.bot.idle();
    const plan = structuredClone([...s.fake.messages.values()].at(-1)!);
    expect(plan.blocks.find((b: Json) => b.type === 'actions').elements.map((e: Json) => e.text.text)).toEqual(['Run', 'Cancel']);
    const ack = await s.fake.push('interactive', buttonPayload(plan, 'im:cancel', 'U1'));
    expect(ack.envelope_id).toEqual(expect.any(String));
    await s.t.bot.idle();
    expect(JSON.stringify(s.fake.message(plan.channel, plan.ts)!.blocks)).toContain('cancelled by <@U1>');
  });

  it('answers a problem ephemerally over Socket Mode too', async () => {
    s.fake.reset();
    await s.fake.push('slash_commands', slashPayload('pause', { user: 'U5' }));
    await s.t.bot.idle();
    expect(s.fake.callsTo('chat.postMessage')).toHaveLength(0);
    const eph = s.fake.callsTo('chat.postEphemeral');
    expect(eph).toHaveLength(1);
    expect(eph[0].body.user).toBe('U5');
    expect(eph[0].body.text).toContain('name a wave');
  });
});
