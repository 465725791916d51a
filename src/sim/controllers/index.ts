/**
 * Brings a simulated landscape to life: LM and the Istio operator on every materialised SKR, KEB's runtimes
 * API, Gardener's adminkubeconfig, and the seeded faults.
 */
import type { SimServer } from '../http-server.js';
import type { Simulator } from '../simulator.js';
import { DEFAULT_FAULTS, faultInterceptor, type FaultOptions } from './faults.js';
import { adminKubeconfigHandler } from '../apis/gardener-admin-kubeconfig.js';
import { kebRoute } from '../apis/keb.js';
import { DEFAULT_LM_CAPACITY, lmLoad, type LmLoad } from './lm-load.js';
import { SkrControllers } from './skr.js';
import { clusterTimings, DEFAULT_TIMINGS, scaleTimings, type Timings } from './timings.js';

export interface BehaviourOptions {
  timeScale: number;
  timings?: Partial<Timings>;
  faults?: Partial<FaultOptions>;
  /** LM's capacity per environment (its workers: steps at once before they wait in line; lm-load.ts). */
  lmCapacity?: Partial<Record<string, number>>;
}

export interface Behaviour {
  timings: Timings;
  /** LM's load per environment (Manifests being processed, steps waiting for a worker). */
  lm: Record<string, LmLoad>;
  /** Stops every controller timer (tests and shutdown). */
  stop(): void;
}

export function installBehaviour(sim: Simulator, server: SimServer, opts: BehaviourOptions): Behaviour {
  const timings = scaleTimings({ ...DEFAULT_TIMINGS, ...opts.timings }, opts.timeScale);
  const skrs = new Map<string, SkrControllers>();
  const unsubscribe: (() => void)[] = [];
  const lm: Record<string, LmLoad> = {};
  const loadOf = (env: string) => (lm[env] ??= lmLoad(opts.lmCapacity?.[env] ?? DEFAULT_LM_CAPACITY[env] ?? 400));
  sim.addHooks({
    apiOptions: (role) => (role === 'gardener' ? { subresources: { 'shoots/adminkubeconfig': adminKubeconfigHandler(sim) } } : {}),
    onCluster: (cluster) => {
      if (cluster.role === 'skr') skrs.set(cluster.id, new SkrControllers(sim, cluster, clusterTimings(timings, cluster.runtime!.runtimeId), loadOf(cluster.env)));
      // LM reads skip-reconciliation on the KCP Kyma `kcp-system/<runtime-id>`: route its changes to that runtime.
      if (cluster.role === 'kcp') {
        unsubscribe.push(
          cluster.store.subscribe((e) => {
            if (e.resource.kind === 'Kyma' && e.object.metadata.namespace === 'kcp-system') skrs.get(e.object.metadata.name ?? '')?.onKcpKyma(e);
          }),
        );
      }
    },
  });
  server.addRoute('keb', kebRoute(sim));
  server.addInterceptor(faultInterceptor(sim, { ...DEFAULT_FAULTS, ...opts.faults }, opts.timeScale));
  return {
    timings,
    lm,
    stop: () => {
      for (const s of skrs.values()) s.stop();
      for (const off of unsubscribe) off();
    },
  };
}
