/**
 * The console following the waves of this process on the event stream: a progress-bar line per wave at most every
 * `intervalMs`, the wave's thread as Slack would show it (the same thread policy: digests of failures, at once only
 * what needs a person), and the final summary when the wave ends.
 */
import type { Services } from '../../app/services.js';
import type { EnvName } from '../../config/config.js';
import { OUTCOMES, type Outcome } from '../../migration/outcomes.js';
import type { WaveEvent } from '../../rollout/wave-runner.js';
import { countRuntimes, waveStatus } from '../../rollout/wave-status.js';
import { inlineCode, type ChatMessage } from '../message.js';
import { noteReply } from '../replies.js';
import { immediateLine, immediateOf, threadPolicy, WaveThread } from '../wave-thread.js';
import { count } from '../../text/words.js';
import { finalSummary, progressLine } from './progress.js';
import { renderText } from './text.js';

interface ProgressState {
  waveId: string;
  state: string;
  total: number;
  counts: Partial<Record<Outcome, number>>;
  running: number;
  lastPrinted: number;
  /** The runner's limit and its cause (the `limit` events). */
  limit?: string;
  /** What the wave's Slack thread would show, by the same policy (digests of failures, immediate events). */
  thread: WaveThread;
}

export interface WaveFollowerOptions {
  services: Services;
  /** At most one progress line per wave this often (default 2,000 ms; `Infinity`: only the final summary). */
  intervalMs?: number;
  /** A timing-dependent line (progress, digests). */
  progress(text: string): void;
  reply(msg: ChatMessage): void;
  /** Work the console waits for before it leaves. */
  track(work: Promise<void>): void;
}

export class WaveFollower {
  private readonly progress = new Map<string, ProgressState>();

  constructor(private readonly o: WaveFollowerOptions) {}

  /** The waves followed here (started in this process and not ended). */
  following(): string[] {
    return [...this.progress.keys()];
  }

  /** `wave X (12 of 48 runtimes left)` for a wave followed here, else just its id. */
  describe(waveId: string): string {
    const p = this.progress.get(waveId);
    if (!p || !p.total) return `wave ${inlineCode(waveId)}`;
    const done = OUTCOMES.reduce((n, o) => n + (p.counts[o] ?? 0), 0);
    return `wave ${inlineCode(waveId)} (${p.total - done} of ${count(p.total, 'runtime')} left)`;
  }

  follow(e: WaveEvent): void {
    const interval = this.o.intervalMs ?? 2000;
    const p = this.progress.get(e.waveId);
    switch (e.type) {
      case 'wave-started': {
        const thread = new WaveThread(e.waveId, threadPolicy(this.o.services.config, e.waveId.split('-')[0] as EnvName));
        const state: ProgressState = { waveId: e.waveId, state: 'running', total: 0, counts: {}, running: 0, lastPrinted: Date.now(), thread };
        this.progress.set(e.waveId, state);
        // Resumed after an interruption: told at once, as the thread does (a pause's resume is a `state` event).
        if (immediateOf(e)) this.o.reply(noteReply(`wave ${inlineCode(e.waveId)}: ${immediateLine(e, immediateOf(e)!)}`));
        this.o.track(
          (async () => {
            const rts = await (await this.o.services.journal()).listWaveRuntimes(e.waveId);
            const c = countRuntimes(rts);
            state.total = rts.length;
            for (const o of OUTCOMES) state.counts[o] = (state.counts[o] ?? 0) + c[o];
          })(),
        );
        return;
      }
      case 'runtime-started':
        if (p) p.running++;
        return;
      case 'runtime-finished':
        if (!p) return;
        p.running = Math.max(0, p.running - 1);
        p.counts[e.result.outcome] = (p.counts[e.result.outcome] ?? 0) + 1;
        p.thread.finished(e.runtimeId, e.result);
        if (Date.now() - p.lastPrinted >= interval) {
          p.lastPrinted = Date.now();
          this.o.progress(progressLine(p));
        }
        if (p.thread.due()) this.digest(p.thread);
        return;
      case 'limit':
        if (p) p.limit = `limit ${e.limit.limit} of ${e.limit.requested}: ${e.limit.cause}`;
        return;
      case 'state':
        if (p) p.state = e.state;
        if (immediateOf(e)) this.o.reply(noteReply(`wave ${inlineCode(e.waveId)}: ${immediateLine(e, immediateOf(e)!)}`));
        return;
      case 'budget-stopped':
        p?.thread.flushSoon();
        if (p?.thread.due()) this.digest(p.thread);
        this.o.reply(noteReply(`wave ${inlineCode(e.waveId)}: ${immediateLine(e, 'budget-stopped')}`));
        return;
      case 'wave-finished':
        if (p) this.digest(p.thread); // what is pending, before the summary
        this.progress.delete(e.waveId);
        if (e.state === 'interrupted' || e.state === 'aborted') this.o.reply(noteReply(`wave ${inlineCode(e.waveId)}: ${immediateLine(e, immediateOf(e)!)}`));
        this.o.track(this.summary(e.waveId));
        return;
    }
  }

  /**
   * A digest as the thread would show it. Its lines start with `» ` like the progress lines: when it comes depends on
   * timing, so transcripts compared by tests leave them out (the final summary lists every failure).
   */
  private digest(thread: WaveThread): void {
    const d = thread.take();
    if (d) this.o.progress(renderText(d.message).split('\n').map((l) => `» ${l}`).join('\n'));
  }

  private async summary(waveId: string): Promise<void> {
    const journal = await this.o.services.journal();
    const wave = await journal.getWave(waveId);
    if (!wave) return;
    const runtimes = await journal.listWaveRuntimes(waveId);
    const tasks = (await journal.listTasks({ states: ['open'] })).filter((t) => t.waveId === waveId).length;
    this.o.reply(finalSummary(await waveStatus(journal, wave), runtimes, tasks));
  }
}
