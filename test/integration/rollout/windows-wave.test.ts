/**
 * Issue 20 through the wave runner with a simulated clock (no real waiting): a Prod wave with `windows: require` over
 * 2,000 runtimes whose maintenance windows (the simulator's, spread over 24 h) start every runtime inside its window
 * with its whole deadline before the window closes, and finishes within a simulated day; while it waits it stays
 * `running`, says what it waits for, keeps its lease, and a restart resumes it. `prefer` starts runtimes inside their
 * window first; a region-scoped calendar entry holds only that region. The journal is a real SQLite file; the
 * migration is injected (each runtime takes two simulated minutes).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Journal, PlannedRuntime } from '../../../src/journal/journal.js';
import { openJournal } from '../../../src/journal/open-journal.js';
import type { MigrateOptions } from '../../../src/migration/migrate-runtime.js';
import type { MigrationResult } from '../../../src/migration/result.js';
import { ManualClock } from '../../../src/rollout/clock.js';
import { calendarOf } from '../../../src/rollout/freeze-calendar.js';
import type { Schedule } from '../../../src/rollout/start-gate.js';
import { runWave, WaveEvents, type WaveEvent } from '../../../src/rollout/wave-runner.js';
import { waveStatus } from '../../../src/rollout/wave-status.js';
import { DAY_MS, openingAt, parseWindow } from '../../../src/rollout/windows.js';
import { maintenanceWindow } from '../../../src/sim/landscape/maintenance-windows.js';

const T0 = Date.parse('2026-12-07T00:00:00Z');
const DEADLINE_MS = 510_000;
const STEP_MS = 120_000; // one runtime's simulated migration

function result(runtimeId: string, startedAt: number, finishedAt: number): MigrationResult {
  const none = { inventoryBefore: [], inventoryAfter: [], transitions: [], manifest: null, detail: null, reason: null, requests: { kcp: 0, skr: 0, gardener: 0, total: 0 } };
  return { ...none, runtimeId, outcome: 'migrated', class: 'none', patched: true, dryRun: false, message: 'migrated', kymaName: 'default', access: 'kcp-secret', startedAt: new Date(startedAt).toISOString(), finishedAt: new Date(finishedAt).toISOString(), durationMs: finishedAt - startedAt };
}

const runtimes = (n: number, region = (_i: number) => 'eu-central-1'): PlannedRuntime[] =>
  Array.from({ length: n }, (_, i) => {
    const runtimeId = `rt-${String(i).padStart(4, '0')}`;
    return { runtimeId, shootName: `s${i}`, globalAccountId: 'ga', subaccountId: 'sa', plan: 'aws', region: region(i), maintenance: maintenanceWindow(runtimeId) };
  });

describe('src/rollout/wave-runner.ts with maintenance windows and the freeze calendar (simulated clock)', () => {
  // A real SQLite journal per test, in a temp dir removed afterwards.
  let journal: Journal;
  const dirs: string[] = [];
  beforeEach(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'windows-wave-'));
    dirs.push(dir);
    journal = await openJournal({ kind: 'sqlite', file: path.join(dir, 'journal.db') });
  });
  afterEach(async () => {
    await journal.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** Runs (or resumes) a wave on `clock`; records each runtime's simulated start and each limit event. */
  function runner(clock: ManualClock, schedule: Schedule, concurrency: number) {
    const starts = new Map<string, number[]>();
    const seen: WaveEvent[] = [];
    const migrate = async (m: MigrateOptions): Promise<MigrationResult> => {
      const start = clock.now();
      starts.set(m.runtimeId!, [...(starts.get(m.runtimeId!) ?? []), start]);
      await clock.sleep(STEP_MS);
      return result(m.runtimeId!, start, clock.now());
    };
    const run = (waveId: string, o: { stop?: AbortSignal; takeOverFrom?: string; holder?: string } = {}) => {
      const events = new WaveEvents();
      events.on('event', (e) => seen.push(e));
      return runWave(
        {
          journal,
          access: { kcpKubeconfig: '', deadlineMs: DEADLINE_MS, pollIntervalMs: 10, onConflict: 'hold', schedule },
          budget: 100,
          alpha: 0,
          holder: o.holder ?? 'test',
          events,
          migrate,
          clock,
          controlIntervalMs: 60_000, // simulated: the loop reads controls once a simulated minute
          stop: o.stop,
          takeOverFrom: o.takeOverFrom,
        },
        waveId,
      );
    };
    return { starts, seen, run, create: (rts: PlannedRuntime[]) => journal.createWave({ env: 'prod', target: 'factory', planHash: 'h'.repeat(64), state: 'running', concurrency, requestedBy: 'sre-1', approvedBy: null }, rts) };
  }

  it('require: 2,000 runtimes with windows over 24 h each start inside their window, deadline included, within a simulated day', async () => {
    const rts = runtimes(2000);
    const begins = new Set(rts.map((r) => r.maintenance!.begin));
    expect(begins.size).toBe(24); // the simulator's windows span the whole day
    const clock = new ManualClock(T0 + 30 * 60_000); // 00:30 UTC: the 00:00 windows are half over
    const r = runner(clock, { windows: 'require', calendar: [] }, 16);
    const wave = await r.create(rts);
    // While waiting for windows: what status says, from the journal, as another process would read it.
    const statuses: { state: string; cause?: string }[] = [];
    r.seen.length = 0;
    const probe = setInterval(() => {
      void waveStatus(journal, { ...wave, state: 'running' }).then((s) => statuses.push({ state: s.state, cause: s.limit?.cause }));
    }, 50);
    let ended;
    try {
      ended = await r.run(wave.waveId);
    } finally {
      clearInterval(probe);
    }
    expect(ended.state).toBe('finished');
    expect(r.starts.size).toBe(2000);
    const outside: string[] = [];
    let last = 0;
    for (const rt of rts) {
      const [start, ...again] = r.starts.get(rt.runtimeId)!;
      expect(again).toEqual([]); // started once
      const open = openingAt(parseWindow(rt.maintenance!), start);
      if (!open || start + DEADLINE_MS > open.end) outside.push(`${rt.runtimeId} ${rt.maintenance!.begin}: started ${new Date(start).toISOString()}`);
      last = Math.max(last, start + STEP_MS);
    }
    expect(outside).toEqual([]);
    expect(last - (T0 + 30 * 60_000)).toBeLessThanOrEqual(DAY_MS);
    // It waited for windows, said so with the next opening, and stayed running (lease kept) while it did.
    const causes = r.seen.flatMap((e) => (e.type === 'limit' ? [e.limit.cause] : []));
    expect(causes.some((c) => /^waiting for window: \d+ runtimes, the next window opens \d\d:00 UTC$/.test(c))).toBe(true);
    expect(r.seen.filter((e) => e.type === 'state').map((e) => (e as { state: string }).state)).not.toContain('paused');
    expect(statuses.some((s) => s.state === 'running' && /^waiting for window: /.test(s.cause ?? ''))).toBe(true);
    expect(statuses.map((s) => s.state)).not.toContain('interrupted');
  });

  it('a wave stopped while waiting for windows resumes on restart and still starts each runtime once, inside its window', async () => {
    const rts = runtimes(300);
    const clock = new ManualClock(T0);
    const r = runner(clock, { windows: 'require', calendar: [] }, 8);
    const wave = await r.create(rts);
    const stop = new AbortController();
    const first = r.run(wave.waveId, { stop: stop.signal, holder: 'first' });
    // Stop at 10:00 simulated: some windows done, others not yet open.
    while (clock.now() < T0 + 10 * 3_600_000) await new Promise((resolve) => setImmediate(resolve));
    stop.abort();
    expect((await first).state).toBe('interrupted');
    const before = r.starts.size;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(300);
    const ended = await r.run(wave.waveId, { holder: 'second' });
    expect(ended.state).toBe('finished');
    expect(r.starts.size).toBe(300);
    for (const rt of rts) {
      const s = r.starts.get(rt.runtimeId)!;
      const open = openingAt(parseWindow(rt.maintenance!), s.at(-1)!);
      expect(open && s.at(-1)! + DEADLINE_MS <= open.end).toBe(true);
    }
  });

  it('prefer: the runtimes inside their window start first, the others follow without waiting', async () => {
    const rts = runtimes(200);
    const clock = new ManualClock(T0 + 5 * 3_600_000 + 60_000); // 05:01 UTC
    const r = runner(clock, { windows: 'prefer', calendar: [] }, 4);
    const ended = await r.run((await r.create(rts)).waveId);
    expect(ended.state).toBe('finished');
    const order = [...r.starts.entries()].sort((a, b) => a[1][0] - b[1][0]).map(([id]) => rts.find((x) => x.runtimeId === id)!);
    const inside = rts.filter((x) => x.maintenance!.begin === '050000+0000').length;
    expect(inside).toBeGreaterThan(0);
    expect(order.slice(0, inside).every((x) => x.maintenance!.begin === '050000+0000')).toBe(true);
    // Nobody waits for a window: 200 runtimes at 4 × 2 simulated minutes are all started by 07:00, windows until 23:00.
    expect(Math.max(...[...r.starts.values()].map((s) => s[0]))).toBeLessThan(T0 + 7 * 3_600_000);
  });

  it('a calendar entry for one region holds only that region until it ends, and the wave says so', async () => {
    const rts = runtimes(40, (i) => (i % 2 ? 'ap-south-1' : 'eu-central-1'));
    const clock = new ManualClock(T0);
    const calendar = calendarOf([{ name: 'Diwali', reason: 'public holiday', from: '2026-12-07', to: '2026-12-07', regions: ['ap-south-1'] }]);
    const r = runner(clock, { windows: 'ignore', calendar }, 4);
    const ended = await r.run((await r.create(rts)).waveId);
    expect(ended.state).toBe('finished');
    for (const rt of rts) {
      const start = r.starts.get(rt.runtimeId)![0];
      if (rt.region === 'ap-south-1') expect(start).toBeGreaterThanOrEqual(T0 + DAY_MS);
      else expect(start).toBeLessThan(T0 + 3_600_000);
    }
    const causes = r.seen.flatMap((e) => (e.type === 'limit' ? [e.limit.cause] : []));
    expect(causes).toContain('frozen by the calendar: Diwali (public holiday) until 00:00 UTC, 20 runtimes');
  });
});
