/**
 * The istio Manifests of a wave's runtimes on KCP, watched with ONE stream for the whole wave instead of one watch
 * per runtime: a paged LIST of the Manifests in `kcp-system` once, then a WATCH from its resourceVersion, resumed
 * from the last one seen after each clean end and re-listed after a 410. Only the wave's Manifests are kept, and of
 * them only what the decision reads (state, last operation).
 *
 * A runtime subscribes while it waits (`ManifestSource`, migration/wait.ts): it is told the Manifest's state at once
 * (when it exists) and at every change — what its own watch from resourceVersion 0 would have told it. When the
 * stream cannot be re-established (three failures in a row), every subscriber is told it is lost and watches its
 * Manifest itself, and new ones get no subscription; the next successful watch makes the stream usable again.
 */
import { RemoteError } from '../clients/errors.js';
import type { KubeClient, KubeObject, WatchEvent, WatchHandle } from '../clients/kube-client.js';
import { sleep } from '../clients/retry.js';
import { collectionPath, KCP_SYSTEM, MANIFESTS } from '../migration/resources.js';
import type { ManifestSource } from '../migration/wait.js';

type Listener = { on: (type: 'MODIFIED' | 'DELETED', obj: KubeObject) => void; lost: () => void };

const PAGE = 500;

/** What the decision reads of a Manifest, nothing more (a Manifest carries the module's whole resource). */
function slim(o: KubeObject): KubeObject {
  const st = (o.status ?? {}) as { state?: string; lastOperation?: { operation?: string } };
  return {
    metadata: { name: o.metadata.name, namespace: o.metadata.namespace, resourceVersion: o.metadata.resourceVersion },
    status: { state: st.state, lastOperation: st.lastOperation?.operation === undefined ? undefined : { operation: st.lastOperation.operation } },
  };
}

export class ManifestWatch implements ManifestSource {
  private readonly states = new Map<string, KubeObject>();
  private readonly listeners = new Map<string, Listener>();
  private rv: string | undefined;
  private usable = false;
  private stopped = false;
  private readonly stopping = new AbortController();
  private handle: WatchHandle | undefined;
  private loop: Promise<void> | undefined;

  /** `names`: the Manifest names of the wave's runtimes. */
  constructor(
    private readonly kcp: KubeClient,
    private readonly names: ReadonlySet<string>,
    private readonly retryMs = 1000,
  ) {}

  /** Lists the Manifests and starts the stream; false (the runtimes watch their own) when the list failed. */
  async start(): Promise<boolean> {
    try {
      await this.relist();
    } catch (e) {
      if (e instanceof RemoteError) return false;
      throw e;
    }
    this.usable = true;
    this.loop = this.run().catch(() => this.setUsable(false)); // stopped (an aborted sleep), or a bug: runtimes watch their own
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.handle?.stop();
    await this.loop;
    this.setUsable(false);
  }

  subscribe(name: string, on: Listener['on'], lost: () => void): (() => void) | undefined {
    if (!this.usable || !this.names.has(name)) return undefined;
    const l = { on, lost };
    this.listeners.set(name, l);
    const now = this.states.get(name);
    if (now) on('MODIFIED', now);
    return () => {
      if (this.listeners.get(name) === l) this.listeners.delete(name);
    };
  }

  private setUsable(usable: boolean): void {
    this.usable = usable;
    if (usable) return;
    const lost = [...this.listeners.values()];
    this.listeners.clear();
    for (const l of lost) l.lost();
  }

  private apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', o: KubeObject): void {
    const name = o.metadata?.name;
    if (!this.names.has(name)) return;
    const l = this.listeners.get(name);
    if (type === 'DELETED') {
      this.states.delete(name);
      l?.on('DELETED', o);
      return;
    }
    const s = slim(o);
    this.states.set(name, s);
    l?.on('MODIFIED', s);
  }

  /** Reads every Manifest page by page; a Manifest gone since the last list is reported deleted. */
  private async relist(): Promise<void> {
    const seen = new Set<string>();
    let cont: string | undefined;
    let rv: string | undefined;
    do {
      const page = await this.kcp.list(MANIFESTS, KCP_SYSTEM, { limit: PAGE, continue: cont });
      rv ??= page.metadata.resourceVersion;
      for (const m of page.items) {
        if (!this.names.has(m.metadata.name)) continue;
        seen.add(m.metadata.name);
        this.apply('MODIFIED', m);
      }
      cont = page.metadata.continue || undefined;
    } while (cont);
    for (const [name, o] of [...this.states]) if (!seen.has(name)) this.apply('DELETED', o);
    this.rv = rv;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let gone = false;
      try {
        if (this.rv === undefined) await this.relist();
        this.handle = await this.kcp.watch(collectionPath(MANIFESTS, KCP_SYSTEM), { allowWatchBookmarks: true, resourceVersion: this.rv }, (e: WatchEvent) => {
          if (e.type === 'ERROR') {
            if (e.object.code === 410) gone = true;
            return;
          }
          if (e.object.metadata?.resourceVersion) this.rv = e.object.metadata.resourceVersion;
          if (e.type !== 'BOOKMARK') this.apply(e.type, e.object);
        });
      } catch (e) {
        if (!(e instanceof RemoteError)) throw e;
        if (++failures >= 3) this.setUsable(false);
        await sleep(Math.min(this.retryMs * failures, 10_000), this.stopping.signal);
        continue;
      }
      if (this.stopped) this.handle.stop();
      if (!this.usable && !this.stopped) this.usable = true; // streaming again: new runtimes may subscribe
      failures = 0;
      const err = await this.handle.done;
      if (gone) this.rv = undefined; // too old: list again
      const clean = !err || (err instanceof DOMException && err.name === 'TimeoutError') || (err as Error).name === 'AbortError';
      if (!clean && !this.stopped) {
        if (++failures >= 3) this.setUsable(false);
        await sleep(Math.min(this.retryMs * failures, 10_000), this.stopping.signal);
      }
    }
  }
}
