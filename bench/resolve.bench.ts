/**
 * Target resolution benchmark: `all` in Prod of a simulated landscape of ≈ 10,000 Prod runtimes (16,700 in
 * all, profile `mixed`), the simulator in a child process (`istio-migrate sim`) so it does not share this
 * event loop. Prints one JSON document `{ runtimes, resolveMs, kebRequests, gardenerRequests, … }`; the goal
 * (≤ 2 s) is reported next to the figure, nothing fails.
 *
 * Run: `npm run build && npm run bench:resolve` (the script runs the compiled dist/bench/resolve.bench.js).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import YAML from 'yaml';
import { landscapeConfigSchema } from '../src/config/environments.js';
import { KebClient } from '../src/clients/keb-client.js';
import { KubeClient, RequestCounter } from '../src/clients/kube-client.js';
import { resolveTargets } from '../src/targets/resolve.js';
import { parseTargets } from '../src/targets/selector.js';

const RUNTIMES = 16_700;
const GOAL_MS = 2_000;
/** bin/ relative to this file, in the source tree and in dist/bench alike. */
const BIN = path.resolve(import.meta.dirname, '..', ...(import.meta.dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []), 'bin', 'istio-migrate.js');

async function main(): Promise<void> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'istio-migrate-bench-resolve-'));
  const child = spawn(process.execPath, [BIN, 'sim', '--out', out, '--runtimes', String(RUNTIMES), '--profile', 'mixed'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const ready = await new Promise<{ port: number }>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the simulator exited with ${code} before it was ready`)));
      createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line) as { port: number }));
    });
    const config = landscapeConfigSchema.parse(YAML.parse(readFileSync(path.join(out, 'config.yaml'), 'utf8')));
    const prod = config.environments.prod!;
    const counter = new RequestCounter();
    const keb = new KebClient({ url: prod.keb.url, token: readFileSync(prod.keb.tokenFile, 'utf8').trim() });
    const gardener = new KubeClient(readFileSync(prod.gardener.kubeconfig, 'utf8'), { system: 'gardener', counter });
    const spec = parseTargets({ specs: ['all'], excludes: [], namedSets: prod.targets });

    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const res = await resolveTargets({ env: 'prod', spec, keb, gardener: { client: gardener, namespace: prod.gardener.namespace } });
    const resolveMs = Math.round(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);

    console.log(
      JSON.stringify({
        runtimes: res.runtimes.length,
        skipped: res.skipped.length,
        resolveMs,
        kebRequests: keb.requests,
        gardenerRequests: counter.counts.gardener,
        /** CPU of this (client) process during resolveMs; the rest is the simulator and the wire. */
        clientCpuMs: Math.round((cpu.user + cpu.system) / 1000),
        simPort: ready.port,
        goals: { resolveMs: { goal: GOAL_MS, met: resolveMs <= GOAL_MS } },
      }),
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
    rmSync(out, { recursive: true, force: true });
  }
}

await main();
