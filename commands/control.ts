/**
 * The wave controls: pause, resume, drain, abort, set-concurrency, retry-failed, status. They act through the
 * journal, so they reach a wave running in another process within a second; `resume` and `retry-failed` run
 * the wave here when no runner holds it (after a crash: C5 resume).
 */
import type { Journal, Wave, WaveControl } from '../src/journal/journal.js';
import { LeaseHeldError } from '../src/rollout/wave-runner.js';
import { effectiveState, waveStatus } from '../src/rollout/wave-status.js';
import { checkApproval, driveWave } from './run.js';
import { confirmChange, intOption, waveArg } from './shared.js';
import { CommandError, ok, type CommandContext, type CommandResult, type CommandSpec } from './types.js';
import type { EnvName } from '../src/config/config.js';

/**
 * Two processes resuming one interrupted wave race for its lease; the loser refuses (exit 1, one JSON line
 * with `--json`) naming the holder, instead of dying with an uncaught error.
 */
async function leaseHeldAsRefusal(drive: () => Promise<CommandResult>): Promise<CommandResult> {
  try {
    return await drive();
  } catch (e) {
    if (e instanceof LeaseHeldError) throw new CommandError(e.message, 1);
    throw e;
  }
}

async function loadWave(ctx: CommandContext, id: string) {
  const journal = await ctx.services.journal();
  const wave = await journal.getWave(id);
  if (!wave) throw new CommandError(`no wave ${id} (see status)`, 1);
  return { journal, wave };
}

function controlCommand(name: 'pause' | 'drain' | 'abort', control: WaveControl, summary: string): CommandSpec {
  const spec: CommandSpec = {
    name,
    summary,
    usage: `${name} WAVE`,
    examples: [`${name} stage-20261125-1`],
    permission: 'operate',
    mutates: name === 'abort',
    options: { json: { type: 'boolean' } },
    async run(ctx, args) {
      const id = waveArg(args.positionals[0], spec);
      const { journal, wave } = await loadWave(ctx, id);
      if (['finished', 'aborted'].includes(wave.state)) throw new CommandError(`wave ${id} is ${wave.state}: nothing to ${name}`, 1);
      await journal.setWaveControl(id, control);
      // No live runner to obey (interrupted): abort ends the wave here, so that it stops holding its environment
      // (one wave per environment). A runner that resumes it meanwhile sees the control and aborts as well.
      if (name === 'abort' && (await effectiveState(journal, wave)) === 'interrupted') await journal.setWaveState(id, 'aborted');
      // An aborted wave's failures no longer count against the global error budget (see global-budget.ts).
      if (name === 'abort') ctx.services.globalBudget?.release(id);
      await journal.audit({ actor: ctx.user, action: name, subject: id, detail: {} });
      const status = await waveStatus(journal, (await journal.getWave(id))!);
      return ok(`${name} requested for ${id} (now ${status.state}); the runner obeys within a second`, status);
    },
  };
  return spec;
}

export const pause = controlCommand('pause', 'pause', 'stop starting new runtimes (in-flight ones finish)');
export const drain = controlCommand('drain', 'drain', 'finish the runtimes in flight, start no more, end the wave');
export const abort = controlCommand('abort', 'abort', 'stop the wave now; in-flight runtimes are left as they are (resumable)');

export const resume: CommandSpec = {
  name: 'resume',
  summary: 'continue a paused wave, or an interrupted one (after a crash) in this process',
  usage: 'resume WAVE [--yes] [--json]',
  examples: ['resume stage-20261125-1 --yes'],
  permission: 'operate',
  mutates: true,
  options: { yes: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(ctx, args) {
    const id = waveArg(args.positionals[0], resume);
    const { journal, wave } = await loadWave(ctx, id);
    const status = await waveStatus(journal, wave);
    const live = status.state === 'paused' || status.state === 'running' || status.state === 'draining';
    // Runs the wave here: the decision comes first — nothing changes (not even the control) without it, and the
    // command an approval re-runs carries --yes only because the requester gave it.
    if (!live && !ctx.interactive && !args.values.yes) throw new CommandError('resume runs the wave here: confirm with --yes', 1, resume.examples[0]);
    if (status.state === 'aborted') {
      const left = (await journal.listWaveRuntimes(id)).filter((r) => r.state !== 'finished').length;
      await checkApproval(journal, ctx.services, wave.env as EnvName, wave.planHash, ctx.user, 'resume', {
        command: { name: 'resume', argv: [id, '--yes'] },
        subject: { kind: 'wave', waveId: id },
        detail: `resume of aborted wave ${id} (${wave.env}, ${wave.target}): its ${left} unfinished runtimes start again (in-flight ones re-checked by state, never patched twice); finished ones stay untouched.`,
      });
    }
    if (live) {
      await journal.setWaveControl(id, 'none');
      await journal.audit({ actor: ctx.user, action: 'resume', subject: id, detail: { from: status.state } });
      // A live runner holds the lease: it picks the cleared control up. Say which one, so that after a crash
      // (lease not yet lapsed) it is clear why nothing runs here.
      const lease = await journal.getLease(id);
      const st = await waveStatus(journal, (await journal.getWave(id))!);
      return ok(`${id} resumed: its runner ${lease?.holder ?? '?'} continues (lease until ${lease?.expiresAt ?? '?'})`, { ...st, runner: lease?.holder ?? null });
    }
    const all = await journal.listWaveRuntimes(id);
    const left = all.filter((r) => r.state !== 'finished').length;
    if (!left) return ok(`${id} has nothing left to run`, status);
    await confirmChange(ctx, !!args.values.yes, `resume ${id} (${wave.env}, ${wave.target}, ${status.state}): ${left} unfinished runtimes run here`, 'resume runs the wave here: confirm with --yes', resume.examples[0]);
    await journal.setWaveControl(id, 'none');
    await journal.audit({ actor: ctx.user, action: 'resume', subject: id, detail: { from: status.state } });
    const current = (await journal.getWave(id))!;
    return leaseHeldAsRefusal(() => driveWave(ctx, current, all.length));
  },
};

export const retryFailed: CommandSpec = {
  name: 'retry-failed',
  summary: 'run the runtimes of a wave that failed on the platform side again',
  usage: 'retry-failed WAVE [--yes]',
  examples: ['retry-failed stage-20261125-1 --yes'],
  permission: 'operate',
  mutates: true,
  options: { yes: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(ctx, args) {
    const id = waveArg(args.positionals[0], retryFailed);
    const { journal, wave } = await loadWave(ctx, id);
    const status = await waveStatus(journal, wave);
    if (!['finished', 'budget-stopped', 'aborted', 'interrupted'].includes(status.state)) throw new CommandError(`wave ${id} is ${status.state}; retry when it has ended`, 1);
    // The decision first: the command an approval re-runs carries --yes only because the requester gave it.
    if (!ctx.interactive && !args.values.yes) throw new CommandError('retry-failed changes clusters: confirm with --yes', 1, retryFailed.examples[0]);
    const platformFailures = (await journal.listWaveRuntimes(id)).filter((r) => r.state === 'finished' && r.result?.class === 'platform');
    await checkApproval(journal, ctx.services, wave.env as EnvName, wave.planHash, ctx.user, 'retry-failed', {
      command: { name: 'retry-failed', argv: [id, '--yes'] },
      subject: { kind: 'wave', waveId: id },
      detail: [
        `retry-failed of wave ${id} (${wave.env}, ${wave.target}, ${status.state}): ${platformFailures.length} runtimes that failed on the platform side run again`,
        ...platformFailures.slice(0, 20).map((r) => `  ${r.runtimeId} ${r.result!.outcome}${r.result!.reason ? `/${r.result!.reason}` : ''}: ${r.result!.message.slice(0, 160)}`),
        ...(platformFailures.length > 20 ? [`  … and ${platformFailures.length - 20} more (status ${id})`] : []),
      ].join('\n'),
    });
    const failed = platformFailures.map((r) => r.runtimeId);
    if (!failed.length) return ok(`${id} has no platform failures to retry`, status);
    await confirmChange(ctx, !!args.values.yes, `retry-failed ${id} (${wave.env}, ${wave.target}): ${failed.length} runtimes that failed on the platform side run again`, 'retry-failed changes clusters: confirm with --yes', retryFailed.examples[0]);
    await journal.resetRuntimes(id, failed);
    await journal.setWaveControl(id, 'none');
    await journal.audit({ actor: ctx.user, action: 'retry-failed', subject: id, detail: { runtimes: failed.length } });
    ctx.progress?.(`retrying ${failed.length} runtimes of ${id}`);
    const wave2 = (await journal.getWave(id))!;
    const eligible = (await journal.listWaveRuntimes(id)).length;
    return leaseHeldAsRefusal(() => driveWave(ctx, wave2, eligible));
  },
};

/** The approval action that lets wave `waveId` run `n` at once (Prod, above what was approved). */
export function concurrencyAction(waveId: string, n: number): string {
  return `set-concurrency:${waveId}:${n}`;
}

/**
 * The highest concurrency approved for a wave: its plan's (what on-call approved with the run), or a raise approved
 * and used since (`set-concurrency:<waveId>:<n>`).
 */
async function approvedConcurrency(journal: Journal, wave: Wave): Promise<number> {
  const plan = await journal.getPlan(wave.planHash);
  const planned = (plan?.document as { concurrency?: unknown } | undefined)?.concurrency;
  let max = typeof planned === 'number' ? planned : 0;
  const prefix = `set-concurrency:${wave.waveId}:`;
  for (const a of await journal.listApprovals(wave.planHash)) {
    if (!a.usedAt || !a.action.startsWith(prefix)) continue;
    const raised = Number(a.action.slice(prefix.length));
    if (Number.isInteger(raised) && raised > max) max = raised;
  }
  return max;
}

export const setConcurrency: CommandSpec = {
  name: 'set-concurrency',
  summary: 'change how many runtimes a wave runs at once (Prod: above the approved value needs a new approval)',
  usage: 'set-concurrency WAVE N',
  examples: ['set-concurrency stage-20261125-1 16'],
  permission: 'operate',
  mutates: false,
  options: { json: { type: 'boolean' } },
  async run(ctx, args) {
    const id = waveArg(args.positionals[0], setConcurrency);
    const n = intOption(args.positionals[1], 'N', setConcurrency);
    if (n === undefined || n > 1000) throw new CommandError('give a concurrency between 1 and 1000', 2, setConcurrency.examples[0]);
    const { journal, wave } = await loadWave(ctx, id);
    const env = wave.env as EnvName;
    let approvedBy: string | null = null;
    if (ctx.services.approvalRequired(env)) {
      const approved = await approvedConcurrency(journal, wave);
      if (n > approved) {
        approvedBy = await checkApproval(journal, ctx.services, env, wave.planHash, ctx.user, concurrencyAction(id, n), {
          command: { name: 'set-concurrency', argv: [id, String(n)] },
          subject: { kind: 'wave', waveId: id },
          detail: `set-concurrency of wave ${id} (${wave.env}, ${wave.target}) from ${wave.concurrency} to ${n}: above the approved ${approved}`,
        });
      }
    }
    await journal.setWaveConcurrency(id, n);
    await journal.audit({ actor: ctx.user, action: 'set-concurrency', subject: id, detail: { concurrency: n, ...(approvedBy ? { approvedBy } : {}) } });
    return ok(`${id}: concurrency ${n}${approvedBy ? ` (approved by ${approvedBy})` : ''}`, await waveStatus(journal, (await journal.getWave(id))!));
  },
};

export const status: CommandSpec = {
  name: 'status',
  summary: 'the waves and their counts, or one wave',
  usage: 'status [WAVE] [--json]',
  examples: ['status', 'status stage-20261125-1 --json'],
  permission: 'read',
  mutates: false,
  options: { json: { type: 'boolean' } },
  async run(ctx, args) {
    const journal = await ctx.services.journal();
    if (args.positionals[0]) {
      const id = waveArg(args.positionals[0], status);
      const { wave } = await loadWave(ctx, id);
      const s = await waveStatus(journal, wave);
      const counts = Object.entries(s.counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
      return ok(`${s.waveId} (${s.env}, ${s.target}) ${s.state}: ${counts || 'no runtimes'}; requested by ${s.requestedBy}${s.approvedBy ? `, approved by ${s.approvedBy}` : ''}`, s);
    }
    const waves = await Promise.all((await journal.listWaves()).map((w) => waveStatus(journal, w)));
    const text = waves.length ? waves.map((s) => `${s.waveId} ${s.state} ${s.target}: ${Object.entries(s.counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')}`).join('\n') : 'no waves yet';
    return ok(text, { waves });
  },
};
