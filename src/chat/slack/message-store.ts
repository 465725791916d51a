/**
 * What the Slack adapter keeps in the journal, in one place: where it posted the messages of plans, waves and
 * tasks (`{channel, ts}`, so a restarted bot re-attaches), how far a wave's final summary got, and the on-call
 * approval requests it posted (approval-request.ts). Each is a typed journal record (chat messages, wave finals,
 * approval requests); this module only names them for the adapter.
 */
import type { ChatMessageKind, Journal } from '../../journal/journal.js';
import type { ApprovalRequest } from '../approval-request.js';
import type { FinalView } from '../wave-message.js';
import type { PostedMessage } from './poster.js';

/** Which posted message: a wave's parent message, a task's message or a plan's message. */
export interface MessageRef {
  kind: ChatMessageKind;
  subject: string;
}

export const waveRefKey = (waveId: string): MessageRef => ({ kind: 'wave', subject: waveId });
export const taskRefKey = (taskId: string): MessageRef => ({ kind: 'task', subject: taskId });
export const planRefKey = (hash: string): MessageRef => ({ kind: 'plan', subject: hash });

/** The message posted for a plan, wave or task (its reference from `planRefKey`, `waveRefKey`, `taskRefKey`). */
export async function readRef(journal: Journal, ref: MessageRef): Promise<PostedMessage | undefined> {
  return journal.chatMessage(ref.kind, ref.subject);
}

/** Whether a message was posted for `ref`. */
export async function hasRef(journal: Journal, ref: MessageRef): Promise<boolean> {
  return (await readRef(journal, ref)) !== undefined;
}

export async function saveRef(journal: Journal, ref: MessageRef, posted: PostedMessage): Promise<void> {
  await journal.setChatMessage(ref.kind, ref.subject, { channel: posted.channel, ts: posted.ts });
}

/** A wave's final summary: `started` once a process took it on (so no other does), `done` with what it showed. */
export type FinalRecord = { state: 'started' } | { state: 'done'; final: FinalView };

export async function readFinal(journal: Journal, waveId: string): Promise<FinalRecord | undefined> {
  const record = await journal.waveFinal(waveId);
  if (!record) return undefined;
  return record.state === 'done' && record.final ? { state: 'done', final: record.final as FinalView } : { state: 'started' };
}

/** Takes the wave's final summary on: true for the one process that records `started` first (atomic in the journal). */
export async function claimFinal(journal: Journal, waveId: string): Promise<boolean> {
  return journal.claimWaveFinal(waveId);
}

export async function saveFinal(journal: Journal, waveId: string, record: FinalRecord): Promise<void> {
  await journal.setWaveFinal(waveId, record);
}

export async function readApprovalRequest(journal: Journal, id: string): Promise<ApprovalRequest | undefined> {
  return journal.approvalRequest(id);
}

export async function saveApprovalRequest(journal: Journal, req: ApprovalRequest): Promise<void> {
  await journal.saveApprovalRequest(req);
}
