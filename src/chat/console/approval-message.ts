/**
 * The console's on-call approval request (the plan's Request approval button): Approve, as whoever clicks it after
 * `/as <approver>` (the `approve` command decides whether they may), and Run by the requester once approved.
 */
import { inlineCode, mention, type ChatMessage } from '../message.js';
import { ACTION } from '../replies.js';

export const APPROVE_ACTION = 'im:approve:';

/** The on-call approval request: Approve (as whoever clicks it, for `user`) and Run (by `user`, once approved). */
export function approvalRequest(user: string, hash: string, env: string, target: string): ChatMessage {
  const short = hash.slice(0, 12);
  return {
    text: `approval of plan ${short} requested`,
    blocks: [
      {
        type: 'section',
        markdown: `${mention(user)} asks for an on-call approval of plan ${inlineCode(short)} (${env}, ${target}). An approver (not ${mention(user)}) approves — here: ${inlineCode('/as <approver>')} then Approve — and then ${mention(user)} runs it (one wave per approval).`,
      },
      {
        type: 'actions',
        buttons: [
          { actionId: `${APPROVE_ACTION}${hash}:${user}`, label: 'Approve', value: hash, style: 'primary' },
          { actionId: `${ACTION.run}${hash}`, label: 'Run', value: hash },
        ],
      },
    ],
  };
}
