/**
 * The wave's SKR kubeconfigs, read from KCP in batches: one LIST of `kcp-system` secrets selected by
 * `kyma-project.io/runtime-id in (…)` for the runtime about to start and the next ones in line, instead of one GET of
 * `kubeconfig-<runtime-id>` each. A kubeconfig is handed out once and only while fresh; anything the batch did not
 * bring (no such label, no secret, a failed list, a stale entry) answers undefined and that runtime reads its own
 * secret as before, with the same messages. Kubeconfigs stay in memory only, at most two batches of them.
 */
import { RemoteError } from '../clients/errors.js';
import { KubeClient, RequestCounter, type Throttle } from '../clients/kube-client.js';
import { KCP_SYSTEM, RUNTIME_ID_LABEL } from '../migration/resources.js';

/** A valid label value, which is also safe inside the selector's `in (…)`. */
const LABEL_VALUE = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

interface Entry {
  kubeconfig: string;
  at: number;
}

export class KubeconfigBatch {
  private readonly ready = new Map<string, Entry>();
  private readonly reading = new Map<string, Promise<void>>();
  /** Runtimes taken off the pending list, about to ask (in order). */
  private readonly expected = new Set<string>();

  /**
   * `upcoming`: the runtime ids expected to start next, in order (the wave's pending list). `maxAgeMs`: a kubeconfig
   * read longer ago is not handed out (a paused wave reads it again when it resumes).
   */
  constructor(
    private readonly kcp: KubeClient,
    private readonly upcoming: () => Iterable<string>,
    private readonly size = 100,
    private readonly maxAgeMs = 60_000,
  ) {}

  /** The runtime is about to start (taken off the pending list): read its kubeconfig with the next batch. */
  expect(runtimeId: string): void {
    this.expected.add(runtimeId);
  }

  /** The runtime's kubeconfig from its `kubeconfig-<runtime-id>` secret, or undefined (then it reads its own). */
  async take(runtimeId: string): Promise<string | undefined> {
    this.expected.delete(runtimeId);
    if (!LABEL_VALUE.test(runtimeId)) return undefined;
    if (!this.ready.has(runtimeId) && !this.reading.has(runtimeId)) this.read(runtimeId);
    await this.reading.get(runtimeId);
    const e = this.ready.get(runtimeId);
    this.ready.delete(runtimeId);
    return e && Date.now() - e.at < this.maxAgeMs ? e.kubeconfig : undefined;
  }

  private read(first: string): void {
    const ids = [first];
    for (const id of this.next()) {
      if (ids.length >= this.size) break;
      if (id !== first && LABEL_VALUE.test(id) && !this.ready.has(id) && !this.reading.has(id)) ids.push(id);
    }
    const done = this.list(ids).finally(() => {
      for (const id of ids) this.reading.delete(id);
    });
    for (const id of ids) this.reading.set(id, done);
  }

  private *next(): Iterable<string> {
    yield* this.expected;
    yield* this.upcoming();
  }

  private async list(ids: string[]): Promise<void> {
    let secrets;
    try {
      secrets = await this.kcp.listSecrets(KCP_SYSTEM, { labelSelector: `${RUNTIME_ID_LABEL} in (${ids.join(',')})` });
    } catch (e) {
      if (e instanceof RemoteError) return; // each runtime reads its own secret
      throw e;
    }
    const wanted = new Set(ids);
    const at = Date.now();
    for (const s of secrets) {
      const id = s.metadata?.labels?.[RUNTIME_ID_LABEL];
      const data = s.data?.config;
      // Only the secret the runtime would read itself: `kubeconfig-<runtime-id>`, key `config`.
      if (!id || !wanted.has(id) || s.metadata?.name !== `kubeconfig-${id}` || !data) continue;
      this.ready.set(id, { kubeconfig: Buffer.from(data, 'base64').toString('utf8'), at });
    }
  }
}

/**
 * A KCP client for the wave's own reads; undefined when the kubeconfig is not usable (each runtime then reports it).
 * `signal`: the wave's stop — its retries end there instead of backing off for seconds after a stop.
 */
export function kcpClient(kubeconfig: string, throttle?: Throttle, signal?: AbortSignal): KubeClient | undefined {
  try {
    return new KubeClient(kubeconfig, { system: 'kcp', counter: new RequestCounter(), throttle, signal });
  } catch {
    return undefined;
  }
}
