/**
 * Posts paced per channel (chat.postMessage allows ~1 per second per channel): one queue per channel, at most one
 * post in flight and one post per `intervalMs` in each. A 429 that outlasts the poster's own Retry-After retries
 * puts the item back at the front and the channel waits the Retry-After; any other error is logged and the item
 * dropped. The wave reporter's scheduler calls `launchDue()` on every tick.
 */
import { rateLimitedFor } from './poster.js';

export class ChannelQueues<T extends { kind: string }> {
  private readonly queues = new Map<string, T[]>();
  private readonly nextPostAt = new Map<string, number>();
  private readonly posting = new Set<string>();

  constructor(
    private readonly o: {
      intervalMs: number;
      post(channel: string, item: T): Promise<void>;
      warn(obj: object, msg: string): void;
    },
  ) {}

  /** Queues an item for a channel; `front`: before everything already queued there. */
  enqueue(channel: string, item: T, front = false): void {
    const q = this.queues.get(channel) ?? [];
    if (front) q.unshift(item);
    else q.push(item);
    this.queues.set(channel, q);
  }

  /** Nothing queued and nothing in flight. */
  empty(): boolean {
    return ![...this.queues.values()].some((q) => q.length) && !this.posting.size;
  }

  /** Starts the next post of every channel whose turn it is. */
  launchDue(now = Date.now()): void {
    for (const channel of this.queues.keys()) {
      if (!this.posting.has(channel) && now >= (this.nextPostAt.get(channel) ?? 0)) this.launch(channel);
    }
  }

  private launch(channel: string): void {
    const q = this.queues.get(channel);
    const item = q?.shift();
    if (!q || !item) {
      this.queues.delete(channel);
      return;
    }
    this.posting.add(channel);
    this.nextPostAt.set(channel, Date.now() + this.o.intervalMs);
    void (async () => {
      try {
        await this.o.post(channel, item);
      } catch (err) {
        const retryAfter = rateLimitedFor(err);
        if (retryAfter === undefined) throw err;
        q.unshift(item);
        this.nextPostAt.set(channel, Date.now() + retryAfter * 1000);
      }
    })()
      .catch((err: unknown) => this.o.warn({ channel, item: item.kind, err: (err as Error).message }, 'slack reporter: posting failed'))
      .finally(() => {
        this.posting.delete(channel);
        if (!q.length && this.queues.get(channel) === q) this.queues.delete(channel);
      });
  }
}
