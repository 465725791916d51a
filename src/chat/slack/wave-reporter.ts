/**
 * The live wave messages in Slack (issue 7 §2). A `WaveReporter` listens to the wave event stream, marks waves
 * dirty and queues what needs attention; ONE scheduler, shared by all waves, then
 *
 * - re-renders dirty parent messages FROM THE JOURNAL (state, counts, budget, ETA — never from the events, so a
 *   skipped or refused update loses nothing: the next one shows the truth), at most `updatesPerMinute` per
 *   minute over all waves, round robin (`chat.update` is Tier 3, ~50/min per workspace);
 * - posts into channels at most once per `digestIntervalMs` per channel (chat.postMessage's ~1/s): the parent
 *   message of a new wave; into its thread what the thread policy (../wave-thread.ts, shared with the console)
 *   says — failures grouped by reason in a digest every few minutes (or when a group crosses a threshold), with one
 *   line naming the new customer-contact tasks, and at once only what needs a person (budget stop,
 *   pause/drain/resume, abort, interruption) — customer-contact tasks into their channel (one post each), and the
 *   wave's end with the requester (and on-call where approvals are required) mentioned;
 * - when a wave ended: runs `verify` and `export` as commands (adapters do not read clusters), renders the final
 *   summary into the parent and uploads the full list into the thread as a CSV file.
 *
 * A 429 that outlasts the poster's own Retry-After retries leaves the wave dirty (or the post queued: channel-queues.ts)
 * and the scheduler waits the Retry-After. What the messages show is read by wave-render.ts; where they are is kept
 * in the journal by message-store.ts, so a restarted bot re-attaches.
 *
 * Limitations: budgets and queues are per process; two replicas each run their own scheduler (the journal
 * references keep them from posting a wave's parent twice only when they do not start at the same instant).
 */
import type { CommandResult } from '../../../commands/index.js';
import type { Services } from '../../app/services.js';
import type { EnvName } from '../../config/config.js';
import type { Journal } from '../../journal/journal.js';
import { ENDED_WAVE_STATES } from '../../journal/ids-and-states.js';
import type { WaveEvent } from '../../rollout/wave-runner.js';
import { effectiveState } from '../../rollout/wave-status.js';
import type { ChatMessage } from '../message.js';
import { taskMessage, waveEndedMessage, waveParentMessage, type FinalView } from '../wave-message.js';
import { actorActionsOf, failureGroup, immediateLine, immediateOf, threadEventMessage, threadPolicy, WaveThread, type ImmediateEvent } from '../wave-thread.js';
import { claimFinal, hasRef, readFinal, readRef, saveFinal, saveRef, taskRefKey, waveRefKey } from './message-store.js';
import { ChannelQueues } from './channel-queues.js';
import type { ChatLogger } from './logger.js';
import { rateLimitedFor, type PostedMessage, type SlackPoster } from './poster.js';
import { endMentions, finalViewOf, waveViewOf } from './wave-render.js';

export type ReporterLogger = Pick<ChatLogger, 'info' | 'warn' | 'error'>;

export interface WaveReporterOptions {
  services: Services;
  poster: SlackPoster;
  log: ReporterLogger;
  /** The signed link to a wave's page (src/wave-page), when pages and a base URL are configured. */
  pageLink?: (waveId: string) => string | undefined;
  /** Runs a read-only command (verify, export) on the bot's behalf. */
  dispatch(name: string, argv: string[]): Promise<CommandResult>;
  /** chat.update calls per minute over all waves (default: config `chat.updatesPerMinute`, else 40). */
  updatesPerMinute?: number;
  /** At most one post per channel per this many ms (default 1000); how often digests go out is the thread policy's. */
  digestIntervalMs?: number;
  /** The clock of the thread policy (tests). */
  now?: () => number;
  /** How often waves run by another process are re-rendered (default 15 s). */
  watchIntervalMs?: number;
  /** Scheduler tick (default 50 ms). */
  tickMs?: number;
}

const HINT_TTL_MS = 10 * 60_000;

type Item =
  | { kind: 'parent'; waveId: string }
  /** A digest or an immediate event, rendered when queued. */
  | { kind: 'thread'; waveId: string; message: ChatMessage }
  | { kind: 'ended'; waveId: string; mentions: string[] }
  | { kind: 'task'; taskId: string };

export class WaveReporter {
  private readonly inbox: WaveEvent[] = [];
  private readonly dirty = new Set<string>();
  private readonly watched = new Set<string>();
  private readonly posts: ChannelQueues<Item>;
  private readonly refs = new Map<string, PostedMessage>();
  /** The channel of each wave known here (its parent's, or where its parent will go). */
  private readonly waveChannel = new Map<string, string>();
  private readonly parentPending = new Set<string>();
  private readonly finals = new Map<string, FinalView>();
  private readonly lastRendered = new Map<string, string>();
  private readonly hints = new Map<string, { channel: string; at: number }>();
  private readonly taskQueued = new Set<string>();
  /** The thread policy's state per wave followed here. */
  private readonly threads = new Map<string, WaveThread>();
  private readonly refWaiters = new Map<string, (() => void)[]>();
  private readonly idleWaiters: (() => void)[] = [];
  private busy = 0;
  private updating = false;
  private nextUpdateAt = 0;
  private lastWatch = 0;
  private ticking = false;
  private timer?: NodeJS.Timeout;
  private readonly listener = (e: WaveEvent) => {
    this.inbox.push(e);
  };
  private readonly updateIntervalMs: number;
  private readonly watchIntervalMs: number;

  constructor(private readonly o: WaveReporterOptions) {
    const perMinute = o.updatesPerMinute ?? o.services.config.chat?.updatesPerMinute ?? 40;
    this.updateIntervalMs = 60_000 / perMinute;
    this.posts = new ChannelQueues<Item>({ intervalMs: o.digestIntervalMs ?? 1000, post: (channel, item) => this.post(channel, item), warn: (obj, msg) => o.log.warn(obj, msg) });
    this.watchIntervalMs = o.watchIntervalMs ?? 15_000;
  }

  private journal(): Promise<Journal> {
    return this.o.services.journal();
  }

  /** Subscribes, starts the scheduler and re-attaches to live waves (and unposted tasks / final summaries). */
  async start(): Promise<void> {
    this.o.services.events.on('event', this.listener);
    this.timer = setInterval(() => void this.tick(), this.o.tickMs ?? 50);
    this.timer.unref();
    const journal = await this.journal();
    for (const w of await journal.listWaves({ states: ['running', 'paused', 'draining'] })) {
      if (!(await this.ref(w.waveId))) continue;
      if ((await effectiveState(journal, w)) === 'interrupted') continue; // re-attached only when resumed here: reattach()
      this.watched.add(w.waveId);
      this.dirty.add(w.waveId);
      await this.seedThread(w.waveId);
    }
    const dayAgo = Date.now() - 86_400_000;
    for (const w of await journal.listWaves({ states: [...ENDED_WAVE_STATES] })) {
      if (w.finishedAt && Date.parse(w.finishedAt) > dayAgo && (await this.ref(w.waveId)) && !(await readFinal(journal, w.waveId))) this.finalize(w.waveId);
    }
    for (const t of await journal.listTasks({ states: ['open'] })) await this.queueTask(t.taskId, t.waveId);
  }

  /** Unsubscribes and stops the scheduler; the journal keeps what is needed to re-attach. */
  stop(): Promise<void> {
    this.o.services.events.off('event', this.listener);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return Promise.resolve();
  }

  /** Waves this process now runs again (resumed after a restart): render their parents again. */
  async reattach(waveIds: readonly string[]): Promise<void> {
    for (const id of waveIds) {
      if (!(await this.ref(id))) continue;
      this.dirty.add(id);
      await this.seedThread(id);
    }
  }

  /** The next wave `user` starts is shown in `channel` (a Run click, an approval, a slash `run`). */
  expectWave(user: string, channel: string): void {
    this.hints.set(user, { channel, at: Date.now() });
  }

  /** A customer-contact task whose state changed: re-render its message (task clicks call this). */
  async renderTask(taskId: string): Promise<void> {
    const journal = await this.journal();
    const ref = await readRef(journal, taskRefKey(taskId));
    const t = await journal.getTask(taskId);
    if (!ref || !t) return;
    await this.o.poster.update(ref.channel, ref.ts, taskMessage(t, this.o.services.approvalRequired(t.env as EnvName)));
  }

  /** Resolves when nothing is queued, dirty or in flight (tests and `SlackBot.idle()`). */
  idle(): Promise<void> {
    if (this.quiet()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private quiet(): boolean {
    return !this.inbox.length && !this.dirty.size && this.posts.empty() && !this.busy && !this.updating && !this.ticking;
  }

  // ---- scheduler ----

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      while (this.inbox.length) {
        const e = this.inbox.shift()!;
        try {
          await this.handle(e);
        } catch (err) {
          this.o.log.error({ waveId: e.waveId, event: e.type, err: (err as Error).message }, 'slack reporter: handling a wave event failed');
        }
      }
      const now = Date.now();
      if (this.watched.size && now - this.lastWatch >= this.watchIntervalMs) {
        this.lastWatch = now;
        for (const id of this.watched) this.dirty.add(id);
      }
      for (const t of this.threads.values()) if (t.due()) this.queueDigest(t.waveId);
      if (!this.updating && now >= this.nextUpdateAt) this.launchUpdate();
      this.posts.launchDue(now);
    } finally {
      this.ticking = false;
      if (this.quiet()) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async ref(waveId: string): Promise<PostedMessage | undefined> {
    const hit = this.refs.get(waveId);
    if (hit) return hit;
    const ref = await readRef(await this.journal(), waveRefKey(waveId));
    if (!ref) return undefined;
    this.refs.set(waveId, ref);
    this.waveChannel.set(waveId, ref.channel);
    return ref;
  }

  private waitRef(waveId: string): Promise<void> {
    if (this.refs.has(waveId) || !this.parentPending.has(waveId)) return Promise.resolve();
    return new Promise((resolve) => this.refWaiters.set(waveId, [...(this.refWaiters.get(waveId) ?? []), resolve]));
  }

  private threadOf(waveId: string): WaveThread {
    let t = this.threads.get(waveId);
    if (!t) {
      t = new WaveThread(waveId, threadPolicy(this.o.services.config, waveId.split('-')[0] as EnvName), this.o.now);
      this.threads.set(waveId, t);
    }
    return t;
  }

  /** A wave this process follows again (restart, resume): failures told before count in the totals only. */
  private async seedThread(waveId: string): Promise<void> {
    if (this.threads.has(waveId)) return;
    const t = this.threadOf(waveId);
    const byGroup = new Map<string, string[]>();
    for (const r of await (await this.journal()).listWaveRuntimes(waveId)) {
      const g = r.result ? failureGroup(r.result) : undefined;
      if (g) byGroup.set(g, [...(byGroup.get(g) ?? []), r.runtimeId]);
    }
    for (const [g, ids] of byGroup) t.seed(g, ids);
  }

  /** Queues the wave's digest of what is pending (nothing when nothing is). */
  private queueDigest(waveId: string): void {
    const channel = this.waveChannel.get(waveId);
    const digest = this.threads.get(waveId)?.take(this.taskChannel(waveId));
    if (channel && digest) this.posts.enqueue(channel, { kind: 'thread', waveId, message: digest.message });
  }

  /** Posts at once (after what is queued before it) what needs a person. */
  private postNow(waveId: string, line: string): void {
    const channel = this.waveChannel.get(waveId);
    if (channel) this.posts.enqueue(channel, { kind: 'thread', waveId, message: threadEventMessage(waveId, line) });
  }

  /** Who did what an immediate event tells (`actorActionsOf`), from the wave's latest audit entries. */
  private async actorOf(e: WaveEvent, what: ImmediateEvent): Promise<string | undefined> {
    const actions = actorActionsOf(e, what);
    return actions && (await (await this.journal()).listAudit({ subject: e.waveId, limit: 10 })).find((a) => actions.includes(a.action))?.actor;
  }

  private async handle(e: WaveEvent): Promise<void> {
    const journal = await this.journal();
    const what = immediateOf(e);
    switch (e.type) {
      case 'wave-started': {
        const ref = await this.ref(e.waveId);
        if (!ref && !this.parentPending.has(e.waveId)) {
          const wave = await journal.getWave(e.waveId);
          if (!wave) return;
          const hint = this.hints.get(wave.requestedBy);
          if (hint) this.hints.delete(wave.requestedBy);
          const channel = (hint && Date.now() - hint.at < HINT_TTL_MS ? hint.channel : undefined) ?? this.o.services.config.chat?.channels[wave.env as EnvName];
          if (!channel) return;
          this.waveChannel.set(e.waveId, channel);
          this.parentPending.add(e.waveId);
          this.posts.enqueue(channel, { kind: 'parent', waveId: e.waveId }, true);
          this.threadOf(e.waveId);
        } else {
          await this.seedThread(e.waveId);
          if (what) this.postNow(e.waveId, immediateLine(e, what, await this.actorOf(e, what)));
        }
        this.dirty.add(e.waveId);
        return;
      }
      case 'runtime-started':
      case 'limit':
        this.dirty.add(e.waveId);
        return;
      case 'runtime-finished': {
        this.dirty.add(e.waveId);
        const thread = this.threadOf(e.waveId);
        thread.finished(e.runtimeId, e.result);
        if (e.result.class === 'customer') {
          const task = (await journal.listTasks({ states: ['open'] })).find((t) => t.runtimeId === e.runtimeId);
          if (task) {
            thread.task(task.taskId);
            await this.queueTask(task.taskId, e.waveId);
          }
        }
        return;
      }
      case 'budget-stopped':
        this.dirty.add(e.waveId);
        this.threadOf(e.waveId).flushSoon(); // the why goes out with it
        this.postNow(e.waveId, immediateLine(e, 'budget-stopped'));
        return;
      case 'state': {
        this.dirty.add(e.waveId);
        if (!what) return;
        this.postNow(e.waveId, immediateLine(e, what, await this.actorOf(e, what)));
        return;
      }
      case 'wave-finished': {
        this.dirty.add(e.waveId);
        // Whatever is pending goes out first: every failure is in exactly one digest.
        this.queueDigest(e.waveId);
        if (what === 'interrupted') {
          // This process stopped (SIGTERM) with the wave unfinished: whoever resumes it re-attaches to the parent.
          this.postNow(e.waveId, immediateLine(e, what));
          return;
        }
        if (what === 'aborted') this.postNow(e.waveId, immediateLine(e, what, await this.actorOf(e, what)));
        this.finalize(e.waveId);
        return;
      }
    }
  }

  private taskChannel(waveId: string | null): string | undefined {
    return this.o.services.config.chat?.customerContactChannel ?? (waveId ? this.waveChannel.get(waveId) : undefined);
  }

  private async queueTask(taskId: string, waveId: string | null): Promise<void> {
    if (this.taskQueued.has(taskId)) return;
    if (waveId && !this.waveChannel.has(waveId)) await this.ref(waveId);
    const channel = this.taskChannel(waveId);
    if (!channel || (await hasRef(await this.journal(), taskRefKey(taskId)))) return;
    this.taskQueued.add(taskId);
    this.posts.enqueue(channel, { kind: 'task', taskId });
  }

  /** Verify, final summary, mentions and the full list as a file; once per wave (journaled). */
  private finalize(waveId: string): void {
    this.busy++;
    void (async () => {
      const journal = await this.journal();
      const wave = await journal.getWave(waveId);
      if (!wave || !(await this.ref(waveId)) && !this.parentPending.has(waveId)) return;
      if (!(await claimFinal(journal, waveId))) return;
      const final = await finalViewOf(this.o.services, wave, (name, argv) => this.o.dispatch(name, argv));
      this.finals.set(waveId, final);
      await saveFinal(journal, waveId, { state: 'done', final });
      this.dirty.add(waveId);
      const channel = this.waveChannel.get(waveId);
      if (channel) this.posts.enqueue(channel, { kind: 'ended', waveId, mentions: endMentions(this.o.services, wave) });
      const csv = await this.o.dispatch('export', [waveId, '--format', 'csv']);
      await this.waitRef(waveId);
      const ref = this.refs.get(waveId);
      if (ref && csv.exitCode === 0) {
        await this.o.poster.upload(ref.channel, { threadTs: ref.ts, filename: `${waveId}.csv`, title: `${waveId}: every runtime's result`, content: csv.text });
      }
      // One chart image per ended wave (the timeline: done, in flight, failures vs budget), within the upload budget.
      const chart = await this.o.dispatch('export', [waveId, '--format', 'png']);
      if (ref && chart.exitCode === 0 && chart.output) {
        await this.o.poster.upload(ref.channel, { threadTs: ref.ts, filename: `${waveId}-timeline.png`, title: `${waveId}: timeline`, content: chart.output });
      }
    })()
      .catch((err: unknown) => this.o.log.error({ waveId, err: (err as Error).message }, 'slack reporter: final summary failed'))
      .finally(() => this.busy--);
  }

  private view(waveId: string): ReturnType<typeof waveViewOf> {
    return waveViewOf(this.o.services, waveId, { pageUrl: this.o.pageLink?.(waveId), failureGroups: this.threads.get(waveId)?.totals() });
  }

  private async finalOf(waveId: string): Promise<FinalView | undefined> {
    const hit = this.finals.get(waveId);
    if (hit) return hit;
    const record = await readFinal(await this.journal(), waveId);
    const final = record?.state === 'done' ? record.final : undefined;
    if (final) this.finals.set(waveId, final);
    return final;
  }

  /** Renders one dirty wave (round robin) into its parent message. */
  private launchUpdate(): void {
    const waveId = [...this.dirty].find((id) => !this.parentPending.has(id));
    if (!waveId) return;
    this.dirty.delete(waveId);
    this.updating = true;
    void (async () => {
      const ref = await this.ref(waveId);
      if (!ref) return; // not shown in Slack
      const v = await this.view(waveId);
      if (!v) return;
      if (v.ended) this.watched.delete(waveId);
      const msg = waveParentMessage(v.view, v.ended ? await this.finalOf(waveId) : undefined);
      const key = JSON.stringify(msg);
      if (this.lastRendered.get(waveId) === key) return;
      this.nextUpdateAt = Date.now() + this.updateIntervalMs;
      try {
        await this.o.poster.update(ref.channel, ref.ts, msg);
        this.lastRendered.set(waveId, key);
      } catch (err) {
        const retryAfter = rateLimitedFor(err);
        if (retryAfter === undefined) throw err;
        this.dirty.add(waveId); // the next render reads the journal again: nothing is lost
        this.nextUpdateAt = Date.now() + retryAfter * 1000;
      }
    })()
      .catch((err: unknown) => this.o.log.warn({ waveId, err: (err as Error).message }, 'slack reporter: updating the wave message failed'))
      .finally(() => (this.updating = false));
  }

  private async post(channel: string, item: Item): Promise<void> {
    const journal = await this.journal();
    switch (item.kind) {
      case 'parent': {
        try {
          const v = await this.view(item.waveId);
          if (!v) return;
          const posted = await this.o.poster.post(channel, waveParentMessage(v.view));
          await saveRef(journal, waveRefKey(item.waveId), posted);
          this.refs.set(item.waveId, posted);
          this.waveChannel.set(item.waveId, posted.channel);
        } catch (err) {
          if (rateLimitedFor(err) !== undefined) throw err;
          this.o.log.warn({ waveId: item.waveId, channel, err: (err as Error).message }, 'slack reporter: could not post the wave message');
        }
        // Posted (or given up on): digests and the final summary stop waiting for it.
        this.parentPending.delete(item.waveId);
        for (const w of this.refWaiters.get(item.waveId) ?? []) w();
        this.refWaiters.delete(item.waveId);
        return;
      }
      case 'thread': {
        const ref = await this.ref(item.waveId);
        if (ref) await this.o.poster.post(ref.channel, item.message, { threadTs: ref.ts });
        return;
      }
      case 'ended': {
        const ref = await this.ref(item.waveId);
        const v = await this.view(item.waveId);
        if (ref && v) await this.o.poster.post(ref.channel, waveEndedMessage(v.view, item.mentions), { threadTs: ref.ts });
        return;
      }
      case 'task': {
        const t = await journal.getTask(item.taskId);
        if (!t || (await hasRef(journal, taskRefKey(t.taskId)))) return;
        const posted = await this.o.poster.post(channel, taskMessage(t, this.o.services.approvalRequired(t.env as EnvName)));
        await saveRef(journal, taskRefKey(t.taskId), posted);
        return;
      }
    }
  }
}
