/**
 * A newcomer's first sitting, as the README tells it, from a fresh directory (a fresh clone has no ./data): the
 * console on the embedded simulated landscape, then shell commands — each its own process, so the landscape and
 * the journal must both come back as they were left. Every answer must agree with the one before it.
 *
 * Through the real path: the built binary (bin/istio-migrate.js), spawned.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestSim, writeSimConfig, type TestSim } from '../helpers/sim.js';
import { runBin } from '../helpers/built-bin.js';

const cli = (cwd: string, args: string[]) => runBin(args, { cwd, env: { ISTIO_MIGRATE_USER: 'newcomer' } });

async function json<T>(cwd: string, args: string[]): Promise<T> {
  const r = await cli(cwd, [...args, '--json']);
  if (!r.stdout.trim()) throw new Error(`${args.join(' ')} printed no JSON (exit ${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

interface WaveStatus {
  waveId: string;
  env: string;
  state: string;
  counts: Record<string, number>;
}

interface Verify {
  ok: boolean;
  runtimes: number;
  runtimeIds: string[];
  manifests: { total: number; byState: Record<string, number> };
  missing: string[];
}

interface WaveRuntimeRow {
  runtimeId: string;
  outcome: string;
}

const MANAGED = new Set(['migrated', 'already-migrated']);
const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);

describe('a newcomer sitting (README only): plan → run → quit → restart → verify → runbook → resume → tasks', () => {
  const dirs: string[] = [];
  let sim: TestSim | undefined;
  afterAll(async () => {
    await sim?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('every answer agrees with the one before it, across processes', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'newcomer-'));
    dirs.push(cwd);

    // 1. Before anything created a journal, a command that only reads refuses (exit 2) and creates none, saying
    // what creates it; the console (npm start, the README's first step) does, and says where.
    const early = await cli(cwd, ['runbook', 'stage']);
    expect(early.code).toBe(2);
    expect(early.stderr).toContain(`no journal at ${path.join(cwd, 'data', 'journal.db')}`);
    expect(early.stderr).toMatch(/first plan or run/);
    expect(existsSync(path.join(cwd, 'data', 'journal.db'))).toBe(false);
    const opening = path.join(cwd, 'open.txt');
    writeFileSync(opening, '/quit\n');
    const opened = await cli(cwd, ['console', '--script', opening]);
    expect(opened.stderr).toContain(`created a new, empty journal at ${path.join(cwd, 'data', 'journal.db')}`);
    // The runbook says where to start.
    const runbook0 = await json<{ next: { command: string } | null }>(cwd, ['runbook', 'stage']);
    expect(runbook0.next?.command).toMatch(/^run stage kyma-test kyma-integration --sample \d+$/);
    const planLine = runbook0.next!.command.replace(/^run /, 'plan ');

    // 2. The console (npm start): plan, Run by button, wait, quit.
    const script = path.join(cwd, 'first.txt');
    writeFileSync(script, [planLine, '/click Run', '/wait', 'status', '/quit', ''].join('\n'));
    const first = await cli(cwd, ['console', '--script', script]);
    expect(first.stderr).toMatch(/embedded simulated landscape/);
    const waveId = /wave `(stage-\d{8}-\d+)` started/.exec(first.stdout)?.[1];
    expect(waveId).toBeDefined();
    const planned = Number(/runtimes: (\d+) eligible/.exec(first.stdout)?.[1]);
    expect(planned).toBeGreaterThan(0);

    // 3. Restart: a new process sees the wave as the console left it.
    const status = await json<WaveStatus>(cwd, ['status', waveId!]);
    expect(['finished', 'budget-stopped']).toContain(status.state);
    expect(total(status.counts)).toBe(planned);
    expect(first.stdout).toContain(`${waveId} ${status.state}`);

    // 4. verify (another process, so the landscape came back from disk): every runtime the wave migrated has its
    // istio Manifest, and every one it did not migrate is listed as without one.
    const rows = await json<WaveRuntimeRow[]>(cwd, ['export', waveId!]);
    expect(rows).toHaveLength(planned);
    const verify = await json<Verify>(cwd, ['verify', 'stage', 'kyma-test', 'kyma-integration']);
    for (const r of rows) {
      if (MANAGED.has(r.outcome)) expect(verify.missing).not.toContain(r.runtimeId);
    }
    const verifyText = await cli(cwd, ['verify', 'stage', 'kyma-test', 'kyma-integration']);
    const verdict = new RegExp(`${waveId}=(ok|failed)`).exec(verifyText.stdout)?.[1];
    expect(verdict).toBe(status.state === 'finished' ? 'ok' : undefined);
    const managedInTarget = verify.runtimes - verify.missing.length;
    expect(verify.manifests.total).toBe(managedInTarget);
    expect(managedInTarget).toBeGreaterThanOrEqual(rows.filter((r) => MANAGED.has(r.outcome)).length);

    // 5. The runbook agrees with the wave and with verify.
    const runbook1 = await json<{ steps: { index: number; wave: string | null; waveState: string | null; verified: boolean }[] }>(cwd, ['runbook', 'stage']);
    expect(runbook1.steps[0].wave).toBe(waveId);
    expect(runbook1.steps[0].waveState).toBe(status.state);
    // verified means: this wave's migrated runtimes passed verify (the rest of the target is not the step's)
    expect(runbook1.steps[0].verified).toBe(verdict === 'ok');

    // 6. A wave stopped by its budget (Dev: 5 % of its runtimes rounds to a budget of 1) is no dead end.
    const devRun = await cli(cwd, ['run', 'dev', 'all', '--yes', '--json']);
    const dev = JSON.parse(devRun.stdout) as WaveStatus;
    expect(dev.state).toBe('budget-stopped');
    expect(devRun.code).toBe(3);
    expect(dev.counts.pending).toBeGreaterThan(0);
    // resume without a larger budget says why instead of starting and stopping at once
    const stuck = await cli(cwd, ['resume', dev.waveId, '--yes']);
    expect(stuck.code).toBe(1);
    expect(stuck.stderr).toMatch(/reached its error budget of 1/);
    expect(stuck.stderr).toContain(`resume ${dev.waveId} --budget`);
    expect(stuck.stderr).not.toMatch(/started/);
    expect((await json<WaveStatus>(cwd, ['status', dev.waveId])).counts).toEqual(dev.counts);
    // pause cannot help either, and says so
    const pause = await cli(cwd, ['pause', dev.waveId]);
    expect(pause.code).toBe(1);
    expect(pause.stderr).toMatch(/budget-stopped: nothing runs/);
    // with a larger budget (recorded) it runs what was left, and only that
    const resumed = await cli(cwd, ['resume', dev.waveId, '--budget', '10', '--yes', '--json']);
    const after = JSON.parse(resumed.stdout) as WaveStatus;
    expect(after.state).toBe('finished');
    expect(after.counts.pending).toBe(0);
    expect(total(after.counts)).toBe(total(dev.counts));
    for (const [k, n] of Object.entries(dev.counts)) if (k !== 'pending' && k !== 'running') expect(after.counts[k]).toBeGreaterThanOrEqual(n);
    const show = await cli(cwd, ['show', dev.waveId]);
    expect(show.code).toBe(0);
    // retry-failed says what it retried, never as if the whole wave ran again
    const retry = await cli(cwd, ['retry-failed', dev.waveId, '--yes']);
    if (after.counts.error + after.counts.timeout + after.counts['module-template-missing'] + after.counts['kyma-cr-missing'] > 0) {
      expect(retry.stdout).toMatch(new RegExp(`^retried \\d+ runtimes of ${dev.waveId}: `));
    } else {
      expect(retry.stdout).toMatch(/nothing to retry/);
    }
    // abort works on an ended-but-unfinished state too; on a finished wave it says why not
    const abortFinished = await cli(cwd, ['abort', dev.waveId]);
    expect(abortFinished.stderr).toMatch(/has ended \(finished\): nothing to abort/);

    // 7. Tasks: one per runtime held for a customer Istio CR, and each tells the truth about its CRs.
    const tasks = await json<{ tasks: { taskId: string; runtimeId: string; istioCrs: { name: string }[] }[] }>(cwd, ['tasks', 'all']);
    const held = [...rows, ...(await json<WaveRuntimeRow[]>(cwd, ['export', dev.waveId]))].filter((r) => r.outcome === 'multiple-istio-crs');
    // the embedded landscape is deterministic: its Dev wave holds runtimes of the `custom-cr` scenarios (one customer CR)
    expect(held.length).toBeGreaterThan(0);
    expect(tasks.tasks.map((t) => t.runtimeId).sort()).toEqual(held.map((r) => r.runtimeId).sort());
    for (const t of tasks.tasks) {
      expect(t.istioCrs).toHaveLength(1);
      expect(t.istioCrs[0].name).not.toBe('default');
      const one = await cli(cwd, ['task', t.taskId]);
      expect(one.code).toBe(0);
      expect(one.stdout).toContain(t.runtimeId);
      expect(one.stdout).toMatch(/history:/);
      expect(one.stdout).toContain(`a customer Istio CR \`${t.istioCrs[0].name}\` exists; migrating would add \`default\``);
      expect(one.stdout).not.toMatch(/why: .*more than one/i);
    }
    // the customer agrees; the rename (no approval in Dev) leaves `default` as the only CR, and the task says so
    const firstTask = tasks.tasks[0];
    expect((await cli(cwd, ['task', firstTask.taskId, 'agreed'])).code).toBe(0);
    const rename = await cli(cwd, ['task', firstTask.taskId, 'rename', '--yes']);
    expect(rename.code).toBe(0);
    expect(rename.stdout).toContain(`${firstTask.taskId} ${firstTask.runtimeId}: renamed`);
    const renamed = await cli(cwd, ['task', firstTask.taskId]);
    expect(renamed.stdout).toMatch(new RegExp(`^${firstTask.taskId} renamed`));
    expect(renamed.stdout).toMatch(/Istio CRs: default=Ready \(/);
    expect(renamed.stdout).not.toContain(`${firstTask.istioCrs[0].name}=`);
    expect(renamed.stdout).toMatch(/history:[\s\S]*opened[\s\S]*task-agreed by newcomer[\s\S]*task-rename by newcomer[\s\S]*task-renamed by newcomer/);

    // 8. The same journal opened against another landscape (a `sim --out` config) refuses, clearly.
    sim = await startTestSim();
    const other = writeSimConfig(sim, 'newcomer', (cfg) => (cfg.journal = { sqlite: { file: path.join(cwd, 'data', 'journal.db') } }));
    const mixed = await cli(cwd, ['status', '--config', other]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/belongs to the embedded simulated landscape/);
    expect(mixed.stderr).toMatch(/waves of two landscapes never mix/);
    // the same for a command whose permission check reads the journal first (the environment of a stored plan)
    const mixedRun = await cli(cwd, ['run', '--plan', '0123456789ab', '--yes', '--json', '--config', other]);
    expect(mixedRun.code).toBe(2);
    expect(JSON.parse(mixedRun.stdout)).toEqual({ error: expect.stringMatching(/waves of two landscapes never mix/) });
    // and nothing of the other landscape got into it
    const again = await json<{ waves: WaveStatus[] }>(cwd, ['status']);
    expect(again.waves.map((w) => w.waveId).sort()).toEqual([dev.waveId, waveId!].sort());
  }, 240_000);
});
