import { describe, expect, it } from '@jest/globals';
import type { KubeClient, KubeObject, WatchHandle } from '../../../src/clients/kube-client.js';
import { waitForDecision, type ManifestSource } from '../../../src/migration/wait.js';

/**
 * The wave's shared Manifest stream is open before a runtime's own Istio watch has told anything: LM's Manifest
 * mirrors the Istio CR, so its Error can be seen first. The runtime must still blame the Istio CR when that is what
 * failed, and the Manifest only when the CR is not in Error.
 */
function clients(istioState: string) {
  const istio: KubeObject = { metadata: { name: 'default', namespace: 'kyma-system' }, status: { state: istioState, description: 'istiod failed' } };
  let lists = 0;
  // Connected, but nothing arrives before the Manifest's Error; stop() ends it as a real watch does.
  const watch = (): Promise<WatchHandle> => {
    let end!: (v: unknown) => void;
    const done = new Promise((resolve) => (end = resolve));
    return Promise.resolve({ done, stop: () => end(null) });
  };
  const skr = {
    list: () => {
      lists++;
      return Promise.resolve({ items: [istio], metadata: {} });
    },
    watch,
  } as unknown as KubeClient;
  const kcp = { get: () => Promise.resolve(undefined) } as unknown as KubeClient;
  const manifests: ManifestSource = {
    subscribe: (_name, on) => {
      queueMicrotask(() => on('MODIFIED', { metadata: { name: 'm' }, status: { state: 'Error', lastOperation: { operation: 'module CR in Error' } } }));
      return () => undefined;
    },
  };
  return { skr, kcp, manifests, lists: () => lists };
}

const wait = (c: ReturnType<typeof clients>) =>
  waitForDecision({
    skr: c.skr,
    kcp: c.kcp,
    manifests: c.manifests,
    manifestName: 'm',
    kymaName: 'default',
    initialCrs: [{ name: 'default', namespace: 'kyma-system', createdAt: null, state: 'Processing', description: null, reason: null }],
    deadlineMs: 60_000,
    pollIntervalMs: 1_000,
    record: () => undefined,
  });

describe('src/migration/wait.ts — the Manifest\'s Error seen before the Istio CR\'s', () => {
  it('reads the Istio CRs once and blames the Istio CR when it is in Error', async () => {
    const c = clients('Error');
    const r = await wait(c);
    expect(r.decision).toEqual(expect.objectContaining({ outcome: 'error', reason: 'istio-error' }));
    expect(c.lists()).toBe(1);
  });

  it('blames the Manifest when the Istio CR is not in Error', async () => {
    const c = clients('Processing');
    const r = await wait(c);
    expect(r.decision).toEqual(expect.objectContaining({ outcome: 'error', reason: 'manifest-error' }));
    expect(c.lists()).toBe(1);
  });
});
