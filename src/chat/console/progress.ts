/**
 * The console's view of a running wave: one progress-bar line (printed at most every ~2 s per wave) and the final
 * summary message. Pure functions of counts read from the wave event stream and the journal; the console prints
 * them, nothing here learns a cluster fact.
 */
import { OUTCOMES, type Outcome } from '../../migration/outcomes.js';
import type { WaveRuntime } from '../../journal/journal.js';
import type { WaveStatus } from '../../rollout/wave-status.js';
import type { ChatBlock, ChatMessage } from '../message.js';
import { codeBlock, inlineCode, plain } from '../message.js';
import { count, runningWord, waveStateWords } from '../../text/words.js';

/** Failures listed in the final summary at most; the rest are counted (`status`/`export` has them all). */
export const SUMMARY_LIST_MAX = 25;

/** `[########............]`: `width` cells, filled by the finished share (never 100 % before all are done). */
export function progressBar(done: number, total: number, width = 20): string {
  const filled = total <= 0 ? width : done >= total ? width : Math.min(width - 1, Math.floor((done / total) * width));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** Non-zero counts in C4's order: `migrated 20, already-migrated 3, error 1`. */
export function countsText(counts: Partial<Record<Outcome, number>>): string {
  return OUTCOMES.filter((o) => (counts[o] ?? 0) > 0)
    .map((o) => `${o} ${counts[o]}`)
    .join(', ');
}

export interface ProgressView {
  waveId: string;
  state: string;
  total: number;
  counts: Partial<Record<Outcome, number>>;
  running: number;
  /** The runner's limit now and its cause ("limit 3 of 8: held at 3 by the budget guard: …"). */
  limit?: string;
}

/** `» stage-20261125-1 running [#########...........] 22/48 · migrated 20, already-migrated 2 · 2 in flight` */
export function progressLine(v: ProgressView): string {
  const done = OUTCOMES.reduce((n, o) => n + (v.counts[o] ?? 0), 0);
  const counts = countsText(v.counts);
  return `» ${v.waveId} ${v.state} ${progressBar(done, v.total)} ${done}/${v.total}${counts ? ` · ${counts}` : ''}${v.running ? ` · ${v.running} in flight` : ''}${v.limit ? ` · ${v.limit}` : ''}`;
}

/** One line per runtime that did not succeed, sorted by runtime id (deterministic whatever the finishing order). */
export function attentionLines(runtimes: WaveRuntime[]): string[] {
  return runtimes
    .filter((r) => r.state === 'finished' && r.result && r.result.class !== 'none')
    .sort((a, b) => a.runtimeId.localeCompare(b.runtimeId))
    .map((r) => `${r.runtimeId} (${r.runtime.shootName}) ${r.result!.outcome}${r.result!.reason ? `/${r.result!.reason}` : ''}: ${r.result!.message}`);
}

/** The summary printed when a wave ends (or stops): bar, counts, what needs attention, open tasks. */
export function finalSummary(s: WaveStatus, runtimes: WaveRuntime[], openTasks: number): ChatMessage {
  const total = runtimes.length;
  const done = OUTCOMES.reduce((n, o) => n + s.counts[o], 0);
  const attention = attentionLines(runtimes);
  const state = waveStateWords(s.state, s.counts.pending);
  const drained = state !== s.state;
  const blocks: ChatBlock[] = [
    { type: 'header', text: `Wave ${s.waveId} ${state} — ${s.env}, ${s.target}` },
    {
      type: 'section',
      markdown: plain(`${progressBar(done, total)} ${done}/${total} · ${countsText(s.counts) || 'nothing finished'}${s.counts.pending && !drained ? ` · ${s.counts.pending} pending` : ''}${s.counts.running ? ` · ${s.counts.running} ${runningWord(s.state, 'in flight')}` : ''}`),
    },
  ];
  if (attention.length) {
    const shown = attention.slice(0, SUMMARY_LIST_MAX);
    const more = attention.length - shown.length;
    blocks.push({ type: 'section', markdown: `Needs attention (${attention.length}):\n${codeBlock(shown.join('\n'))}${more ? `\n… ${more} more: ${inlineCode(`status ${s.waveId}`)}` : ''}` });
  }
  const notes: string[] = [];
  if (openTasks) notes.push(`${count(openTasks, 'customer-contact task')} open (see ${inlineCode('tasks')})`);
  if (s.state === 'interrupted' || s.state === 'budget-stopped' || s.state === 'aborted') notes.push(`continue with ${inlineCode(`resume ${s.waveId}`)}`);
  if (notes.length) blocks.push({ type: 'context', elements: notes });
  return { text: `Wave ${s.waveId} ${state}`, blocks };
}
