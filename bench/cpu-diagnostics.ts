/**
 * Where a wave's CPU goes, for bench/wave.bench.ts: a profile of the wave alone, and what one new connection to an
 * API server costs this process (the floor of the runner's CPU per runtime: every runtime is a different SKR).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector/promises';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { createSecureContext } from 'node:tls';
import { Agent } from 'undici';
import { exchange } from '../src/clients/exchange.js';
import { KubeClient, RequestCounter, type WatchEvent } from '../src/clients/kube-client.js';
import { istioPatch } from '../src/migration/kyma-checks.js';
import { collectionPath, ISTIOS, KYMA_SYSTEM, KYMAS, MODULE_TEMPLATES } from '../src/migration/resources.js';
import YAML from 'yaml';

const profiled = new Set<string>();

/**
 * The machine's steal time so far, in seconds over all cores (/proc/stat; null where unreadable): time the
 * hypervisor ran other guests on this VM's cores, a sign that the machine was shared during a run. On the 2-vCPU
 * development VM it varied from run to run (0.3 to 6.5 s during a 72 s wave), and the runs with more of it measured
 * a higher cpuMsPerRuntime: compare runs with little of it.
 */
export function stealSeconds(): number | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
    const steal = Number(cpu[8]);
    return cpu[0] === 'cpu' && Number.isFinite(steal) ? steal / 100 : null;
  } catch {
    return null;
  }
}

/**
 * CPU time of this process's main thread so far, ms (/proc/self/task/PID/schedstat; null where unreadable): the
 * JavaScript, the main thread's share of GC and the syscalls it makes. process.cpuUsage() adds V8's worker threads
 * (concurrent marking, parallel scavenges, the optimising compiler) and libuv's thread pool.
 */
export function mainThreadMs(): number | null {
  try {
    const ns = Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ', 1)[0]);
    return Number.isFinite(ns) ? ns / 1e6 : null;
  } catch {
    return null;
  }
}

/**
 * BENCH_CPU_PROFILE=FILE: a V8 CPU profile of this process while the (first) wave runs, nothing before or after it
 * (open it in Chrome DevTools › Performance); `part` 'floor' profiles {@link ioFloor} into FILE.floor, so that the
 * two can be compared function by function. BENCH_ALLOC_PROFILE=FILE: the same for allocations (V8's sampling heap
 * profiler, every 32 KB, counting objects the GC has since collected too: where the garbage comes from; DevTools ›
 * Memory loads it). Null when neither is set.
 */
export async function startWaveProfile(part: 'wave' | 'floor' = 'wave'): Promise<{ stop(): Promise<void> } | null> {
  const fileOf = (base: string | undefined) => base && (part === 'wave' ? base : `${base}.floor`);
  const cpuFile = fileOf(process.env.BENCH_CPU_PROFILE);
  const allocFile = fileOf(process.env.BENCH_ALLOC_PROFILE);
  if ((!cpuFile && !allocFile) || profiled.has(part)) return null;
  profiled.add(part);
  const session = new inspector.Session();
  session.connect();
  if (cpuFile) {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
  }
  if (allocFile) {
    await session.post('HeapProfiler.enable');
    // The two include flags are V8's (Chrome 111+); node's typings do not know them yet.
    await session.post('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as { samplingInterval: number });
  }
  return {
    async stop() {
      if (cpuFile) writeFileSync(cpuFile, JSON.stringify((await session.post('Profiler.stop')).profile));
      if (allocFile) writeFileSync(allocFile, JSON.stringify((await session.post('HeapProfiler.stopSampling')).profile));
      session.disconnect();
    },
  };
}

/** CPU (ms) of this process per request, one small authenticated GET each, by how the request is connected. */
export interface ConnectionCost {
  /** On a kept-alive connection: the request alone. */
  keptAlive: number;
  /** On a new plain-HTTP connection (TCP connect and close added). */
  newPlain: number;
  /**
   * On a new TLS connection that resumes a cached session: what a wave on the simulator did (its SKRs share one
   * address) before the runner's pools stopped caching sessions (shared-dispatcher.ts): it costs more than a full one.
   */
  newTlsResumed: number;
  /** On a new TLS connection with a full handshake, the TLS context shared: what each runtime costs on the simulator. */
  newTlsFull: number;
  /**
   * The same with a TLS context built for the connection: what a real SKR's first connection costs (each SKR is an
   * API server of its own, so its pool builds its own context, shared-dispatcher.ts).
   */
  newTlsOwnContext: number;
}

/**
 * Measures {@link ConnectionCost} against the simulator with three rounds of `n` requests per kind, `parallel` at a time, using one
 * SKR kubeconfig's address and token (the simulator serves plain HTTP and HTTPS on one port), sent as the runner sends
 * its requests (exchange.ts). The agents are set up as the runner's (shared-dispatcher.ts: one TLS context for all
 * connections of a pool, insecure-skip-tls-verify as the simulator's kubeconfigs say), except for `newTlsOwnContext`.
 * A new connection is had by `reset` (the server closes it after the answer).
 */
export async function connectionCost(skrKubeconfigFile: string, n = 300, parallel = 10): Promise<ConnectionCost> {
  const kc = YAML.parse(readFileSync(skrKubeconfigFile, 'utf8')) as { clusters: { cluster: { server: string } }[]; users: { user: { token: string } }[] };
  const https = `${kc.clusters[0].cluster.server}/version`;
  const headers = { authorization: `Bearer ${kc.users[0].user.token}`, accept: 'application/json' };
  const tls = { rejectUnauthorized: false, secureContext: createSecureContext({}) };
  const perRequest = async (url: string, agent: Agent, reset: boolean): Promise<number> => {
    const get = async () => {
      const u = new URL(url);
      const res = await exchange(agent, { origin: u.origin, path: u.pathname, method: 'GET', headers, reset });
      if (res.statusCode !== 200) throw new Error(`GET ${url}: HTTP ${res.statusCode}`);
    };
    await Promise.all(Array.from({ length: parallel }, get)); // warm: connections (or the session to resume) outside the measurement
    // The median of three rounds: timers and the services' background work of this process fall into some of them.
    const rounds: number[] = [];
    for (let round = 0; round < 3; round++) {
      const before = process.cpuUsage();
      for (let done = 0; done < n; done += parallel) await Promise.all(Array.from({ length: Math.min(parallel, n - done) }, get));
      const cpu = process.cpuUsage(before);
      rounds.push((cpu.user + cpu.system) / 1000 / n);
    }
    await agent.close();
    return Math.round(rounds.sort((a, b) => a - b)[1] * 1000) / 1000;
  };
  return {
    keptAlive: await perRequest(https, new Agent({ connect: tls }), false),
    newPlain: await perRequest(https.replace(/^https:/, 'http:'), new Agent(), true),
    newTlsResumed: await perRequest(https, new Agent({ connect: tls }), true),
    newTlsFull: await perRequest(https, new Agent({ connect: { ...tls, maxCachedSessions: 0 } }), true),
    newTlsOwnContext: await perRequest(https, new Agent({ connect: { rejectUnauthorized: false, maxCachedSessions: 0 } }), true),
  };
}

/** {@link ioFloor}'s figures. */
export interface IoFloor {
  runtimes: number;
  /** Runtimes whose Istio CR `default` became Ready before the deadline (the others count too: their I/O was done). */
  ready: number;
  /** Runtimes whose I/O failed part-way (a request refused or cut off): counted, so a failure never loses the wave's figures. */
  failed: number;
  cpuMsPerRuntime: number;
  /** The main thread's part of cpuMsPerRuntime (null where unreadable). */
  mainThreadMsPerRuntime: number | null;
}

/**
 * The SKR I/O of a migration and nothing else, as the runner does it (kube-client.ts, exchange.ts), `concurrency`
 * runtimes at a time: the runtime's kubeconfig parsed, the ModuleTemplate, Kyma and Istio lists, the patch, and a watch
 * of the Istio CRs until `default` is Ready (or `deadlineMs`). No journal, wave, KCP, decision or result: the CPU per
 * runtime of this process is the floor under the runner's cpuMsPerRuntime on this machine and simulator, and the
 * difference is the runner's own work. The kubeconfigs must be of runtimes nothing else migrates.
 */
export async function ioFloor(kubeconfigs: string[], concurrency: number, deadlineMs: number): Promise<IoFloor> {
  const readyOnce = (skr: KubeClient) =>
    new Promise<boolean>((resolve, reject) => {
      let settled = false;
      let stop = () => {};
      const settle = (ready: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stop();
        resolve(ready);
      };
      const timer = setTimeout(() => settle(false), deadlineMs);
      const onEvent = (e: WatchEvent) => {
        if (e.type !== 'ERROR' && e.object.metadata.name === 'default' && (e.object.status as { state?: string } | undefined)?.state === 'Ready') settle(true);
      };
      skr.watch(collectionPath(ISTIOS), { allowWatchBookmarks: true, resourceVersion: '0' }, onEvent).then(
        (h) => {
          stop = () => h.stop();
          if (settled) h.stop();
        },
        (e: unknown) => {
          settled = true;
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  const migrate = async (kubeconfig: string): Promise<boolean> => {
    const skr = new KubeClient(kubeconfig, { system: 'skr', counter: new RequestCounter() });
    await skr.listOrEmpty(MODULE_TEMPLATES, undefined);
    const kyma = (await skr.listOrEmpty(KYMAS, KYMA_SYSTEM)).items[0];
    await skr.listOrEmpty(ISTIOS, undefined);
    if (!kyma) return false;
    await skr.jsonPatch(KYMAS, KYMA_SYSTEM, kyma.metadata.name, istioPatch(kyma), { once: true });
    return readyOnce(skr);
  };
  let next = 0;
  let ready = 0;
  let failed = 0;
  const profiler = await startWaveProfile('floor');
  const before = process.cpuUsage();
  const mainBefore = mainThreadMs();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, kubeconfigs.length) }, async () => {
      while (next < kubeconfigs.length) {
        const outcome = await migrate(kubeconfigs[next++]).catch(() => 'failed' as const);
        if (outcome === 'failed') failed++;
        else if (outcome) ready++;
      }
    }),
  );
  const cpu = process.cpuUsage(before);
  const mainAfter = mainThreadMs();
  await profiler?.stop();
  const perRuntime = (ms: number) => Math.round((ms / Math.max(1, kubeconfigs.length)) * 100) / 100;
  return {
    runtimes: kubeconfigs.length,
    ready,
    failed,
    cpuMsPerRuntime: perRuntime((cpu.user + cpu.system) / 1000),
    mainThreadMsPerRuntime: mainBefore === null || mainAfter === null ? null : perRuntime(mainAfter - mainBefore),
  };
}

/** Garbage collections while a {@link gcWatch} ran: how many of each kind, and the main thread's pauses for them. */
export interface GcFigures {
  /** Young-generation collections (scavenges). */
  minor: number;
  /** Full mark-compacts. */
  major: number;
  /** Steps of incremental marking and weak-callback processing. */
  other: number;
  /** The main thread's time in all of them, ms (V8's helper threads work on beside it). */
  pauseMs: number;
}

/** Counts this process's garbage collections (perf_hooks 'gc' entries) until `stop()`. */
export function gcWatch(): { stop(): GcFigures } {
  const figures: GcFigures = { minor: 0, major: 0, other: 0, pauseMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) figures.minor++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) figures.major++;
      else figures.other++;
      figures.pauseMs += e.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop() {
      observer.disconnect();
      return { ...figures, pauseMs: Math.round(figures.pauseMs) };
    },
  };
}
