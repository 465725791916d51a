/**
 * src/migration/wait.ts waitForDecision: a Manifest (or the Kyma's module status) in Error reported before a CR in
 * kyma-system changed its state is outdated until LM's next word or a grace period — counted from the latest change,
 * not the first. Driven through a stand-in SKR client whose watches the test feeds (time is real but short).
 */
import { describe, expect, it } from '@jest/globals';
import type { KubeClient, KubeObject, WatchEvent } from '../../../src/clients/kube-client.js';
import { waitForDecision } from '../../../src/migration/wait.js';

const istio = (state: string, rv: string): KubeObject => ({ apiVersion: 'operator.kyma-project.io/v1alpha2', kind: 'Istio', metadata: { name: 'default', namespace: 'kyma-system', creationTimestamp: '2026-01-01T00:00:00Z', resourceVersion: rv }, status: { state } });
const kyma = (state: string, rv: string): KubeObject => ({ apiVersion: 'operator.kyma-project.io/v1beta2', kind: 'Kyma', metadata: { name: 'default', namespace: 'kyma-system', resourceVersion: rv }, status: { modules: [{ name: 'istio', state }] } });

describe('src/migration/wait: an outdated Error of LM', () => {
  it('waits out the grace after the latest CR change, then takes LM\'s next word', async () => {
    let current = istio('Error', '1');
    const feeds: Record<string, (e: WatchEvent) => void> = {};
    const skr = {
      list: () => Promise.resolve({ items: [current], metadata: { resourceVersion: '1' } }),
      watch: (path: string, _p: unknown, cb: (e: WatchEvent) => void) => {
        feeds[path.includes('istios') ? 'istio' : 'kyma'] = cb;
        let stop!: () => void;
        const done = new Promise((r) => (stop = () => r(null)));
        return Promise.resolve({ done, stop });
      },
    } as unknown as KubeClient;
    const at = (ms: number, f: () => void) => setTimeout(f, ms);
    // LM says Error (mirroring the CR); the CR recovers in two steps; LM says Ready within the grace of the last.
    at(10, () => feeds.kyma({ type: 'MODIFIED', object: kyma('Error', '2') }));
    at(100, () => feeds.istio({ type: 'MODIFIED', object: (current = istio('Processing', '3')) }));
    at(1050, () => feeds.istio({ type: 'MODIFIED', object: (current = istio('Ready', '4')) }));
    at(1500, () => feeds.kyma?.({ type: 'MODIFIED', object: kyma('Ready', '5') }));
    const r = await waitForDecision({
      skr,
      manifestName: '',
      kymaName: 'default',
      istioResourceVersion: '1',
      initialCrs: [{ name: 'default', namespace: 'kyma-system', createdAt: '2026-01-01T00:00:00Z', state: 'Error', description: null, reason: null }],
      staleGraceMs: 1000,
      deadlineMs: 5000,
      pollIntervalMs: 100,
      record: () => undefined,
    });
    expect(r.decision).toEqual({ outcome: 'migrated' });
  });
});
