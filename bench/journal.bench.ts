/**
 * Journal benchmark: the journal's cost per runtime of a wave — startRuntime + checkpoint('before-patch') +
 * checkpoint('patched') + finishRuntime with a realistic result — over 10,000 runtimes. Prints one JSON document;
 * the goal (≤ 1 ms per runtime) is reported next to the figures, nothing fails.
 *
 * - SQLite: a file in the temp directory (WAL, synchronous=NORMAL), runtimes one after another (better-sqlite3 is
 *   synchronous: concurrency changes nothing).
 * - PostgreSQL (ISTIO_MIGRATE_TEST_PG_URL or the C6 default; a schema of its own, dropped afterwards): throughput
 *   with 100 runtimes in flight, as the wave runner has them — wall time / runtimes — and, for reference, the
 *   latency of one runtime's four writes done sequentially (over 1,000 runtimes). Skipped with a reason when no
 *   server answers.
 *
 * Run: `npm run build && npm run bench:journal` (the script runs the compiled dist/bench/journal.bench.js).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Journal, PlannedRuntime } from '../src/journal/journal.js';
import { openJournal } from '../src/journal/open-journal.js';
import type { MigrationResult } from '../src/migration/result.js';
import { withPgJournal } from './sim-process.js';

const RUNTIMES = 10_000;
const PG_CONCURRENCY = 100;
const PG_SEQUENTIAL_RUNTIMES = 1_000;
const GOAL_MS = 1;

const round = (n: number) => Math.round(n * 1000) / 1000;

function runtimes(n: number): PlannedRuntime[] {
  return Array.from({ length: n }, (_, i) => ({
    runtimeId: `5f0c1a2b-0000-4000-8000-${String(i).padStart(12, '0')}`,
    shootName: `c-${i.toString(16).padStart(7, '0')}`,
    globalAccountId: `ga-${i % 50}`,
    subaccountId: `sa-${i % 500}`,
    plan: i % 2 ? 'aws' : 'azure',
    region: i % 3 ? 'eu-central-1' : 'westeurope',
  }));
}

/** A `migrated` result the size migrateRuntime produces (inventory, a handful of transitions). */
function result(runtimeId: string): MigrationResult {
  const at = new Date().toISOString();
  return {
    runtimeId,
    outcome: 'migrated',
    reason: null,
    class: 'none',
    patched: true,
    dryRun: false,
    message: 'Migration successful',
    detail: null,
    kymaName: runtimeId,
    inventoryBefore: [{ name: 'default', namespace: 'kyma-system', createdAt: '2024-11-02T08:00:00Z', state: 'Ready', description: null, reason: null }],
    inventoryAfter: [{ name: 'default', namespace: 'kyma-system', createdAt: '2024-11-02T08:00:00Z', state: 'Ready', description: null, reason: null }],
    transitions: [
      { at, object: `kyma/${runtimeId}`, state: 'Ready' },
      { at, object: `manifest/${runtimeId}-istio-4034478325`, state: 'absent' },
      { at, object: `manifest/${runtimeId}-istio-4034478325`, state: 'Processing' },
      { at, object: `manifest/${runtimeId}-istio-4034478325`, state: 'Ready' },
      { at, object: 'istio/kyma-system/default', state: 'Ready' },
    ],
    manifest: { name: `${runtimeId}-istio-4034478325`, state: 'Ready', message: null },
    requests: { kcp: 4, skr: 9, gardener: 0, total: 13 },
    access: 'kcp-secret',
    startedAt: at,
    finishedAt: at,
    durationMs: 61_234,
  };
}

async function oneRuntime(j: Journal, waveId: string, runtimeId: string): Promise<void> {
  await j.startRuntime(waveId, runtimeId);
  await j.checkpoint(waveId, runtimeId, 'before-patch');
  await j.checkpoint(waveId, runtimeId, 'patched');
  await j.finishRuntime(waveId, runtimeId, result(runtimeId));
}

/** Runs every runtime of the wave with `concurrency` in flight; returns ms per runtime (wall time / runtimes). */
async function runWave(j: Journal, rts: PlannedRuntime[], concurrency: number): Promise<{ perRuntimeMs: number; totalMs: number; createWaveMs: number }> {
  const t0 = performance.now();
  const wave = await j.createWave({ env: 'bench', target: 'all', planHash: 'p', state: 'running', concurrency, requestedBy: 'bench', approvedBy: null }, rts);
  const createWaveMs = performance.now() - t0;
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < rts.length) await oneRuntime(j, wave.waveId, rts[next++].runtimeId);
    }),
  );
  const totalMs = performance.now() - start;
  return { perRuntimeMs: round(totalMs / rts.length), totalMs: Math.round(totalMs), createWaveMs: Math.round(createWaveMs) };
}

async function benchSqlite() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'journal-bench-'));
  const j = await openJournal({ kind: 'sqlite', file: path.join(dir, 'journal.db') });
  try {
    const r = await runWave(j, runtimes(RUNTIMES), 1);
    return { ...r, runtimes: RUNTIMES, goalMet: r.perRuntimeMs <= GOAL_MS };
  } finally {
    await j.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchPostgres() {
  return withPgJournal('jbench', async (j) => {
    const concurrent = await runWave(j, runtimes(RUNTIMES), PG_CONCURRENCY);
    const sequential = await runWave(j, runtimes(PG_SEQUENTIAL_RUNTIMES), 1);
    return {
      perRuntimeMs: concurrent.perRuntimeMs,
      concurrency: PG_CONCURRENCY,
      runtimes: RUNTIMES,
      totalMs: concurrent.totalMs,
      createWaveMs: concurrent.createWaveMs,
      goalMet: concurrent.perRuntimeMs <= GOAL_MS,
      sequential: { perRuntimeMs: sequential.perRuntimeMs, runtimes: PG_SEQUENTIAL_RUNTIMES },
    };
  });
}

const sqlite = await benchSqlite();
const postgres = await benchPostgres();
console.log(JSON.stringify({ goal: { perRuntimeMs: GOAL_MS, writesPerRuntime: 4 }, sqlite, postgres }));
