/**
 * Issue 7 §2: "Every button has a confirm dialog where it changes clusters." Every message that carries buttons
 * is rendered in every state that shows buttons; a button that starts, resumes, ends or approves cluster changes
 * must carry a confirm dialog, and the harmless ones (pause, cancel, request approval, declined, resolved) may not
 * need one. A new cluster-changing button without a dialog fails here.
 */
import { describe, expect, it } from '@jest/globals';
import type { ChatButton, ChatMessage } from '../../../src/chat/message.js';
import { buttonsOf } from '../../../src/chat/message.js';
import { ACTION, planMessage } from '../../../src/chat/replies.js';
import { APPROVAL_ACTION, approvalRequestMessage, TASK_ACTION, taskMessage, WAVE_ACTION, waveParentMessage, type WaveView } from '../../../src/chat/wave-message.js';

/** Action id prefixes of buttons that change clusters (or let a change go ahead). */
const CHANGES_CLUSTERS = [ACTION.run, WAVE_ACTION.resume, WAVE_ACTION.drain, WAVE_ACTION.abort, TASK_ACTION.agreed, APPROVAL_ACTION.approve];

const wave = (state: string): WaveView => ({
  waveId: 'prod-20261125-1',
  env: 'prod',
  target: 'trial',
  state,
  counts: { migrated: 3, pending: 7, running: 2 },
  total: 12,
  platformFailures: 0,
  budget: 5,
  concurrency: 4,
  requestedBy: 'U-REQ',
  approvedBy: 'U-ONCALL',
  planHash: 'a'.repeat(64),
  createdAt: '2026-11-25T10:00:00.000Z',
  finishedAt: null,
  etaSeconds: 60,
});

const task = {
  taskId: 'task-1',
  runtimeId: 'rt-1',
  waveId: 'prod-20261125-1',
  env: 'prod',
  globalAccountId: 'ga',
  subaccountId: 'sa',
  shootName: 'c-1',
  istioCrs: [{ name: 'custom', createdAt: '2024-11-02T08:00:00Z', state: 'Ready' }],
  message: 'More than one Istio CR present on the cluster.',
  state: 'open' as const,
  updatedBy: null,
  createdAt: '2026-11-25T10:00:00.000Z',
  updatedAt: '2026-11-25T10:00:00.000Z',
};

const messages: [string, ChatMessage][] = [
  ['plan (stage)', planMessage({ hash: 'b'.repeat(64), env: 'stage', target: 'kyma-test', runtimes: 3 }, 'plan', 'U1', false)],
  ['plan (prod)', planMessage({ hash: 'b'.repeat(64), env: 'prod', target: 'trial', runtimes: 3 }, 'plan', 'U1', true)],
  ...['running', 'paused', 'draining', 'interrupted'].map((s): [string, ChatMessage] => [`wave ${s}`, waveParentMessage(wave(s))]),
  ['task (stage)', taskMessage({ ...task, env: 'stage' }, false)],
  ['task (prod)', taskMessage(task, true)],
  [
    'approval request',
    approvalRequestMessage({ requestId: 'r1', env: 'prod', target: 'trial', planHash: 'c'.repeat(64), action: 'retry-failed', requester: 'U-REQ', approvers: ['<!subteam^S1>'], expiresAt: '2026-11-25T11:00:00.000Z', detail: 'retry', runs: 'retry-failed prod-20261125-1 --yes' }),
  ],
];

describe('confirm dialogs on cluster-changing buttons', () => {
  const all: [string, ChatButton][] = messages.flatMap(([name, m]) => buttonsOf(m).map((b): [string, ChatButton] => [name, b]));

  it('covers every kind of cluster-changing button', () => {
    for (const prefix of CHANGES_CLUSTERS) expect({ prefix, shown: all.some(([, b]) => b.actionId.startsWith(prefix)) }).toEqual({ prefix, shown: true });
  });

  it.each(messages.map(([name]) => [name]))('%s: shows buttons, and each cluster-changing one asks first', (name) => {
    const buttons = all.filter(([n]) => n === name).map(([, b]) => b);
    expect(buttons.length).toBeGreaterThan(0);
    const changing = buttons.filter((x) => CHANGES_CLUSTERS.some((p) => x.actionId.startsWith(p)));
    expect(changing.map((b) => ({ actionId: b.actionId, confirm: !!b.confirm?.title && !!b.confirm.text && !!b.confirm.confirm && !!b.confirm.deny }))).toEqual(
      changing.map((b) => ({ actionId: b.actionId, confirm: true })),
    );
  });

  it('plan (prod) needing an approval offers Request approval and Cancel, no Run', () => {
    const buttons = all.filter(([n]) => n === 'plan (prod)').map(([, b]) => b);
    expect(buttons.map((b) => b.label)).toEqual(['Request approval', 'Cancel']);
    expect(buttons.filter((b) => CHANGES_CLUSTERS.some((p) => b.actionId.startsWith(p)))).toEqual([]);
  });
});
