/**
 * What the Slack adapter keeps in the journal, in one place: where it posted the messages of plans, waves and
 * tasks (`{channel, ts}`, so a restarted bot re-attaches), how far a wave's final summary got, and the on-call
 * approval requests it posted (approval-request.ts). Read and written through the journal's settings under
 * `slack:plan:<hash>`, `slack:wave:<waveId>`, `slack:task:<taskId>`, `slack:wave-final:<waveId>` and
 * `slack:approval:<id>`.
 */
import type { Journal } from '../../journal/journal.js';
import { approvalKey, type ApprovalRequest } from '../approval-request.js';
import type { FinalView } from '../wave-message.js';
import type { PostedMessage } from './poster.js';

export const waveRefKey = (waveId: string) => `slack:wave:${waveId}`;
export const taskRefKey = (taskId: string) => `slack:task:${taskId}`;
export const planRefKey = (hash: string) => `slack:plan:${hash}`;
const finalKey = (waveId: string) => `slack:wave-final:${waveId}`;

/** The message posted for a plan, wave or task (its key from `planRefKey`, `waveRefKey`, `taskRefKey`). */
export async function readRef(journal: Journal, key: string): Promise<PostedMessage | undefined> {
  const raw = await journal.getSetting(key);
  return raw ? (JSON.parse(raw) as PostedMessage) : undefined;
}

/** Whether a message was posted under `key` (without reading it). */
export async function hasRef(journal: Journal, key: string): Promise<boolean> {
  return !!(await journal.getSetting(key));
}

export async function saveRef(journal: Journal, key: string, posted: PostedMessage): Promise<void> {
  await journal.setSetting(key, JSON.stringify(posted));
}

/** A wave's final summary: `started` once a process took it on (so no other does), `done` with what it showed. */
export type FinalRecord = { state: 'started' } | { state: 'done'; final: FinalView };

export async function readFinal(journal: Journal, waveId: string): Promise<FinalRecord | undefined> {
  const raw = await journal.getSetting(finalKey(waveId));
  return raw ? (JSON.parse(raw) as FinalRecord) : undefined;
}

export async function saveFinal(journal: Journal, waveId: string, record: FinalRecord): Promise<void> {
  await journal.setSetting(finalKey(waveId), JSON.stringify(record));
}

export async function readApprovalRequest(journal: Journal, id: string): Promise<ApprovalRequest | undefined> {
  const raw = await journal.getSetting(approvalKey(id));
  return raw ? (JSON.parse(raw) as ApprovalRequest) : undefined;
}

export async function saveApprovalRequest(journal: Journal, req: ApprovalRequest): Promise<void> {
  await journal.setSetting(approvalKey(req.id), JSON.stringify(req));
}
