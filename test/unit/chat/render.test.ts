import { describe, expect, it } from '@jest/globals';
import { parseCommandLine, tokenize } from '../../../src/chat/command-line.js';
import { markdownToText, renderText } from '../../../src/chat/console/text.js';
import type { ChatMessage } from '../../../src/chat/message.js';
import { GroupMembersCache } from '../../../src/chat/permissions.js';
import { decidePermission, envsNamedIn } from '../../../commands/permissions.js';
import { planMessage, problemReply } from '../../../src/chat/replies.js';
import { BLOCK_KIT_LIMITS, toBlockKit, truncateMarkdown } from '../../../src/chat/slack/blocks.js';

describe('src/chat/slack/blocks.ts', () => {
  it('keeps section text within 3,000 characters and says how much more there is', () => {
    const text = Array.from({ length: 500 }, (_, i) => `runtime-${i} migrated`).join('\n');
    const out = truncateMarkdown(text);
    expect(out.length).toBeLessThanOrEqual(3000);
    expect(out).toMatch(/… \(\d+ more, see `status`\/export\)$/);
    const shown = out.split('\n').length - 1;
    expect(out).toContain(`(${500 - shown} more`);
  });

  it('cuts one overlong line and closes an open fence', () => {
    const out = truncateMarkdown('```' + 'x'.repeat(5000) + '```');
    expect(out.length).toBeLessThanOrEqual(3000);
    expect((out.match(/```/g) ?? []).length % 2).toBe(0);
  });

  it('keeps at most 50 blocks, buttons included, and headers within 150', () => {
    const msg: ChatMessage = {
      text: 't',
      blocks: [{ type: 'header', text: 'h'.repeat(400) }, ...Array.from({ length: 80 }, (_, i) => ({ type: 'section' as const, markdown: `s${i}` })), { type: 'actions', buttons: [{ actionId: 'im:cancel', label: 'Cancel', value: 'x' }] }],
    };
    const bk = toBlockKit(msg);
    expect(bk.blocks.length).toBe(BLOCK_KIT_LIMITS.blocks);
    expect(bk.blocks.some((b) => b.type === 'actions')).toBe(true);
    expect(JSON.stringify(bk.blocks.at(-1))).toContain('more, see `status`/export');
    expect((bk.blocks[0] as { text: { text: string } }).text.text.length).toBeLessThanOrEqual(150);
  });
});

describe('src/chat/console/text.ts', () => {
  it("shows Slack's emoji codes as characters, but not inside code blocks (command output stays as it is)", () => {
    expect(markdownToText(':warning: `/istio-migrate run` was not run')).toBe('⚠ `/istio-migrate run` was not run');
    expect(markdownToText(':no_entry: not approved\n```im:x: stays :x:```')).toBe('⛔ not approved\nim:x: stays :x:');
    expect(markdownToText(':unknown_code: kept')).toBe(':unknown_code: kept');
  });

  it('echoes a console directive as typed, not as a slash command', () => {
    expect(renderText(problemReply('/click 9', 'no button "9"'))).toContain('⚠ `/click 9` was not run');
    expect(renderText(problemReply('plan qa all', 'unknown environment'))).toContain('`/istio-migrate plan qa all` was not run');
  });

  it('renders buttons as numbered choices', () => {
    const text = renderText(planMessage({ hash: 'a'.repeat(64), env: 'stage', target: 'kyma-test', runtimes: 3 }, 'Plan … <x> & y', 'U1', false));
    expect(text).toContain('[1] Run  [2] Cancel');
    expect(text).toContain('Plan … <x> & y');
    expect(text).toContain('planned by @U1');
  });
});

describe('src/chat/command-line.ts', () => {
  it.each([
    ['plan stage "kyma-test" --sample 5', ['plan', 'stage', 'kyma-test', '--sample', '5']],
    ["plan stage 'a b'", ['plan', 'stage', 'a b']],
    ['plan stage \u201ckyma test\u201d', ['plan', 'stage', 'kyma test']],
    ['run --exclude region=&lt;x&gt;', ['run', '--exclude', 'region=<x>']],
    ['  status   ', ['status']],
  ])('tokenises %s', (input, tokens) => {
    expect(tokenize(input)).toEqual({ ok: true, tokens });
  });

  it('reads <env> <target> as plan-then-run and an empty line as help', () => {
    expect(parseCommandLine('stage kyma-test')).toEqual({ kind: 'command', name: 'plan', argv: ['stage', 'kyma-test'], planThenRun: true });
    expect(parseCommandLine('/istio-migrate status')).toEqual({ kind: 'command', name: 'status', argv: [], planThenRun: false });
    expect(parseCommandLine('')).toEqual({ kind: 'empty' });
    expect(parseCommandLine('plan "x').kind).toBe('invalid');
  });
});

describe('commands/permissions.ts and src/chat/permissions.ts', () => {
  const stage = { env: 'stage' as const, approvers: ['A1'], approverGroup: 'G1', operators: ['O1'] };
  it.each([
    ['read', 'X', true],
    ['operate', 'O1', true],
    ['operate', 'X', false],
    ['approve', 'A1', true],
    ['approve', 'G-member', true],
    ['approve', 'X', false],
  ] as const)('%s by %s → %s', (permission, user, allowed) => {
    const d = decidePermission({ command: 'c', permission, user, envs: [stage], groupMembers: new Map([['G1', new Set(['G-member'])]]) });
    expect(d.allowed).toBe(allowed);
  });

  it('finds the environment from an env name or a wave id', () => {
    expect(envsNamedIn(['prod', 'trial'], ['dev', 'stage', 'prod'])).toEqual(['prod']);
    expect(envsNamedIn(['stage-20261125-3'], ['dev', 'stage', 'prod'])).toEqual(['stage']);
    expect(envsNamedIn(['3f2a9c'], ['dev', 'stage', 'prod'])).toBeUndefined();
  });

  it('caches group members for the TTL', async () => {
    let now = 0;
    let lookups = 0;
    const cache = new GroupMembersCache(() => Promise.resolve([`u${++lookups}`]), 1000, () => now);
    expect([...(await cache.members('G'))]).toEqual(['u1']);
    now = 999;
    expect([...(await cache.members('G'))]).toEqual(['u1']);
    now = 1000;
    expect([...(await cache.members('G'))]).toEqual(['u2']);
  });
});
