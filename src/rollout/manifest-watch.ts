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
import type { KubeClient, KubeObject } from '../clients/kube-client.js';
import { KCP_SYSTEM, MANIFESTS } from '../migration/resources.js';
import type { ManifestSource } from '../migration/wait.js';
import { CollectionWatch } from './collection-watch.js';

type Listener = { on: (type: 'MODIFIED' | 'DELETED', obj: KubeObject) => void; lost: () => void };

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
  private usable = false;
  /** The wave's Manifests seen by the list in progress. */
  private seen = new Set<string>();
  private readonly stream: CollectionWatch;

  /** `names`: the Manifest names of the wave's runtimes. */
  constructor(
    kcp: KubeClient,
    private readonly names: ReadonlySet<string>,
    retryMs = 1000,
  ) {
    this.stream = new CollectionWatch(
      kcp,
      MANIFESTS,
      KCP_SYSTEM,
      {
        listed: (o) => {
          if (!this.names.has(o.metadata.name)) return;
          this.seen.add(o.metadata.name);
          this.apply('MODIFIED', o);
        },
        relisted: () => {
          for (const [name, o] of [...this.states]) if (!this.seen.has(name)) this.apply('DELETED', o); // gone since the last list
          this.seen = new Set();
        },
        event: (type, o) => this.apply(type, o),
        usable: (u) => this.setUsable(u),
      },
      { retryMs },
    );
  }

  /** Lists the Manifests and starts the stream; false (the runtimes watch their own) when the list failed. */
  start(): Promise<boolean> {
    return this.stream.start();
  }

  stop(): Promise<void> {
    return this.stream.stop();
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
}
