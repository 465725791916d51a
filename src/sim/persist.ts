/**
 * Keeps a simulated landscape across processes (the embedded default of `npm start` and the shell commands): each
 * touched cluster's objects in `DIR/clusters/<clusterId>.json`, and what the landscape is in `DIR/landscape.json`
 * (its instance id, seed, profile, size and reference time). The next process with the same options starts from
 * there, so a wave's migrated runtimes still have their Manifests when `verify` runs in another process.
 *
 * A client's write is on disk before its response is sent (as etcd does); the controllers' writes follow within
 * a quarter of a second and on close. Controllers' timers are not kept: a restored SKR re-derives its unfinished
 * work from its objects (SkrBehaviour.resync).
 *
 * Limitations: one process at a time per directory (the last writer of a cluster file wins); watch history is not
 * kept (a watch from before a restart answers 410 Gone, and clients relist).
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Cluster, ClusterSnapshot, Simulator, SimulatorOptions } from './simulator.js';

/** What the stored landscape is: the same options give the same landscape, and `instance` names this copy of it. */
export interface LandscapeMeta {
  version: 1;
  instance: string;
  seed: number;
  profile: string;
  runtimes: number;
  referenceTime: number;
  createdAt: string;
}

export interface LoadedState {
  meta: LandscapeMeta;
  restore: Map<string, ClusterSnapshot>;
  /** Whether the directory held this landscape already (false: a new one was started). */
  restored: boolean;
}

const DEBOUNCE_MS = 250;

/** Written 0600: the clusters' state holds the SKRs' kubeconfig Secrets (bearer tokens), like the kubeconfig files. */
function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600); // a leftover tmp file of another mode keeps its mode on writeFileSync
  renameSync(tmp, file);
}

/**
 * Reads the stored landscape of `dir` when its options match; otherwise (none, or another seed, profile or size)
 * starts a new one there, dropping the old clusters.
 */
export function loadSimState(dir: string, opts: Pick<SimulatorOptions, 'seed' | 'profile' | 'runtimes'>): LoadedState {
  const metaFile = path.join(dir, 'landscape.json');
  const clustersDir = path.join(dir, 'clusters');
  let meta: LandscapeMeta | undefined;
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8')) as LandscapeMeta;
  } catch {
    meta = undefined;
  }
  if (meta && meta.version === 1 && meta.seed === opts.seed && meta.profile === opts.profile && meta.runtimes === opts.runtimes) {
    const restore = new Map<string, ClusterSnapshot>();
    let files: string[];
    try {
      files = readdirSync(clustersDir).filter((f) => f.endsWith('.json'));
    } catch {
      files = [];
    }
    for (const f of files) restore.set(f.slice(0, -'.json'.length), JSON.parse(readFileSync(path.join(clustersDir, f), 'utf8')) as ClusterSnapshot);
    return { meta, restore, restored: true };
  }
  rmSync(clustersDir, { recursive: true, force: true });
  mkdirSync(clustersDir, { recursive: true });
  const fresh: LandscapeMeta = {
    version: 1,
    instance: randomUUID(),
    seed: opts.seed,
    profile: opts.profile,
    runtimes: opts.runtimes,
    referenceTime: Math.floor(Date.now() / 1000) * 1000,
    createdAt: new Date().toISOString(),
  };
  writeAtomically(metaFile, `${JSON.stringify(fresh, null, 2)}\n`);
  return { meta: fresh, restore: new Map(), restored: false };
}

/** Saves every cluster of `sim` to `dir` as it changes. `flush` writes what is pending; `stop` flushes and detaches. */
export function persistSim(sim: Simulator, dir: string): { flush(): void; stop(): void } {
  const clustersDir = path.join(dir, 'clusters');
  mkdirSync(clustersDir, { recursive: true });
  const dirty = new Map<string, Cluster>();
  const unsubscribe: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const save = (c: Cluster) => {
    dirty.delete(c.id);
    writeAtomically(path.join(clustersDir, `${c.id}.json`), JSON.stringify(c.store.snapshot()));
  };
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    for (const c of [...dirty.values()]) save(c);
  };
  const watch = (c: Cluster) => {
    unsubscribe.push(
      c.store.subscribe(() => {
        if (stopped) return;
        dirty.set(c.id, c);
        timer ??= setTimeout(flush, DEBOUNCE_MS);
        timer.unref?.();
      }),
    );
  };
  sim.addHooks({
    onCluster: (c) => {
      watch(c);
      // A cluster touched for the first time is stored at once: it exists from now on.
      if (!c.restored) dirty.set(c.id, c);
    },
    onClientWrite: (c) => {
      if (!stopped) save(c);
    },
  });
  for (const c of sim.materialised()) watch(c);
  return {
    flush,
    stop: () => {
      flush();
      stopped = true;
      for (const u of unsubscribe) u();
    },
  };
}
