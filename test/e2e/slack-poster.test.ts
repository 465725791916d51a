import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import bolt from '@slack/bolt';
import { SlackPoster } from '../../src/chat/slack/poster.js';
import { FakeSlack } from '../helpers/fake-slack.js';

describe('src/chat/slack/poster.ts', () => {
  let fake: FakeSlack;
  beforeAll(async () => {
    fake = await FakeSlack.start({ limits: { 'chat.update': { max: 1, windowMs: 800 } }, retryAfterSeconds: 1 });
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('waits out a 429 Retry-After and then succeeds', async () => {
    const client = new bolt.webApi.WebClient('xoxb-t', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
    const seen: string[] = [];
    const poster = new SlackPoster(client, { budgets: { 'chat.update': { burst: 10, perMinute: 6000 } }, onCall: (m, limited) => seen.push(`${m}${limited ? ' 429' : ''}`) });
    const posted = await poster.post('C1', { text: 'v0', blocks: [] });
    await poster.update(posted.channel, posted.ts, { text: 'v1', blocks: [{ type: 'section', markdown: 'v1' }] });
    await poster.update(posted.channel, posted.ts, { text: 'v2', blocks: [{ type: 'section', markdown: 'v2' }] });
    expect(fake.calls.filter((c) => c.method === 'chat.update').map((c) => c.status)).toEqual([200, 429, 200]);
    expect(fake.message('C1', posted.ts)!.text).toBe('v2');
    expect(fake.unexpected).toEqual([]);
    // What the bot's metrics count: every call, and the 429 among them.
    expect(seen).toEqual(['chat.postMessage', 'chat.update', 'chat.update 429', 'chat.update']);
  });

  // A Slack review: twenty `status` replies from one user held an approval request back by 30 s in the channel's
  // one queue. Replies to commands (`later`) now wait behind the bot's own posts.
  it("posts the bot's own messages before replies to commands that wait for the channel's budget", async () => {
    const client = new bolt.webApi.WebClient('xoxb-t', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
    const poster = new SlackPoster(client, { budgets: { 'chat.postMessage': { burst: 1, perMinute: 300 } } });
    const replies = [1, 2, 3, 4].map((n) => poster.post('C-FLOOD', { text: `reply ${n}`, blocks: [] }, { later: true }));
    const request = poster.post('C-FLOOD', { text: 'Approval needed', blocks: [] });
    await Promise.all([...replies, request]);
    const order = fake.calls.filter((c) => c.method === 'chat.postMessage' && c.body.channel === 'C-FLOOD').map((c) => String(c.body.text));
    expect(order).toEqual(['reply 1', 'Approval needed', 'reply 2', 'reply 3', 'reply 4']);
  });

  it('spends its own budget before Slack has to refuse', async () => {
    const own = await FakeSlack.start({ limits: { 'chat.update': { max: 1, windowMs: 800 } } });
    try {
      const client = new bolt.webApi.WebClient('xoxb-t', { slackApiUrl: own.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
      // At most one update per 1.2 s: never faster than the fake's 1 per 0.8 s, so no 429.
      const poster = new SlackPoster(client, { budgets: { 'chat.update': { burst: 1, perMinute: 50 } } });
      const posted = await poster.post('C2', { text: 'v0', blocks: [] });
      await poster.update(posted.channel, posted.ts, { text: 'v1', blocks: [] });
      await poster.update(posted.channel, posted.ts, { text: 'v2', blocks: [] });
      expect(own.calls.filter((c) => c.method === 'chat.update').map((c) => c.status)).toEqual([200, 200]);
    } finally {
      await own.close();
    }
  });
});
