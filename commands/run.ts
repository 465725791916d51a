import type { EnvName } from '../src/config/config.js';
import type { Wave, WaveRuntime, WaveState } from '../src/journal/journal.js';
import { ApprovalUsedError, WaveActiveError } from '../src/journal/errors.js';
import { ACTIVE_WAVE_STATES } from '../src/journal/ids-and-states.js';
import { planWave, type PlanDocument } from '../src/rollout/plan-wave.js';
import { frozenBy, frozenText } from '../src/rollout/freeze.js';
import { eligibilityRecheck } from '../src/rollout/eligibility-recheck.js';
import { runWave, type WaveEvent } from '../src/rollout/wave-runner.js';
import { effectiveState, waveStatus, type WaveStatus } from '../src/rollout/wave-status.js';
import { outOfOrder, runbookState } from '../src/rollout/runbook.js';
import { findApproval, type ApprovalAsk } from '../src/rollout/approvals.js';
import { WaveProgress } from './wave-progress.js';
import { count, countsWords, duration, waveStateWords } from '../src/text/words.js';
import { renderPlan } from './plan.js';
import { confirmChange, envArg, intOption, MAX_CONCURRENCY, noStoredPlan, planFromArgs, resumeCommand } from './shared.js';
import { waveBudget } from '../src/rollout/wave-budget.js';
import { CommandError, type CommandContext, type CommandResult, type CommandSpec } from './types.js';

interface StoredInput {
  specs: string[];
  excludes: string[];
  sample?: string;
  concurrency?: string;
}

/** What differs between a stored plan and its re-resolution, in the hash's terms (C5), one line per item. */
export function planDifference(saved: PlanDocument, now: PlanDocument): string[] {
  const out: string[] = [];
  const list = (ids: string[]) => `${ids.slice(0, 10).join(' ')}${ids.length > 10 ? ` … (${ids.length})` : ''}`;
  const before = new Set(saved.runtimes.map((r) => r.runtimeId));
  const after = new Set(now.runtimes.map((r) => r.runtimeId));
  const skipped = new Map(now.skipped.map((s) => [s.runtimeId, s.reason]));
  const removed = [...before].filter((r) => !after.has(r));
  const added = [...after].filter((r) => !before.has(r));
  if (removed.length) out.push(`no longer eligible (${removed.length}): ${list(removed.map((r) => `${r} (${skipped.get(r) ?? 'gone: not in KEB/Gardener or no longer in the target'})`))}`);
  if (added.length) out.push(`newly eligible (${added.length}): ${list(added)}`);
  const templates = (d: PlanDocument) => d.preflight.templates.map((t) => `${t.channel}:${t.name}:${t.version}`).sort().join(' ') || 'none';
  if (templates(saved) !== templates(now)) out.push(`module templates: ${templates(saved)} → ${templates(now)}`);
  for (const k of ['budget', 'alpha', 'deadlineSeconds', 'concurrency'] as const) if (saved[k] !== now[k]) out.push(`${k}: ${saved[k]} → ${now[k]}`);
  const ex = (d: PlanDocument) => [...d.excludes].sort().join(' ') || 'none';
  if (ex(saved) !== ex(now)) out.push(`excludes: ${ex(saved)} → ${ex(now)}`);
  return out;
}

/** One wave per environment: the refusal naming the active wave and what to do about it. */
function activeWaveRefusal(env: string, waveId: string, state: WaveState): CommandError {
  const what =
    state === 'interrupted'
      ? `it has no live runner and the bot resumes it (or: resume ${waveId}); abort ${waveId} to give it up`
      : state === 'paused'
        ? `resume ${waveId} to continue it, or abort ${waveId}`
        : `wait for it to end, or drain ${waveId} (finish in-flight runtimes, start no more) / abort ${waveId}`;
  return new CommandError(`wave ${waveId} is still ${state} in ${env}: one wave per environment at a time — ${what}; then run again`, 1, `status ${waveId}`);
}

function renderStatus(s: WaveStatus): string {
  return `${s.waveId} ${waveStateWords(s.state, s.counts.pending)} — ${countsWords(s.state, s.counts) || 'no runtimes'}`;
}

/** 3 when the wave ended with failures or before its end (budget spent, aborted, drained with runtimes never started). */
export function exitCodeOfWave(s: WaveStatus): 0 | 3 {
  const c = s.counts;
  const failures = c['multiple-istio-crs'] + c['kyma-cr-missing'] + c['kyma-cr-ambiguous'] + c['module-template-missing'] + c.timeout + c.error;
  return failures > 0 || s.state === 'aborted' || s.state === 'budget-stopped' || (s.state === 'finished' && c.pending > 0) ? 3 : 0;
}

/** What to do after a wave that ended: the next command for each kind of leftover, as the command will take it. */
function nextSteps(s: WaveStatus, platformFailures: number, customer: number, stoppedBy?: 'wave' | 'global'): string[] {
  const out: string[] = [];
  // Stopped by its own budget, it would stop again at once: only a larger budget continues it. Stopped by the global
  // budget (the failures of all running waves), its own budget is not what holds it.
  if (s.state === 'budget-stopped' && stoppedBy === 'global') out.push(`resume ${s.waveId} continues it once the global error budget has room again (it counts the platform failures of all running waves: retry-failed or abort the waves that spent it)`);
  else if (s.state === 'budget-stopped') out.push(`${resumeCommand(s.waveId, platformFailures)} continues it with a larger error budget (more than its ${count(platformFailures, 'platform failure')})`);
  if (s.state === 'interrupted' || s.state === 'aborted') out.push(`${resumeCommand(s.waveId)} continues it`);
  // Drained: the wave has ended; what never started is planned again.
  if (s.state === 'finished' && s.counts.pending > 0) out.push(`its ${count(s.counts.pending, 'runtime')} never started (drained): plan ${s.env} ${s.target} again for them (with the wave's --exclude and --sample, if it had them)`);
  if (platformFailures) out.push(`retry-failed ${s.waveId} runs the ${count(platformFailures, 'platform failure')} again`);
  if (customer) out.push(`tasks lists the customer-contact ${customer === 1 ? 'task' : 'tasks'}`);
  return out;
}

/** The end of a wave run here: its status line, then what needs attention and what to do next. */
function waveSummary(s: WaveStatus, runtimes: WaveRuntime[], seconds: number, stoppedBy?: 'wave' | 'global'): string {
  const attention = runtimes.filter((r) => r.state === 'finished' && r.result && r.result.class !== 'none' && r.result.class !== 'not-eligible').sort((a, b) => a.runtimeId.localeCompare(b.runtimeId));
  const platform = attention.filter((r) => r.result!.class === 'platform').length;
  const lines = [`${renderStatus(s)} (${count(runtimes.length, 'runtime')}, ${duration(seconds)} here)`];
  if (attention.length) {
    lines.push(`needs attention (${attention.length}):`);
    for (const r of attention.slice(0, 20)) lines.push(`  ${r.runtimeId} (${r.runtime.shootName}) ${r.result!.outcome}${r.result!.reason ? `/${r.result!.reason}` : ''}: ${r.result!.message}`);
    if (attention.length > 20) lines.push(`  … ${attention.length - 20} more: status ${s.waveId}, export ${s.waveId}`);
  }
  const next = nextSteps(s, platform, attention.length - platform, stoppedBy);
  if (next.length) lines.push(`next: ${next.join('; ')}`);
  return lines.join('\n');
}

/** Runs (or resumes) a wave in this process until it ends, reporting progress. */
export async function driveWave(ctx: CommandContext, wave: Wave, eligible: number, opts: { takeOverFrom?: string; retry?: boolean; recheck?: boolean } = {}): Promise<CommandResult> {
  const services = ctx.services;
  const journal = await services.journal();
  const env = wave.env as EnvName;
  if (services.leadership && !(await services.leadership.tick())) {
    // A bot replica that does not lead (docs/ha.md): the leader runs every wave. The wave is left without a runner
    // (`interrupted`), which the leader resumes at its next scan, within seconds.
    if (!['running', 'paused', 'draining', 'interrupted'].includes(wave.state)) await journal.setWaveState(wave.waveId, 'interrupted');
    await journal.audit({ actor: ctx.user, action: 'hand-over', subject: wave.waveId, detail: { to: 'leader', from: services.leadership.holder } });
    const status = await waveStatus(journal, (await journal.getWave(wave.waveId))!);
    return { exitCode: 0, text: `${wave.waveId} is run by the leader replica; it starts there within seconds (status ${wave.waveId})`, json: { ...status, handedOver: true } };
  }
  const before = await journal.listWaveRuntimes(wave.waveId);
  const budget = await waveBudget(journal, services, wave, eligible); // a resume --budget N recorded for this wave wins
  const startedAt = Date.now();
  const tracker = new WaveProgress({
    waveId: wave.waveId,
    total: before.length,
    done: before.filter((r) => r.state === 'finished').length,
    failures: before.filter((r) => r.state === 'finished' && r.result?.class === 'platform').length,
    budget,
    now: startedAt,
  });
  // At a terminal: one live line (counts, in flight, ETA, budget left) and a line for each runtime that needs
  // attention. Elsewhere: a plain line per runtime, prefixed with the counts.
  const live = ctx.status;
  let stoppedBy: 'wave' | 'global' | undefined;
  const onEvent = (e: WaveEvent) => {
    if (e.waveId !== wave.waveId) return;
    if (e.type === 'runtime-started') {
      tracker.started();
      live?.(tracker.line(Date.now()));
    } else if (e.type === 'runtime-finished') {
      tracker.finished(e.result.class === 'platform', Date.parse(e.result.finishedAt));
      const line = `${e.runtimeId} ${e.result.outcome}${e.result.reason ? `/${e.result.reason}` : ''}: ${e.result.message}`;
      if (live) {
        if (e.result.class !== 'none') ctx.progress?.(line);
        live(tracker.line(Date.now()));
      } else ctx.progress?.(`[${tracker.fraction}] ${line}`);
    } else if (e.type === 'budget-stopped') {
      stoppedBy = e.scope === 'global' ? 'global' : 'wave';
      ctx.progress?.(`${e.scope === 'global' ? 'global error budget (over all running waves)' : 'error budget'} spent: ${count(e.failures, 'platform failure')}, budget ${e.budget}; the wave stops starting runtimes`);
    } else if (e.type === 'state') {
      tracker.stateChanged(e.state);
      ctx.progress?.(`wave ${e.waveId} is ${e.state}`);
      live?.(tracker.line(Date.now()));
    }
  };
  services.events.on('event', onEvent);
  try {
    const finished = await runWave(
      { journal, access: await services.access(env), budget, ...(await services.guardDeps(env, wave.waveId)), globalBudget: services.globalBudget, holder: services.holder, takeOverFrom: opts.takeOverFrom, retry: opts.retry, recheck: opts.recheck ? eligibilityRecheck(services, env) : undefined, stop: services.leadership?.signal, events: services.events, throttle: services.throttle(env), leaseTtlMs: Number(process.env.ISTIO_MIGRATE_LEASE_TTL_MS) || undefined /* tests: a dead runner's lease lapses fast */ },
      wave.waveId,
    );
    live?.('');
    const status = await waveStatus(journal, finished);
    await journal.audit({ actor: ctx.user, action: 'wave-ended', subject: wave.waveId, detail: { state: status.state, counts: status.counts } });
    const text = waveSummary(status, await journal.listWaveRuntimes(wave.waveId), (Date.now() - startedAt) / 1000, stoppedBy);
    return { exitCode: exitCodeOfWave(status), text, json: status };
  } finally {
    live?.('');
    services.events.off('event', onEvent);
  }
}

export const run: CommandSpec = {
  name: 'run',
  summary: 'run a plan as a wave (Prod: needs an on-call approval of the plan hash)',
  usage: 'run <env> <target>… [--exclude SPEC]… [--sample N] [--concurrency N] [--force] [--yes] [--json] | run --plan HASH [--force] [--yes] [--json]',
  examples: ['run stage kyma-test --sample 5 --yes', 'run --plan 3f2a9c1b7d4e --yes', 'run dev all --yes'],
  permission: 'operate',
  mutates: true,
  journal: 'create',
  options: {
    exclude: { type: 'string', multiple: true },
    sample: { type: 'string' },
    concurrency: { type: 'string' },
    plan: { type: 'string' },
    yes: { type: 'boolean' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(ctx, args) {
    const services = ctx.services;
    const journal = await services.journal();
    // The two forms (the usage's `|`), told apart before anything else: a usage error is exit 2 whether or not a
    // terminal could have asked for confirmation.
    if (args.values.plan) {
      const extra = [...args.positionals.map((p) => JSON.stringify(p)), ...(['exclude', 'sample', 'concurrency'] as const).filter((k) => args.values[k] !== undefined).map((k) => `--${k}`)];
      if (extra.length) {
        throw new CommandError(
          `run --plan runs the stored plan as it was planned and reviewed: ${extra.join(', ')} cannot be given with it. To change the environment, targets, excludes, sample or concurrency, plan again with them and run the new hash`,
          2,
          'run --plan 3f2a9c1b7d4e --yes',
        );
      }
    } else {
      envArg(args.positionals[0], run);
      if (args.positionals.length < 2) throw new CommandError('name a target: a set from the config or a selector', 2, run.examples[0]);
      intOption(args.values.sample, '--sample', run);
      intOption(args.values.concurrency, '--concurrency', run, 1, MAX_CONCURRENCY);
    }
    if (!ctx.interactive && !args.values.yes) {
      throw new CommandError('run changes clusters: confirm with --yes (no terminal to ask)', 1, run.examples[0]);
    }
    let doc: PlanDocument;
    if (args.values.plan) {
      const prefix = String(args.values.plan);
      const stored = (await journal.getPlan(prefix)) ?? undefined;
      if (!stored) throw noStoredPlan(prefix);
      const saved = stored.document as PlanDocument & { input: StoredInput };
      doc = await planWave(services, {
        env: saved.env,
        specs: saved.input.specs,
        excludes: saved.input.excludes,
        sample: saved.input.sample ? Number(saved.input.sample) : undefined,
        concurrency: saved.input.concurrency ? Number(saved.input.concurrency) : undefined,
        // A sample is not drawn again: the stored runtimes must all still be eligible (a new draw could differ).
        only: saved.input.sample ? saved.runtimes.map((r) => r.runtimeId) : undefined,
      });
      if (doc.hash !== saved.hash) {
        const diff = planDifference(saved, doc);
        throw new CommandError(
          `the landscape changed since plan ${saved.hash.slice(0, 12)}: now ${doc.hash.slice(0, 12)}${diff.length ? `:\n${diff.map((d) => `  ${d}`).join('\n')}\n` : ' '}Re-plan and review.`,
          1,
        );
      }
    } else {
      doc = await planFromArgs(ctx, args, run);
    }
    ctx.progress?.(renderPlan(doc, services.configFile));
    // A cancelled plan does not run until it is planned again (`plan` lifts the cancellation; a journal record).
    const cancelled = await journal.planCancellation(doc.hash);
    if (cancelled) {
      throw new CommandError(`plan ${doc.hash.slice(0, 12)} was cancelled by ${cancelled.cancelledBy} at ${cancelled.cancelledAt}: plan it again to lift the cancellation (and review it), then run`, 1, `plan ${doc.env} ${doc.target}`);
    }
    if (!doc.preflight.ok && !args.values.force) {
      throw new CommandError(`preflight failed: ${doc.preflight.problems.join('; ')} (--force overrides; it is recorded)`, 1);
    }
    const freeze = await frozenBy(journal, doc.env);
    if (freeze) throw new CommandError(`${frozenText(doc.env, freeze)}: no new waves (unfreeze ${freeze} first)`, 1, `unfreeze ${freeze}`);
    // One wave per environment; an interrupted wave counts (the bot resumes it). Checked early for a quick answer,
    // and again atomically by createWave below (two concurrent runs, or another process, pass this check together).
    const [active] = await journal.listWaves({ env: doc.env, states: [...ACTIVE_WAVE_STATES] });
    if (active) throw activeWaveRefusal(doc.env, active.waveId, await effectiveState(journal, active));
    // The doc's order: refuse a runbook step whose earlier steps are not done and verified, unless forced
    // (recorded; in Prod a forced run needs an approval of `force`, below).
    // Judged on the runtimes the wave touches, whatever selector named them.
    const namedSets = services.envConfig(doc.env).targets;
    const order = outOfOrder(await runbookState(journal, doc.env, namedSets), doc.runtimes, doc.sample, namedSets);
    if (order && !args.values.force) {
      throw new CommandError(
        `out of order: this wave touches ${order.touched} runtimes of "${order.step.title}", step ${order.step.index} of the ${doc.env} runbook, but ${order.missing.map((m) => `step ${m.index} (${m.title})`).join(', ')} is not done and verified. See runbook ${doc.env}; --force overrides (recorded).`,
        1,
      );
    }
    // A forced run that overrides something (failed preflight, runbook order) needs an approval of `force`: on-call
    // sees what is overridden. Otherwise an approval of `run`.
    const overridden = [...(doc.preflight.ok ? [] : doc.preflight.problems.map((p) => `preflight: ${p}`)), ...(order ? [`runbook order: ${order.missing.map((m) => `step ${m.index} (${m.title})`).join(', ')} not done and verified before "${order.step.title}"`] : [])];
    const forced = !!args.values.force && overridden.length > 0;
    const need: ApprovalAsk = {
      command: { name: 'run', argv: ['--plan', doc.hash, '--yes', ...(forced ? ['--force'] : [])] },
      subject: { kind: 'plan' },
      detail: forced ? `run --force overrides:\n${overridden.map((o) => `  ! ${o}`).join('\n')}\n${renderPlan(doc, services.configFile)}` : renderPlan(doc, services.configFile),
    };
    const action = forced ? 'force' : 'run';
    // Each wave needs an approval of its own: the wave uses it up as it is created (below), also for the same hash.
    const approval = (await findApproval(journal, services, doc.env, doc.hash, ctx.user, action, need))?.[0];
    const approvedBy = approval?.approver ?? null;
    await confirmChange(
      ctx,
      !!args.values.yes,
      `run ${doc.env} ${doc.target}: migrate ${count(doc.runtimes.length, 'runtime')} as a new wave (plan ${doc.hash.slice(0, 12)}, concurrency ${doc.concurrency}${forced ? `, FORCED: ${overridden.join('; ')}` : ''})`,
      'run changes clusters: confirm with --yes',
      run.examples[0],
    );
    if (args.values.force) await journal.audit({ actor: ctx.user, action: 'force', subject: doc.hash, detail: { problems: doc.preflight.problems, outOfOrder: order ? order.missing.map((m) => m.index) : [] } });
    let wave: Wave;
    try {
      wave = await journal.createWave(
        { env: doc.env, target: doc.target, planHash: doc.hash, state: 'running', concurrency: doc.concurrency, requestedBy: ctx.user, approvedBy },
        doc.runtimes,
        undefined,
        { exclusive: true, ...(approval?.id !== undefined ? { consumeApproval: { id: approval.id, usedBy: ctx.user } } : {}) },
      );
    } catch (e) {
      // Another run created its wave since the check above (it may not hold its lease yet: show the stored state).
      if (e instanceof WaveActiveError) throw activeWaveRefusal(doc.env, e.waveId, e.state);
      if (e instanceof ApprovalUsedError) {
        // Another wave used the approval meanwhile: refused for want of one (Slack asks on-call) unless another is valid.
        await findApproval(journal, services, doc.env, doc.hash, ctx.user, action, need);
        throw new CommandError(`${e.message}; run again to use another valid approval`, 1);
      }
      throw e;
    }
    await journal.audit({ actor: ctx.user, action: 'run', subject: wave.waveId, detail: { planHash: doc.hash, runtimes: doc.runtimes.length, approvedBy } });
    ctx.progress?.(`wave ${wave.waveId} started: ${count(doc.runtimes.length, 'runtime')}, concurrency ${doc.concurrency}`);
    return driveWave(ctx, wave, doc.runtimes.length);
  },
};
