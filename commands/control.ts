/**
 * The wave controls: pause, resume, drain, abort, set-concurrency, retry-failed, status. They act through the
 * journal, so they reach a wave running in another process within a second; `resume` and `retry-failed` run
 * the wave here when no runner holds it (after a crash: C5 resume).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Journal, Wave, WaveControl, WaveState } from '../src/journal/journal.js';
import { ACTIVE_WAVE_STATES } from '../src/journal/ids-and-states.js';
import { frozenBy, frozenText } from '../src/rollout/freeze.js';
import { LeaseHeldError } from '../src/rollout/wave-runner.js';
import { effectiveState, limitText, platformFailuresOf, waveCounts, waveStatus, type WaveStatus } from '../src/rollout/wave-status.js';
import { count, countsWords, waveStateWords } from '../src/text/words.js';
import { runnerLiveness } from '../src/rollout/runner-identity.js';
import { approvedConcurrency, budgetAction, checkApproval, concurrencyAction } from '../src/rollout/approvals.js';
import { driveWave } from './run.js';
import { confirmChange, intOption, MAX_CONCURRENCY, resumeCommand, waveArg } from './shared.js';
import { waveBudget } from '../src/rollout/wave-budget.js';
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

/**
 * What a wave that runs here again (`resume`, `retry-failed`) needs of its environment, checked before anything is
 * used up or changed: no freeze (it would only pause), and no other active wave (one wave per environment: an ended
 * or interrupted wave comes back only while no other holds it). `then` is the command to give once it is free.
 */
async function refuseUnlessEnvironmentFree(journal: Journal, wave: Wave, then: string): Promise<void> {
  const env = wave.env as EnvName;
  const freeze = await frozenBy(journal, env);
  if (freeze) throw new CommandError(`${frozenText(env, freeze)}: ${wave.waveId} would only pause. unfreeze ${freeze} first, then ${then}; nothing was changed`, 1, `unfreeze ${freeze}`);
  const other = (await journal.listWaves({ env, states: [...ACTIVE_WAVE_STATES] })).find((w) => w.waveId !== wave.waveId);
  if (other) throw new CommandError(`wave ${other.waveId} is ${await effectiveState(journal, other)} in ${env}: one wave per environment at a time — let it end (or abort ${other.waveId}), then ${then}; nothing was changed`, 1, `status ${other.waveId}`);
}

/**
 * The resume command that continues a wave as it is, ready to paste: a wave stopped by its own budget needs a larger
 * one (resume refuses without it), anything else only the confirmation a shell without a terminal needs.
 */
async function resumeHint(journal: Journal, wave: Wave, state: WaveState): Promise<string> {
  return resumeCommand(wave.waveId, state === 'budget-stopped' ? platformFailuresOf((await waveCounts(journal, wave.waveId)).counts) : undefined);
}

/** How long a control's answer waits for a live runner to act on it (runners read controls every 250 ms). */
const OBEY_WAIT_MS = 5000;

/**
 * The wave's status once its runner has acted on a control (`acted` tells by the state), or as it is after
 * OBEY_WAIT_MS: the answer shows what happened rather than the state from before the change.
 */
async function statusAfterControl(journal: Journal, id: string, acted: (s: WaveState) => boolean): Promise<{ status: WaveStatus; acted: boolean }> {
  const until = Date.now() + OBEY_WAIT_MS;
  for (;;) {
    const status = await waveStatus(journal, (await journal.getWave(id))!);
    if (acted(status.state) || Date.now() >= until) return { status, acted: acted(status.state) };
    await sleep(100);
  }
}

/** What a control's runner turns a running wave into. */
const ACTED: Record<'pause' | 'drain' | 'abort', (s: WaveState) => boolean> = {
  pause: (s) => s !== 'running',
  drain: (s) => s !== 'running' && s !== 'paused',
  abort: (s) => s === 'aborted' || s === 'finished',
};

function controlCommand(name: 'pause' | 'drain' | 'abort', control: WaveControl, summary: string): CommandSpec {
  const spec: CommandSpec = {
    name,
    summary,
    usage: `${name} WAVE`,
    examples: [`${name} stage-20261125-1`],
    permission: 'operate',
    mutates: name === 'abort',
    journal: 'existing',
    options: { json: { type: 'boolean' } },
    async run(ctx, args) {
      const id = waveArg(args.positionals[0], spec);
      const { journal, wave } = await loadWave(ctx, id);
      const before = await effectiveState(journal, wave);
      if (name === 'abort' && before === 'aborted') return ok(`${id} is aborted already: nothing changed`, await waveStatus(journal, wave));
      if (before === 'finished' || before === 'aborted') throw new CommandError(`wave ${id} has ended (${before}): nothing to ${name}`, 1, `status ${id}`);
      // A budget-stopped wave runs nothing: pausing or draining it would change nothing. Say what would.
      if (before === 'budget-stopped' && name !== 'abort') {
        const hint = await resumeHint(journal, wave, before);
        throw new CommandError(`wave ${id} is budget-stopped: nothing runs, so there is nothing to ${name}. ${hint} continues it with a larger error budget; abort ${id} gives it up`, 1, hint);
      }
      await journal.setWaveControl(id, control);
      // No live runner to obey (interrupted, budget-stopped): abort ends the wave here, so that it stops holding its
      // environment (one wave per environment). A runner that resumes it meanwhile sees the control and aborts as well.
      if (name === 'abort' && (before === 'interrupted' || before === 'budget-stopped')) await journal.setWaveState(id, 'aborted');
      // An aborted wave's failures no longer count against the global error budget (see global-budget.ts).
      if (name === 'abort') ctx.services.globalBudget?.release(id);
      await journal.audit({ actor: ctx.user, action: name, subject: id, detail: {} });
      const { status, acted } = await statusAfterControl(journal, id, ACTED[name]);
      if (status.state === 'aborted') return ok(`${id} aborted (it was ${before}); unfinished runtimes stay as they are (${await resumeHint(journal, wave, before)} would continue it)`, status);
      if (acted && status.state !== before) return ok(`${id} is ${status.state} (it was ${before})`, status);
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
  summary: 'continue a paused wave, an interrupted one (after a crash) or a budget-stopped one (--budget N) in this process',
  usage: 'resume WAVE [--budget N] [--yes] [--json]',
  examples: ['resume stage-20261125-1 --yes', 'resume dev-20261125-1 --budget 5 --yes'],
  permission: 'operate',
  mutates: true,
  journal: 'existing',
  options: { yes: { type: 'boolean' }, budget: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx, args) {
    const id = waveArg(args.positionals[0], resume);
    const newBudget = intOption(args.values.budget, '--budget', resume);
    const { journal, wave } = await loadWave(ctx, id);
    const status = await waveStatus(journal, wave);
    // Live as far as its lease goes: a runner whose process is gone still holds a valid lease (status already shows
    // it interrupted); liveRunner below finds that out and takes the lease over.
    const lease = await journal.getLease(id);
    const live = ['paused', 'running', 'draining'].includes(wave.state) && !!lease && Date.parse(lease.expiresAt) > Date.now();
    if (status.state === 'finished') throw new CommandError(`wave ${id} has finished: nothing to resume${status.counts.pending ? ` (${status.counts.pending} runtimes never started: plan them again as a new wave)` : ''}`, 1, `status ${id}`);
    if (live && newBudget !== undefined) throw new CommandError(`wave ${id} is ${status.state} with a live runner: its budget can change only once it stopped (a budget-stopped wave takes resume ${id} --budget N)`, 1);
    // Runs the wave here: the decision comes first — nothing changes (not even the control) without it, and the
    // command an approval re-runs carries --yes only because the requester gave it.
    if (!live && !ctx.interactive && !args.values.yes) throw new CommandError('resume runs the wave here: confirm with --yes', 1, resume.examples[0]);
    // Why it could not make progress, rather than "started" and stopped at once.
    const env = wave.env as EnvName;
    const all = await journal.listWaveRuntimes(id);
    const left = all.filter((r) => r.state !== 'finished').length;
    const failures = all.filter((r) => r.state === 'finished' && r.result?.class === 'platform').length;
    const budgetNow = await waveBudget(journal, ctx.services, wave, all.length);
    if (!live) {
      if (!left) return ok(`${id} has nothing left to run (${status.state})`, status);
      await refuseUnlessEnvironmentFree(journal, wave, `resume ${id}`);
      if (newBudget !== undefined && newBudget <= failures) {
        throw new CommandError(`--budget ${newBudget} would stop ${id} again at once: it has ${failures} platform failures already; give more than ${failures}`, 1, resumeCommand(id, failures));
      }
      if (newBudget === undefined && failures >= budgetNow) {
        throw new CommandError(
          `${id} is ${status.state}: its ${failures} platform failures reached its error budget of ${budgetNow}, so it would stop again at once. ` +
            `Continue with a larger budget: resume ${id} --budget ${failures + 1} (recorded${ctx.services.approvalRequired(env) ? '; needs an on-call approval' : ''}); retry-failed ${id} runs the failed runtimes again; abort ${id} gives it up`,
          1,
          resumeCommand(id, failures),
        );
      }
    }
    if (newBudget !== undefined) {
      await checkApproval(journal, ctx.services, env, wave.planHash, ctx.user, budgetAction(id, newBudget), {
        command: { name: 'resume', argv: [id, '--budget', String(newBudget), '--yes'] },
        subject: { kind: 'wave', waveId: id },
        detail: `resume of ${status.state} wave ${id} (${wave.env}, ${wave.target}) with its error budget raised from ${budgetNow} to ${newBudget}: ${failures} platform failures so far; its ${left} unfinished runtimes start again.`,
      });
    }
    // A raised budget's approval covers the resume it comes with.
    if (status.state === 'aborted' && newBudget === undefined) {
      await checkApproval(journal, ctx.services, wave.env as EnvName, wave.planHash, ctx.user, 'resume', {
        command: { name: 'resume', argv: [id, '--yes'] },
        subject: { kind: 'wave', waveId: id },
        detail: `resume of aborted wave ${id} (${wave.env}, ${wave.target}): its ${left} unfinished runtimes start again (in-flight ones re-checked by state, never patched twice); finished ones stay untouched.`,
      });
    }
    let takeOverFrom: string | undefined;
    if (live) {
      // "Live" means its lease has not lapsed; that its runner exists is checked, never assumed (after kill -9 the
      // lease outlives the process).
      const runner = await liveRunner(ctx, id);
      if (runner.alive) {
        await journal.setWaveControl(id, 'none');
        await journal.audit({ actor: ctx.user, action: 'resume', subject: id, detail: { from: status.state } });
        const { status: st, acted } = await statusAfterControl(journal, id, (s) => s !== 'paused');
        return ok(`${id} ${acted ? 'resumed' : 'resume requested'}: its runner ${runner.holder} continues (${runner.evidence})${acted ? '' : `; still ${st.state}`}`, { ...st, runner: runner.holder });
      }
      takeOverFrom = runner.holder;
      ctx.progress?.(`${id}: ${runner.evidence}; it runs here`);
      if (!ctx.interactive && !args.values.yes) throw new CommandError(`${id}: ${runner.evidence}; resume runs the wave here: confirm with --yes`, 1, resume.examples[0]);
    }
    await confirmChange(
      ctx,
      !!args.values.yes,
      `resume ${id} (${wave.env}, ${wave.target}, ${status.state}): ${left} unfinished runtimes run here${newBudget !== undefined ? `, error budget ${budgetNow} → ${newBudget}` : ''}`,
      'resume runs the wave here: confirm with --yes',
      resume.examples[0],
    );
    if (newBudget !== undefined) {
      await journal.setRaisedBudget(id, newBudget);
      await journal.audit({ actor: ctx.user, action: 'set-budget', subject: id, detail: { from: budgetNow, to: newBudget, failures } });
    }
    await journal.setWaveControl(id, 'none');
    await journal.audit({ actor: ctx.user, action: 'resume', subject: id, detail: { from: status.state } });
    ctx.progress?.(`resuming ${id}: ${left} of ${all.length} runtimes left to run, error budget ${newBudget ?? budgetNow} (${failures} platform failures so far)`);
    const current = (await journal.getWave(id))!;
    return leaseHeldAsRefusal(() => driveWave(ctx, current, all.length, { takeOverFrom, recheck: true }));
  },
};

/**
 * Whether the runner holding a wave's lease exists: known at once on its own host (this process's runners, or
 * whether its pid exists); from another host, by watching its lease — a live runner renews it within a third of
 * its TTL, a dead one lets it lapse. Waits for one or the other, saying so.
 */
async function liveRunner(ctx: CommandContext, waveId: string): Promise<{ alive: boolean; holder?: string; evidence: string }> {
  const journal = await ctx.services.journal();
  const first = await journal.getLease(waveId);
  if (!first || Date.parse(first.expiresAt) <= Date.now()) return { alive: false, evidence: 'no runner holds its lease' };
  const liveness = runnerLiveness(first.holder, ctx.services.events.runners);
  if (liveness === 'alive') return { alive: true, holder: first.holder, evidence: `lease until ${first.expiresAt}` };
  if (liveness === 'dead') return { alive: false, holder: first.holder, evidence: `its runner ${first.holder} is gone (no such process on this host), its lease is taken over at once` };
  ctx.progress?.(`${waveId}: its runner ${first.holder} is on another host; waiting for it to renew its lease or for the lease to lapse (until ${first.expiresAt})`);
  for (;;) {
    await new Promise((r) => setTimeout(r, LEASE_WATCH_MS));
    const now = await journal.getLease(waveId);
    if (!now || Date.parse(now.expiresAt) + LEASE_WATCH_MS <= Date.now()) return { alive: false, evidence: `the lease of ${first.holder} lapsed at ${first.expiresAt} without renewal` };
    if (now.holder !== first.holder) return { alive: true, holder: now.holder, evidence: `it took the lease over, until ${now.expiresAt}` };
    if (Date.parse(now.expiresAt) > Date.parse(first.expiresAt)) return { alive: true, holder: now.holder, evidence: `it renewed its lease, until ${now.expiresAt}` };
  }
}

const LEASE_WATCH_MS = 250;

export const retryFailed: CommandSpec = {
  name: 'retry-failed',
  summary: 'run the runtimes of a wave that failed on the platform side again',
  usage: 'retry-failed WAVE [--yes]',
  examples: ['retry-failed stage-20261125-1 --yes'],
  permission: 'operate',
  mutates: true,
  journal: 'existing',
  options: { yes: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(ctx, args) {
    const id = waveArg(args.positionals[0], retryFailed);
    const { journal, wave } = await loadWave(ctx, id);
    const status = await waveStatus(journal, wave);
    if (!['finished', 'budget-stopped', 'aborted', 'interrupted'].includes(status.state)) throw new CommandError(`wave ${id} is ${status.state}; retry when it has ended`, 1);
    // The decision first: the command an approval re-runs carries --yes only because the requester gave it.
    if (!ctx.interactive && !args.values.yes) throw new CommandError('retry-failed changes clusters: confirm with --yes', 1, retryFailed.examples[0]);
    const runtimes = await journal.listWaveRuntimes(id);
    const platformFailures = runtimes.filter((r) => r.state === 'finished' && r.result?.class === 'platform');
    const neverStarted = runtimes.filter((r) => r.state === 'pending').length;
    const leftInFlight = runtimes.filter((r) => r.state !== 'finished' && r.state !== 'pending').length;
    const unfinished = [...(neverStarted ? [`${neverStarted} never started`] : []), ...(leftInFlight ? [`${leftInFlight} left in flight (re-checked by state)`] : [])].join(' and ');
    // A finished (drained) wave is not resumed: what never started is planned again.
    const forUnfinished = status.state === 'finished' ? `plan ${wave.env} ${wave.target} again for them` : `resume ${id}`;
    // Nothing retryable: say so before anything (an approval, a confirmation, the wave) is touched.
    if (!platformFailures.length) {
      const customer = runtimes.filter((r) => r.result?.class === 'customer').length;
      const why = [
        `nothing to retry: ${id} has no runtimes that failed on the platform side`,
        ...(customer ? [`${customer} customer outcomes (more than one Istio CR) are customer-contact tasks: see tasks`] : []),
        ...(unfinished ? [`of its runtimes ${unfinished}: ${forUnfinished}`] : []),
      ].join('; ');
      return ok(why, { ...status, retried: 0 });
    }
    // Whether it can run here at all, before anything is used up or reset (a refusal changes nothing): a live runner
    // (an `interrupted` wave's dead runner can still hold an unexpired lease: taken over), another wave of the
    // environment, a freeze.
    let takeOverFrom: string | undefined;
    const lease = await journal.getLease(id);
    if (lease && Date.parse(lease.expiresAt) > Date.now()) {
      const runner = await liveRunner(ctx, id);
      if (runner.alive) throw new CommandError(`wave ${id} is being run by ${runner.holder} (${runner.evidence}): retry when it has ended; nothing was changed`, 1, `status ${id}`);
      takeOverFrom = runner.holder;
    }
    const env = wave.env as EnvName;
    await refuseUnlessEnvironmentFree(journal, wave, `retry-failed ${id}`);
    await checkApproval(journal, ctx.services, env, wave.planHash, ctx.user, 'retry-failed', {
      command: { name: 'retry-failed', argv: [id, '--yes'] },
      subject: { kind: 'wave', waveId: id },
      detail: [
        `retry-failed of wave ${id} (${wave.env}, ${wave.target}, ${status.state}): ${platformFailures.length} runtimes that failed on the platform side run again`,
        ...platformFailures.slice(0, 20).map((r) => `  ${r.runtimeId} ${r.result!.outcome}${r.result!.reason ? `/${r.result!.reason}` : ''}: ${r.result!.message.slice(0, 160)}`),
        ...(platformFailures.length > 20 ? [`  … and ${platformFailures.length - 20} more (status ${id})`] : []),
      ].join('\n'),
    });
    const failed = platformFailures.map((r) => r.runtimeId);
    const also = unfinished ? ` (and of the ${status.state} wave's other runtimes, ${unfinished})` : '';
    await confirmChange(ctx, !!args.values.yes, `retry-failed ${id} (${wave.env}, ${wave.target}): ${failed.length} runtimes that failed on the platform side run again${also}`, 'retry-failed changes clusters: confirm with --yes', retryFailed.examples[0]);
    await journal.resetRuntimes(id, failed);
    await journal.setWaveControl(id, 'none');
    await journal.audit({ actor: ctx.user, action: 'retry-failed', subject: id, detail: { runtimes: failed.length } });
    ctx.progress?.(`retrying ${failed.length} of ${runtimes.length} runtimes of ${id}${also}`);
    const wave2 = (await journal.getWave(id))!;
    const result = await leaseHeldAsRefusal(() => driveWave(ctx, wave2, runtimes.length, { retry: true, takeOverFrom, recheck: true }));
    // What the retry did, then where the wave stands: never as if the whole wave ran again.
    const retried = new Set(failed);
    const outcomes: Record<string, number> = {};
    for (const r of await journal.listWaveRuntimes(id)) {
      if (!retried.has(r.runtimeId)) continue;
      const k = r.state === 'finished' && r.result ? r.result.outcome : r.state === 'pending' ? 'not started' : 'in flight';
      outcomes[k] = (outcomes[k] ?? 0) + 1;
    }
    const summary = Object.entries(outcomes).map(([k, n]) => `${k} ${n}`).join(', ');
    return { ...result, text: `retried ${failed.length} runtimes of ${id}: ${summary}\nwave: ${result.text}`, json: { ...(result.json as object), retried: failed.length, retriedOutcomes: outcomes } };
  },
};

export const setConcurrency: CommandSpec = {
  name: 'set-concurrency',
  summary: 'change how many runtimes a wave runs at once (Prod: above the approved value needs a new approval)',
  usage: 'set-concurrency WAVE N',
  examples: ['set-concurrency stage-20261125-1 16'],
  permission: 'operate',
  mutates: false,
  journal: 'existing',
  options: { json: { type: 'boolean' } },
  async run(ctx, args) {
    const id = waveArg(args.positionals[0], setConcurrency);
    const n = intOption(args.positionals[1], 'N', setConcurrency, 1, MAX_CONCURRENCY);
    if (n === undefined) throw new CommandError(`give a concurrency between 1 and ${MAX_CONCURRENCY}`, 2, setConcurrency.examples[0]);
    const { journal, wave } = await loadWave(ctx, id);
    const before = await effectiveState(journal, wave);
    // As pause and drain: an ended wave runs nothing, so its concurrency would change nothing.
    if (before === 'finished' || before === 'aborted') throw new CommandError(`wave ${id} has ended (${before}): nothing to set-concurrency`, 1, `status ${id}`);
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

/** How many ended waves `status` lists after the active ones (`--all`: every wave). */
export const RECENT_WAVES = 10;

function statusLine(s: WaveStatus): string {
  return `${s.waveId} ${waveStateWords(s.state, s.counts.pending)} ${s.target}: ${countsWords(s.state, s.counts) || 'no runtimes'}${s.limit ? ` — ${limitText(s.limit)}` : ''}`;
}

export const status: CommandSpec = {
  name: 'status',
  summary: `the active waves and the ${RECENT_WAVES} most recent others (--all: every wave), or one wave`,
  usage: 'status [WAVE] [--all] [--json]',
  examples: ['status', 'status stage-20261125-1 --json', 'status --all'],
  permission: 'read',
  mutates: false,
  journal: 'existing',
  options: { all: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(ctx, args) {
    const journal = await ctx.services.journal();
    if (args.positionals[0]) {
      const id = waveArg(args.positionals[0], status);
      if (args.values.all) throw new CommandError(`status ${id} shows one wave; --all lists every wave: give one of them`, 2, status.examples[2]);
      const { wave } = await loadWave(ctx, id);
      const s = await waveStatus(journal, wave);
      return ok(`${s.waveId} (${s.env}, ${s.target}) ${waveStateWords(s.state, s.counts.pending)}: ${countsWords(s.state, s.counts) || 'no runtimes'}; requested by ${s.requestedBy}${s.approvedBy ? `, approved by ${s.approvedBy}` : ''}${s.limit ? `\n  ${limitText(s.limit)}` : ''}`, s);
    }
    const all = await journal.listWaves(); // newest first
    const active = new Set<string>(ACTIVE_WAVE_STATES);
    const shown = args.values.all ? all : [...all.filter((w) => active.has(w.state)), ...all.filter((w) => !active.has(w.state)).slice(0, RECENT_WAVES)];
    const waves = await Promise.all(shown.map((w) => waveStatus(journal, w)));
    const hidden = all.length - shown.length;
    // A freeze holds every start, with or without a wave: said first.
    const frozen = await journal.frozenScopes();
    const freezeLine = frozen.length ? [`frozen: ${frozen.join(', ')} — no new waves or runtime starts there (unfreeze ${frozen.includes('all') ? 'all' : frozen[0]})`] : [];
    const text = [...freezeLine, ...(waves.length ? [...waves.map(statusLine), ...(hidden ? [`(${count(hidden, 'older wave')} not shown: status --all)`] : [])] : ['no waves yet'])].join('\n');
    return ok(text, { waves, frozen });
  },
};
