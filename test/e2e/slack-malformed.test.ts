import { describe, expect, it } from '@jest/globals';
import { dispatch } from '../../commands/index.js';
import { postSigned, postSignedBody, slashPayload } from '../helpers/fake-slack.js';
import { SECRET, slackSetup } from './harness.js';

/** Command texts that must never post to the channel or start anything: each gets one ephemeral answer. */
const CORPUS: string[] = [
  '',
  '   ',
  'deploy stage kyma-test',
  'plans stage kyma-test',
  'Plan stage kyma-test',
  'stage',
  'prd kyma-test',
  'plan',
  'plan staging kyma-test',
  'plan stage',
  'plan stage acount=x',
  'stage acount=x',
  'stage region=',
  'stage region=[',
  'stage nosuchset',
  'stage all,region=x',
  'stage region=eu-.*,,plan=aws',
  'stage kyma-test --sample 0',
  'stage kyma-test --sample abc',
  'stage kyma-test --concurrency -5',
  'stage kyma-test --concurrency 0',
  'stage kyma-test --frobnicate',
  'stage kyma-test -x',
  'stage kyma-test --exclude',
  'stage all --exclude all',
  'run',
  'run stage',
  'run stage kyma-test',
  'run --yes',
  'run stage --yes',
  'run --plan deadbeef --yes',
  'run --plan',
  'pause',
  'pause stage',
  'pause stage-20261125-1',
  'abort nowave',
  'drain stage-2026-1',
  'resume',
  'resume stage-20261125-1 --yes',
  'retry-failed dev-20261125-9 --yes',
  'set-concurrency stage-20261125-1',
  'set-concurrency stage-20261125-1 many',
  'status not-a-wave',
  'status stage-20261125-1',
  'export',
  'export stage-20261125-1 --format xml',
  'show',
  'tasks pending',
  'freeze staging',
  'approve',
  'approve deadbeef',
  'help nosuch',
  'plan stage kyma\u2011test',
  '\u{1F4A5}\u{1F4A5}\u{1F4A5}',
  'plan stage "kyma-test',
  "stage 'kyma-test",
  'stage \u0000',
  `plan stage ${'x'.repeat(2000)}`,
  `plan stage ${'a=b '.repeat(200)}`,
  '\u2014help',
  'status --json --verbose',
  'plan stage kyma-test --sample',
  '\uff50\uff4c\uff41\uff4e stage kyma-test',
  'plan dev runtime-id=(',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  'dev shoot=.*[',
  'stage \u200bkyma-test',
];

describe('src/chat/slack/app.ts — malformed commands', () => {
  const s = slackSetup({ fake: { limits: { 'chat.postEphemeral': null } } });

  it.each(CORPUS.map((text, i): [number, string, string] => [i, JSON.stringify(text).slice(0, 60), text]))('#%i %s is answered with one ephemeral message only', async (i, _shown, text) => {
    s.fake.reset();
    const res = await postSigned(s.t.eventsUrl, slashPayload(text, { user: `U${i}`, channel: 'C5' }), SECRET);
    expect(res.status).toBe(200);
    await s.t.bot.idle();
    const eph = s.fake.callsTo('chat.postEphemeral');
    expect(eph).toHaveLength(1);
    expect(eph[0].body).toMatchObject({ channel: 'C5', user: `U${i}` });
    expect(String(eph[0].body.text).length).toBeGreaterThan(0);
    expect(s.fake.callsTo('chat.postMessage')).toHaveLength(0);
    expect(s.fake.callsTo('chat.update')).toHaveLength(0);
    expect(s.fake.unexpected).toEqual([]);
    // Not in a test of its own after the corpus (that would pass alone, and depend on the order): each case.
    const status = await dispatch({ user: 'test', via: 'shell', interactive: false, services: s.t.services }, 'status', ['--json']);
    expect(status.json).toEqual({ waves: [], frozen: [] });
  });

  // Signed (only Slack or a holder of the secret can send them), yet no object: Bolt read `.ssl_check` of null and the
  // process died. Each is refused with 400 and the bot keeps answering.
  it.each([
    ['form payload=null', 'payload=null', 'application/x-www-form-urlencoded'],
    ['JSON null', 'null', 'application/json'],
    ['JSON number', '42', 'application/json'],
    ['form payload="text"', 'payload=%22text%22', 'application/x-www-form-urlencoded'],
  ])('a signed body that is no object (%s) is refused with 400 and the bot stays up', async (_what, body, contentType) => {
    s.fake.reset();
    const res = await postSignedBody(s.t.eventsUrl, body, contentType, SECRET);
    expect(res.status).toBe(400);
    const next = await postSigned(s.t.eventsUrl, slashPayload('help', { user: 'U-after', channel: 'C5' }), SECRET);
    expect(next.status).toBe(200);
    await s.t.bot.idle();
    expect(s.fake.callsTo('chat.postEphemeral').map((c) => c.body.user)).toEqual(['U-after']);
  });
});
