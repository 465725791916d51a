/**
 * Where a wave's CPU goes, for bench/wave.bench.ts: a profile of the wave alone, and what one new connection to an
 * API server costs this process (the floor of the runner's CPU per runtime: every runtime is a different SKR).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector/promises';
import { Agent } from 'undici';
import { exchange } from '../src/clients/exchange.js';
import YAML from 'yaml';

let profiled = false;

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
 * BENCH_CPU_PROFILE=FILE: a V8 CPU profile of this process while the (first) wave runs, nothing before or after it
 * (open it in Chrome DevTools › Performance). Null when unset.
 */
export async function startWaveProfile(): Promise<{ stop(): Promise<void> } | null> {
  const file = process.env.BENCH_CPU_PROFILE;
  if (!file || profiled) return null;
  profiled = true;
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
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
  /** On a new TLS connection with a full handshake: what each real SKR (an API server of its own) costs. */
  newTlsFull: number;
}

/**
 * Measures {@link ConnectionCost} against the simulator with three rounds of `n` requests per kind, `parallel` at a time, using one
 * SKR kubeconfig's address and token (the simulator serves plain HTTP and HTTPS on one port), sent as the runner sends
 * its requests (exchange.ts). The agents are set up as the runner's (shared-dispatcher.ts: insecure-skip-tls-verify
 * as the simulator's kubeconfigs say).
 */
export async function connectionCost(skrKubeconfigFile: string, n = 300, parallel = 10): Promise<ConnectionCost> {
  const kc = YAML.parse(readFileSync(skrKubeconfigFile, 'utf8')) as { clusters: { cluster: { server: string } }[]; users: { user: { token: string } }[] };
  const https = `${kc.clusters[0].cluster.server}/version`;
  const headers = { authorization: `Bearer ${kc.users[0].user.token}`, accept: 'application/json' };
  const tls = { rejectUnauthorized: false };
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
  };
}
