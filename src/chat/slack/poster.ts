/**
 * Every message the bot sends goes through a SlackPoster: it renders platform-neutral messages to Block Kit,
 * spends a per-method budget well under Slack's tiers (SLACK.md: chat.postMessage ~1/s per channel, chat.update
 * Tier 3 ~50/min shared by all waves, chat.postEphemeral Tier 4) and, on HTTP 429, waits the `Retry-After` and
 * tries again (the whole method waits, not just that call). The WebClient must be built with
 * `rejectRateLimitedCalls: true` so that 429s reach this class instead of the client's own silent retry.
 *
 * Limitation: budgets are per process; replicas sharing a workspace each spend their own.
 */
import type { webApi } from '@slack/bolt';
import type { ChatMessage } from '../message.js';
import { toBlockKit, type BlockKitMessage } from './blocks.js';

export type PosterMethod = 'chat.postMessage' | 'chat.update' | 'chat.postEphemeral' | 'files.uploadV2';

/** A token bucket: `burst` calls at once, refilled at `perMinute`. */
export interface Budget {
  burst: number;
  perMinute: number;
}

export const DEFAULT_BUDGETS: Record<PosterMethod, Budget> = {
  /** Per channel: ~1/s with a small burst, never more than 5 in any 5 s (2 at once, then one per 1.5 s). */
  'chat.postMessage': { burst: 2, perMinute: 40 },
  /** Per workspace, shared by every wave's live message. */
  'chat.update': { burst: 5, perMinute: 40 },
  'chat.postEphemeral': { burst: 10, perMinute: 90 },
  /** files.getUploadURLExternal + the upload + files.completeUploadExternal (Tier 4 each; a file per ended wave). */
  'files.uploadV2': { burst: 2, perMinute: 10 },
};

export interface PosterLogger {
  warn(obj: object, msg: string): void;
}

export interface SlackPosterOptions {
  budgets?: Partial<Record<PosterMethod, Budget>>;
  /** How often one call waits out a 429 before giving up (default 3). */
  maxRateLimitRetries?: number;
  logger?: PosterLogger;
  /** Told of every Web API call and whether Slack answered 429 (the bot's metrics). */
  onCall?: (method: PosterMethod, rateLimited: boolean) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

class TokenBucket {
  private tokens: number;
  private last: number;
  private blockedUntil = 0;
  /** Callers waiting for a token, in the order they are served: every normal one before any `later` one. */
  private readonly waiting: { later: boolean; go: () => void }[] = [];
  private serving = false;

  constructor(
    private readonly budget: Budget,
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {
    this.tokens = budget.burst;
    this.last = now();
  }

  /** Waits for a token; callers are served in order, those that can wait (`later`) after all others. */
  take(later = false): Promise<void> {
    return new Promise((go) => {
      const at = later ? this.waiting.length : this.waiting.findIndex((w) => w.later);
      this.waiting.splice(at < 0 ? this.waiting.length : at, 0, { later, go });
      void this.serve();
    });
  }

  private async serve(): Promise<void> {
    if (this.serving) return;
    this.serving = true;
    try {
      while (this.waiting.length) {
        const t = this.now();
        this.tokens = Math.min(this.budget.burst, this.tokens + ((t - this.last) * this.budget.perMinute) / 60_000);
        this.last = t;
        const wait = Math.max(this.blockedUntil - t, this.tokens >= 1 ? 0 : ((1 - this.tokens) * 60_000) / this.budget.perMinute);
        if (wait > 0) {
          await this.sleep(Math.ceil(wait));
          continue;
        }
        this.tokens -= 1;
        this.waiting.shift()!.go();
      }
    } finally {
      this.serving = false;
    }
  }

  block(ms: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.now() + ms);
  }
}

/** Seconds to wait when `e` is Slack's 429 (after the poster's own retries were used up), else undefined. */
export function rateLimitedFor(e: unknown): number | undefined {
  const err = e as { code?: string; retryAfter?: number };
  return err?.code === 'slack_webapi_rate_limited_error' ? (err.retryAfter ?? 1) : undefined;
}

export interface PostedMessage {
  channel: string;
  ts: string;
}

export class SlackPoster {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly budgets: Record<PosterMethod, Budget>;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: webApi.WebClient,
    private readonly opts: SlackPosterOptions = {},
  ) {
    this.budgets = { ...DEFAULT_BUDGETS, ...opts.budgets };
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /**
   * Posts a message to a channel (or into a thread); returns where it landed, for later `update`s. `later`: a reply
   * to someone's command, which waits behind the bot's own posts for the channel's budget (approval requests, wave
   * threads, tasks): a user typing commands in a loop cannot hold up what needs on-call.
   */
  async post(channel: string, msg: ChatMessage, opts: { threadTs?: string; later?: boolean } = {}): Promise<PostedMessage> {
    const res = await this.call('chat.postMessage', channel, opts.later ?? false, () =>
      this.client.chat.postMessage({ channel, ...toBlockKit(msg), ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}), unfurl_links: false, unfurl_media: false }),
    );
    return { channel: res.channel ?? channel, ts: res.ts ?? '' };
  }

  /** Replaces a message the bot posted (a wave's live message, a plan whose buttons were used). */
  async update(channel: string, ts: string, msg: ChatMessage): Promise<void> {
    await this.call('chat.update', 'workspace', false, () => this.client.chat.update({ channel, ts, ...toBlockKit(msg) }));
  }

  /** Replaces a message with Block Kit as it came from Slack (a clicked message, its buttons removed). */
  async updateBlockKit(channel: string, ts: string, msg: BlockKitMessage): Promise<void> {
    await this.call('chat.update', 'workspace', false, () => this.client.chat.update({ channel, ts, text: msg.text, blocks: msg.blocks }));
  }

  /**
   * Uploads a text file into a channel or thread with `files.uploadV2`'s three steps (files.getUploadURLExternal,
   * the upload itself, files.completeUploadExternal; scope `files:write`).
   */
  async upload(channel: string, file: { filename: string; title: string; content: string | Buffer; threadTs?: string; comment?: string }): Promise<void> {
    // Text goes as `content`; bytes (the wave's chart image) as `file`.
    const body = typeof file.content === 'string' ? { content: file.content } : { file: file.content };
    await this.call('files.uploadV2', 'workspace', false, () =>
      file.threadTs
        ? this.client.filesUploadV2({ channel_id: channel, thread_ts: file.threadTs, filename: file.filename, title: file.title, ...body, initial_comment: file.comment ?? '' })
        : this.client.filesUploadV2({ channel_id: channel, filename: file.filename, title: file.title, ...body, initial_comment: file.comment ?? '' }),
    );
  }

  /** A message only `user` sees: refusals, usage errors, "already running". */
  async ephemeral(channel: string, user: string, msg: ChatMessage, opts: { threadTs?: string } = {}): Promise<void> {
    await this.call('chat.postEphemeral', 'workspace', false, () =>
      this.client.chat.postEphemeral({ channel, user, ...toBlockKit(msg), ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}) }),
    );
  }

  private bucket(method: PosterMethod, key: string): TokenBucket {
    const id = `${method}:${key}`;
    let b = this.buckets.get(id);
    if (!b) {
      b = new TokenBucket(this.budgets[method], this.now, this.sleep);
      this.buckets.set(id, b);
    }
    return b;
  }

  private async call<T>(method: PosterMethod, key: string, later: boolean, fn: () => Promise<T>): Promise<T> {
    const bucket = this.bucket(method, key);
    const max = this.opts.maxRateLimitRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      await bucket.take(later);
      try {
        const out = await fn();
        this.opts.onCall?.(method, false);
        return out;
      } catch (e) {
        const retryAfter = rateLimitedFor(e);
        this.opts.onCall?.(method, retryAfter !== undefined);
        if (retryAfter === undefined || attempt >= max) throw e;
        this.opts.logger?.warn({ method, retryAfter, attempt: attempt + 1 }, 'slack rate limited; waiting Retry-After');
        bucket.block(retryAfter * 1000);
      }
    }
  }
}
