/**
 * One stream of a KCP collection for a whole wave (the istio Manifests, the skip-reconciliation Kymas): a paged LIST,
 * then a WATCH from its resourceVersion, resumed from the last one seen after each clean end and re-listed after a
 * 410. Three failures in a row make the stream unusable until a watch is established again; the sink is told both.
 * With a label selector, an object whose labels stop matching arrives as DELETED, as the API server sends it.
 */
import { RemoteError } from '../clients/errors.js';
import type { CrRef, KubeClient, KubeObject, WatchEvent, WatchHandle } from '../clients/kube-client.js';
import { sleep } from '../clients/retry.js';
import { collectionPath } from '../migration/resources.js';

const PAGE = 500;

/** What the stream tells its owner. */
export interface CollectionSink {
  /** A (re)list begins: the objects follow page by page through `listed`, then `relisted`. */
  listed(o: KubeObject): void;
  /** A (re)list is complete: what was not `listed` since it began is gone. */
  relisted(): void;
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', o: KubeObject): void;
  usable(usable: boolean): void;
}

export class CollectionWatch {
  private rv: string | undefined;
  private stopped = false;
  private readonly stopping = new AbortController();
  private handle: WatchHandle | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly kcp: KubeClient,
    private readonly ref: CrRef,
    private readonly namespace: string,
    private readonly sink: CollectionSink,
    private readonly opts: { labelSelector?: string; retryMs?: number } = {},
  ) {}

  /** Lists the collection and starts the stream; false (the sink stays unusable) when the list failed. */
  async start(): Promise<boolean> {
    try {
      await this.relist();
    } catch (e) {
      if (e instanceof RemoteError) return false;
      throw e;
    }
    if (this.stopped) return false;
    this.sink.usable(true);
    this.loop = this.run().catch(() => this.sink.usable(false)); // stopped (an aborted sleep), or a bug
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.handle?.stop();
    await this.loop;
    this.sink.usable(false);
  }

  private async relist(): Promise<void> {
    let cont: string | undefined;
    let rv: string | undefined;
    do {
      const page = await this.kcp.list(this.ref, this.namespace, { limit: PAGE, continue: cont, labelSelector: this.opts.labelSelector });
      rv ??= page.metadata.resourceVersion;
      for (const o of page.items) this.sink.listed(o);
      cont = page.metadata.continue || undefined;
    } while (cont);
    this.sink.relisted();
    this.rv = rv;
  }

  private async backOff(failures: number): Promise<void> {
    if (failures >= 3) this.sink.usable(false);
    await sleep(Math.min((this.opts.retryMs ?? 1000) * failures, 10_000), this.stopping.signal);
  }

  private async run(): Promise<void> {
    let failures = 0;
    let usable = true;
    const path = collectionPath(this.ref, this.namespace);
    while (!this.stopped) {
      let gone = false;
      try {
        if (this.rv === undefined) await this.relist();
        this.handle = await this.kcp.watch(path, { allowWatchBookmarks: true, resourceVersion: this.rv, labelSelector: this.opts.labelSelector }, (e: WatchEvent) => {
          if (e.type === 'ERROR') {
            if (e.object.code === 410) gone = true;
            return;
          }
          if (e.object.metadata?.resourceVersion) this.rv = e.object.metadata.resourceVersion;
          if (e.type !== 'BOOKMARK') this.sink.event(e.type, e.object);
        });
      } catch (e) {
        if (!(e instanceof RemoteError)) throw e;
        if (++failures >= 3) usable = false;
        await this.backOff(failures);
        continue;
      }
      if (this.stopped) this.handle.stop();
      if (!usable && !this.stopped) {
        usable = true; // streaming again
        this.sink.usable(true);
      }
      failures = 0;
      const err = await this.handle.done;
      if (gone) this.rv = undefined; // too old: list again
      const clean = !err || (err instanceof DOMException && err.name === 'TimeoutError') || (err as Error).name === 'AbortError';
      if (!clean && !this.stopped) {
        if (++failures >= 3) usable = false;
        await this.backOff(failures);
      }
    }
  }
}
