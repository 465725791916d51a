/**
 * The simulated landscape as one object: the generated runtimes, one lazily built object store per virtual
 * cluster, tokens, and request statistics (C1 `/sim/stats`). The HTTP front is in http-server.ts.
 *
 * Clusters are materialised on first use: a landscape of 10,000 runtimes is ready at once and costs memory
 * only for the clusters a client has touched. What a cluster holds before it is touched is a pure function of
 * the seed, so laziness is invisible to clients.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ClusterApi, type ClusterApiOptions } from './k8s/api.js';
import type { WriteInfo } from './k8s/writes.js';
import { findResourceByKind, type ResourceType } from './k8s/resources.js';
import { ClusterStore } from './k8s/store.js';
import { generateLandscape, type Landscape } from './landscape/generate.js';
import { gardenerObjects } from './landscape/gardener.js';
import { kcpObjects } from './landscape/kcp.js';
import type { SeedContext } from './landscape/seed.js';
import { skrObjects } from './landscape/skr.js';
import { ENVS, type Env, type K8sObject, type KcpGeneration, type RuntimeSpec } from './types.js';

export type ClusterRole = 'skr' | 'kcp' | 'gardener';

export interface Cluster {
  id: string;
  env: Env;
  role: ClusterRole;
  runtime?: RuntimeSpec;
  store: ClusterStore;
  api: ClusterApi;
  /** Its objects came back from a stored snapshot (persist.ts): controllers pick up unfinished work. */
  restored?: boolean;
}

/** One cluster's stored objects (ClusterStore.snapshot). */
export interface ClusterSnapshot {
  rv: number;
  objects: K8sObject[];
}

export interface SimulatorOptions {
  seed: number;
  profile: string;
  runtimes: number;
  timeScale: number;
  /** The time seeded timestamps are relative to (default: now); a restored landscape keeps its own. */
  referenceTime?: number;
  /** Clusters as a previous process left them (persist.ts): used instead of the seeded objects. */
  restore?: Map<string, ClusterSnapshot>;
  /** Which Lifecycle Manager generation the KCPs run (C1 `--kcp`); default `2023`. */
  kcp?: KcpGeneration;
}

export interface SimStats {
  requests: number;
  byCluster: Record<string, number>;
  kymaWrites: Record<string, number>;
  /**
   * Controller passes per runtime (added to C1's fields): `lm` counts the simulated Lifecycle Manager's passes
   * over the runtime (each reconcile of its Kyma, skipped ones included, and each state mirror while it tracks
   * the module); `operator` each Istio operator reconcile, including those that do nothing because the operator
   * is scaled to 0. Tests wait on these to show that a controller looked and left things as they were.
   */
  reconciles: Record<string, { lm: number; operator: number }>;
}

/** Hooks for behaviour that lives outside the generic API layer (controllers, Gardener subresources). */
export interface ClusterHooks {
  /** Called once when a cluster is materialised, after its objects are seeded. */
  onCluster?: (cluster: Cluster) => void;
  apiOptions?: (role: ClusterRole) => Omit<ClusterApiOptions, 'onWrite'>;
  /** Called after a client's (HTTP) write to a cluster was stored, before the response is sent. */
  onClientWrite?: (cluster: Cluster) => void;
}

/** Deterministic per-runtime seeded UUIDs for objects created by the seeding code without a uid. */
function seededUid(seed: number, clusterId: string): () => string {
  let n = 0;
  return () => {
    const h = createHash('sha256').update(`${seed}:${clusterId}:${n++}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
}

export class Simulator {
  readonly landscape: Landscape;
  readonly runtimesById = new Map<string, RuntimeSpec>();
  private readonly clusters = new Map<string, Cluster>();
  private readonly hooks: ClusterHooks[] = [];
  private baseUrl = 'http://127.0.0.1:0';
  readonly referenceTime: number;
  private stats: SimStats = { requests: 0, byCluster: {}, kymaWrites: {}, reconciles: {} };

  constructor(readonly options: SimulatorOptions) {
    this.landscape = generateLandscape({ seed: options.seed, profile: options.profile, runtimes: options.runtimes });
    for (const rt of this.landscape.runtimes) this.runtimesById.set(rt.runtimeId, rt);
    this.referenceTime = options.referenceTime ?? Math.floor(Date.now() / 1000) * 1000;
  }

  /** Set once the HTTP server listens: kubeconfigs inside the simulated clusters point at it. */
  setBaseUrl(url: string): void {
    this.baseUrl = url;
  }

  get url(): string {
    return this.baseUrl;
  }

  addHooks(h: ClusterHooks): void {
    this.hooks.push(h);
  }

  /** The bearer token a cluster (or `keb-<env>`) accepts. Derived from the seed so runs are reproducible. */
  tokenFor(clusterId: string): string {
    return createHash('sha256').update(`istio-migrate-sim:${this.options.seed}:${clusterId}`).digest('hex').slice(0, 40);
  }

  get kcpGeneration(): KcpGeneration {
    return this.options.kcp ?? '2023';
  }

  seedContext(): SeedContext {
    return { baseUrl: this.baseUrl, tokenFor: (id) => this.tokenFor(id), referenceTime: this.referenceTime, kcp: this.kcpGeneration };
  }

  runtimesOf(env: Env): RuntimeSpec[] {
    return this.landscape.runtimes.filter((r) => r.env === env);
  }

  /** Every cluster id the landscape has (materialised or not). */
  clusterIds(): string[] {
    return [...ENVS.flatMap((e) => [`${e}-kcp`, `${e}-gardener`]), ...this.landscape.runtimes.map((r) => r.runtimeId)];
  }

  /** Resolves a cluster id to its role; undefined when no such cluster exists. */
  describe(clusterId: string): { env: Env; role: ClusterRole; runtime?: RuntimeSpec } | undefined {
    const m = /^(dev|stage|prod)-(kcp|gardener)$/.exec(clusterId);
    if (m) return { env: m[1] as Env, role: m[2] as ClusterRole };
    const rt = this.runtimesById.get(clusterId);
    return rt ? { env: rt.env, role: 'skr', runtime: rt } : undefined;
  }

  /** The cluster, materialised on first use; undefined when the id is unknown. */
  cluster(clusterId: string): Cluster | undefined {
    const existing = this.clusters.get(clusterId);
    if (existing) return existing;
    const d = this.describe(clusterId);
    if (!d) return undefined;
    const stored = this.options.restore?.get(clusterId);
    // A restored cluster's uids come at random: the seeded sequence would repeat uids handed out before.
    const store = new ClusterStore(clusterId, stored ? randomUUID : seededUid(this.options.seed, clusterId));
    if (stored) {
      // Secrets hold kubeconfigs with this process's server URL (its port changes per start): those come fresh.
      const fresh = new Map(this.seedObjects(d).filter((o) => o.kind === 'Secret').map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
      const objects = stored.objects.map((o) => {
        const f = o.kind === 'Secret' ? fresh.get(`${o.metadata.namespace}/${o.metadata.name}`) : undefined;
        return f ? { ...o, data: f.data } : o;
      });
      store.restore({ rv: stored.rv, objects }, (o) => findResourceByKind(o.apiVersion, o.kind));
    } else this.seedStore(store, d);
    const extra = Object.assign({}, ...this.hooks.map((h) => h.apiOptions?.(d.role) ?? {})) as Omit<ClusterApiOptions, 'onWrite'>;
    // ModuleReleaseMeta exists only where today's LM runs (its CRD on KCP, synced to the SKRs).
    const serves = this.kcpGeneration === '2023' ? (t: ResourceType) => t.kind !== 'ModuleReleaseMeta' : undefined;
    const api = new ClusterApi(store, { ...extra, serves, onWrite: (w) => this.recordWrite(clusterId, d.role, w) });
    const cluster: Cluster = { id: clusterId, env: d.env, role: d.role, runtime: d.runtime, store, api, ...(stored ? { restored: true } : {}) };
    this.clusters.set(clusterId, cluster);
    for (const h of this.hooks) h.onCluster?.(cluster);
    return cluster;
  }

  private seedObjects(d: { env: Env; role: ClusterRole; runtime?: RuntimeSpec }): K8sObject[] {
    const ctx = this.seedContext();
    return d.role === 'skr' ? skrObjects(d.runtime!, ctx) : d.role === 'kcp' ? kcpObjects(d.env, this.runtimesOf(d.env), ctx) : gardenerObjects(d.env, this.runtimesOf(d.env), ctx);
  }

  private seedStore(store: ClusterStore, d: { env: Env; role: ClusterRole; runtime?: RuntimeSpec }): void {
    const objects = this.seedObjects(d);
    // Namespaces first, so namespaced objects always have theirs.
    for (const obj of [...objects].sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'))) {
      const t = findResourceByKind(obj.apiVersion, obj.kind);
      if (!t) throw new Error(`seeded object of unknown type ${obj.apiVersion}/${obj.kind}`);
      store.seed(t, obj);
    }
  }

  /** Clusters materialised so far. */
  materialised(): Cluster[] {
    return [...this.clusters.values()];
  }

  countRequest(key: string): void {
    this.stats.requests++;
    this.stats.byCluster[key] = (this.stats.byCluster[key] ?? 0) + 1;
  }

  private recordWrite(clusterId: string, role: ClusterRole, w: WriteInfo): void {
    const cluster = this.clusters.get(clusterId);
    if (cluster) for (const h of this.hooks) h.onClientWrite?.(cluster);
    // C1: kymaWrites counts clients' create/update/patch of an SKR's Kyma, never its status.
    if (role !== 'skr' || w.resource.kind !== 'Kyma' || w.subresource === 'status' || w.verb === 'delete') return;
    this.stats.kymaWrites[clusterId] = (this.stats.kymaWrites[clusterId] ?? 0) + 1;
  }

  /** A controller pass over a runtime (controllers/lifecycle-manager.ts, istio-operator.ts), for `reconciles`. */
  recordReconcile(runtimeId: string, controller: 'lm' | 'operator'): void {
    const r = (this.stats.reconciles[runtimeId] ??= { lm: 0, operator: 0 });
    r[controller]++;
  }

  getStats(): SimStats {
    return structuredClone(this.stats);
  }

  resetStats(): void {
    this.stats = { requests: 0, byCluster: {}, kymaWrites: {}, reconciles: {} };
  }
}
