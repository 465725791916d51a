/**
 * What the controllers of one SKR share: the cluster, its runtime, its KCP, the objects they all read, and the
 * timers. Every reaction is scheduled with a delay and never runs inside a store event, so controllers see the
 * same interleavings a client would; a conflict with a client write is retried, as real controllers requeue.
 */
import { ISTIO_FQDN, KYMA_SYSTEM, OPERATOR_DEPLOYMENT, SKR_KYMA_NAME } from '../../migration/resources.js';
import { ApiError } from '../k8s/errors.js';
import { DEPLOYMENT, ISTIO, KYMA, TEMPLATE } from '../k8s/resources.js';
import type { Cluster, Simulator } from '../simulator.js';
import type { K8sObject, RuntimeSpec } from '../types.js';
import type { Timings } from './timings.js';

export type State = 'Processing' | 'Ready' | 'Error' | 'Warning' | 'Deleting';

export interface Status {
  state?: State;
  description?: string;
  conditions?: { type: string; status: string; reason: string; message: string; lastTransitionTime: string }[];
  [k: string]: unknown;
}

export function statusOf(o: K8sObject | undefined): Status {
  return (o?.status ?? {}) as Status;
}

export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class SkrContext {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  readonly runtime: RuntimeSpec;
  readonly runtimeId: string;

  constructor(
    readonly sim: Simulator,
    readonly skr: Cluster,
    readonly t: Timings,
  ) {
    this.runtime = skr.runtime!;
    this.runtimeId = this.runtime.runtimeId;
  }

  get scenario(): string {
    return this.runtime.scenario;
  }

  kcp(): Cluster {
    return this.sim.cluster(`${this.skr.env}-kcp`)!;
  }

  /** Runs `fn` after `ms`, outside the current store event. */
  after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.guard(fn);
    }, ms);
    this.timers.add(timer);
  }

  /** Like after(), but while a call for the same key is pending, later ones are absorbed (debounce). */
  debounce(key: string, ms: number, fn: () => void): void {
    if (this.pending.has(key)) return; // already scheduled; it will read the newest state when it runs
    const timer = setTimeout(() => {
      this.pending.delete(key);
      this.guard(fn);
    }, ms);
    this.pending.set(key, timer);
  }

  /** Controllers retry on a conflict with a client write, as real controllers requeue. */
  guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (e instanceof ApiError && (e.code === 409 || e.code === 404)) {
        this.after(10, fn);
        return;
      }
      throw e;
    }
  }

  /** Clears every timer. */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    for (const t of this.pending.values()) clearTimeout(t);
  }

  /** The SKR Kyma LM reads: `kyma-system/default`. */
  kyma(): K8sObject | undefined {
    return this.skr.store.get(KYMA, KYMA_SYSTEM, SKR_KYMA_NAME);
  }

  kymaHasIstio(): boolean {
    return !!this.istioEntry();
  }

  /**
   * The SKR Kyma's `spec.modules` entry LM resolves to the istio module: by its name `istio`, its FQDN, or the name
   * (or namespace/name) of an Istio ModuleTemplate on KCP (DOMAIN.md §6.1).
   */
  istioEntry(): { name: string; channel?: string; customResourcePolicy?: string } | undefined {
    const modules = (this.kyma()?.spec as { modules?: { name?: string }[] | null } | undefined)?.modules;
    if (!Array.isArray(modules)) return undefined;
    const refs = new Set(['istio', ISTIO_FQDN]);
    if (modules.some((m) => m?.name && !refs.has(m.name))) {
      for (const t of this.kcp().store.list(TEMPLATE)) {
        if ((t.spec as { data?: { kind?: string } } | undefined)?.data?.kind !== 'Istio') continue;
        if (t.metadata.name) refs.add(t.metadata.name);
        if (t.metadata.namespace) refs.add(`${t.metadata.namespace}/${t.metadata.name}`);
      }
    }
    return modules.find((m): m is { name: string } => typeof m?.name === 'string' && refs.has(m.name));
  }

  istios(): K8sObject[] {
    return this.skr.store.list(ISTIO);
  }

  deployment(): K8sObject | undefined {
    return this.skr.store.get(DEPLOYMENT, KYMA_SYSTEM, OPERATOR_DEPLOYMENT);
  }

  /** The operator runs: its Deployment wants replicas and has ready ones. */
  operatorActive(): boolean {
    const d = this.deployment();
    const spec = (d?.spec ?? {}) as { replicas?: number };
    const status = (d?.status ?? {}) as { readyReplicas?: number };
    return !!d && (spec.replicas ?? 1) > 0 && (status.readyReplicas ?? 0) > 0;
  }
}
