/**
 * Wave page benchmark: opening the page of a 10,000-runtime wave (8,000 finished over three hours with a mix of
 * outcomes, 2,000 pending: a wave still running) from a SQLite journal, through the real HTTP handler (signed link
 * checked, view built from the journal, HTML rendered and sent). Prints one JSON document with the first (cold) and
 * the median of the following opens, and the goal (< 1 s) next to them; nothing fails.
 *
 * Run: `npm run build && npm run bench:wave-page`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { PlannedRuntime } from '../src/journal/journal.js';
import { openJournal } from '../src/journal/open-journal.js';
import type { MigrationResult } from '../src/migration/result.js';
import { handleWavePage, wavePagePath } from '../src/wave-page/page-server.js';

const RUNTIMES = 10_000;
const FINISHED = 8_000;
const OPENS = 5;
const GOAL_MS = 1000;
const KEY = Buffer.from('bench-key-0123456789abcdef');

function planned(i: number): PlannedRuntime {
  return {
    runtimeId: `5f0c1a2b-0000-4000-8000-${String(i).padStart(12, '0')}`,
    shootName: `c-${i.toString(16).padStart(7, '0')}`,
    globalAccountId: `ga-${i % 300}`,
    subaccountId: `sa-${i % 3000}`,
    plan: ['aws', 'azure', 'gcp', 'trial', 'free'][i % 5],
    region: ['eu-central-1', 'westeurope', 'us-east-1', 'ap-southeast-1', 'eastus', 'us-west-2'][i % 6],
  };
}

function result(runtimeId: string, i: number, start: number): MigrationResult {
  const finishedAt = start + (i / FINISHED) * 3 * 3600_000;
  const durationMs = 40_000 + (i % 50) * 1000;
  const outcome = i % 97 === 0 ? 'error' : i % 53 === 0 ? 'multiple-istio-crs' : i % 31 === 0 ? 'already-migrated' : 'migrated';
  return {
    runtimeId,
    outcome,
    reason: outcome === 'error' ? 'manifest-error' : null,
    class: outcome === 'error' ? 'platform' : outcome === 'multiple-istio-crs' ? 'customer' : 'none',
    patched: outcome !== 'multiple-istio-crs',
    dryRun: false,
    message: outcome === 'migrated' ? 'Migration successful' : outcome,
    detail: outcome === 'error' ? 'failed to install raw manifest CRDs: Apply failed with 2 conflicts' : null,
    kymaName: runtimeId,
    inventoryBefore: [{ name: 'default', namespace: 'kyma-system', createdAt: '2024-11-02T08:00:00Z', state: 'Ready', description: null, reason: null }],
    inventoryAfter: [{ name: 'default', namespace: 'kyma-system', createdAt: '2024-11-02T08:00:00Z', state: 'Ready', description: null, reason: null }],
    transitions: [
      { at: new Date(finishedAt - durationMs).toISOString(), object: `kyma/${runtimeId}`, state: 'Ready' },
      { at: new Date(finishedAt - 20_000).toISOString(), object: `manifest/${runtimeId}-istio-4034478325`, state: 'Processing' },
      { at: new Date(finishedAt).toISOString(), object: `manifest/${runtimeId}-istio-4034478325`, state: 'Ready' },
    ],
    manifest: { name: `${runtimeId}-istio-4034478325`, state: 'Ready', message: null },
    requests: { kcp: 4, skr: 9, gardener: 0, total: 13 },
    access: 'kcp-secret',
    startedAt: new Date(finishedAt - durationMs).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    durationMs,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wave-page-bench-'));
  const journal = await openJournal({ kind: 'sqlite', file: path.join(dir, 'journal.db') });
  try {
    const start = Date.now() - 3.5 * 3600_000;
    const rts = Array.from({ length: RUNTIMES }, (_, i) => planned(i));
    const wave = await journal.createWave({ env: 'prod', target: 'all', planHash: 'b'.repeat(64), state: 'running', concurrency: 100, requestedBy: 'bench', approvedBy: 'oncall' }, rts, new Date(start));
    await journal.acquireLease(wave.waveId, 'bench', 3600_000);
    for (let i = 0; i < FINISHED; i++) {
      await journal.startRuntime(wave.waveId, rts[i].runtimeId, 'bench');
      await journal.finishRuntime(wave.waveId, rts[i].runtimeId, result(rts[i].runtimeId, i, start), 'bench');
    }
    const deps = { journal: () => Promise.resolve(journal), key: KEY, budget: { budget: (_env: string, n: number) => Math.max(1, Math.floor(n * 0.05)) }, envs: ['prod'] };
    const server = http.createServer((req, res) => void handleWavePage(req, res, deps));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${wavePagePath(KEY, wave.waveId, 3600)}`;
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i <= OPENS; i++) {
      const t0 = performance.now();
      const res = await fetch(url);
      const body = await res.text();
      times.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`page answered ${res.status}: ${body.slice(0, 200)}`);
      bytes = body.length;
    }
    server.close();
    const warm = times.slice(1).sort((a, b) => a - b);
    const median = warm[Math.floor(warm.length / 2)];
    const r = (n: number) => Math.round(n);
    process.stdout.write(
      `${JSON.stringify({ bench: 'wave-page', runtimes: RUNTIMES, finished: FINISHED, pageBytes: bytes, firstOpenMs: r(times[0]), medianOpenMs: r(median), maxOpenMs: r(Math.max(...warm)), goalMs: GOAL_MS, withinGoal: times[0] < GOAL_MS && median < GOAL_MS })}\n`,
    );
  } finally {
    await journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
