import type { Services } from '../src/app/services.js';
import type { EnvName } from '../src/config/config.js';
import type { Journal, Wave } from '../src/journal/journal.js';
import { planWave, type PlanDocument } from '../src/rollout/plan-wave.js';
import { runWave, type WaveEvent } from '../src/rollout/wave-runner.js';
import { waveStatus, type WaveStatus } from '../src/rollout/wave-status.js';
import { outOfOrder, runbookState } from '../src/rollout/runbook.js';
import { renderPlan } from './plan.js';
import { planFromArgs } from './shared.js';
import { ApprovalNeededError, CommandError, type ApprovalNeed, type CommandContext, type CommandResult, type CommandSpec } from './types.js';

interface StoredInput {
  specs: string[];
  excludes: string[];
  sample?: string;
  concurrency?: string;
}

/**
 * Prod (or a configured environment) needs a valid approval of exactly this plan hash and action, by someone other
 * than the requester. Without one: an ApprovalNeededError carrying what to ask on-call for and the command to run
 * again once approved (`ask`), so that Slack can post an approval request; the shell and the console show the text.
 */
export async function checkApproval(journal: Journal, services: Services, env: EnvName, hash: string, requester: string, action: string, ask: Pick<ApprovalNeed, 'command' | 'subject' | 'detail'>): Promise<string | null> {
  if (!services.approvalRequired(env)) return null;
  const now = Date.now();
  const valid = (await journal.listApprovals(hash)).filter((a) => a.action === action && a.approver !== requester && Date.parse(a.expiresAt) > now);
  if (!valid.length) {
    const how = `istio-migrate approve ${hash.slice(0, 12)} --as <on-call user>${action === 'run' ? '' : ` --action ${action}`}`;
    throw new ApprovalNeededError(
      `${env} needs an on-call approval of plan ${hash.slice(0, 12)} for "${action}" by someone other than ${requester}; none is valid (ask on-call to approve: ${how}, or the Slack button)`,
      { env, planHash: hash, action, requester, ...ask },
    );
  }
  return valid[0].approver;
}

function renderStatus(s: WaveStatus): string {
  const c = s.counts;
  const parts = Object.entries(c)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  return `${s.waveId} ${s.state} — ${parts.join(', ') || 'no runtimes'}`;
}

export function exitCodeOfWave(s: WaveStatus): 0 | 3 {
  const c = s.counts;
  const failures = c['multiple-istio-crs'] + c['kyma-cr-missing'] + c['kyma-cr-ambiguous'] + c['module-template-missing'] + c.timeout + c.error;
  return failures > 0 || s.state === 'aborted' || s.state === 'budget-stopped' ? 3 : 0;
}

/** Runs (or resumes) a wave in this process until it ends, reporting progress. */
export async function driveWave(ctx: CommandContext, wave: Wave, eligible: number): Promise<CommandResult> {
  const services = ctx.services;
  const journal = await services.journal();
  const env = wave.env as EnvName;
  const onEvent = (e: WaveEvent) => {
    if (e.waveId !== wave.waveId) return;
    if (e.type === 'runtime-finished') ctx.progress?.(`${e.runtimeId} ${e.result.outcome}${e.result.reason ? `/${e.result.reason}` : ''}: ${e.result.message}`);
    else if (e.type === 'budget-stopped') ctx.progress?.(`error budget spent: ${e.failures} platform failures, budget ${e.budget}; the wave stops starting runtimes`);
    else if (e.type === 'state') ctx.progress?.(`wave ${e.waveId} is ${e.state}`);
  };
  services.events.on('event', onEvent);
  try {
    const finished = await runWave(
      { journal, access: await services.access(env), budget: services.budget(env, eligible), holder: services.holder, events: services.events, throttle: services.limiter.throttle, leaseTtlMs: Number(process.env.ISTIO_MIGRATE_LEASE_TTL_MS) || undefined /* tests: a dead runner's lease lapses fast */ },
      wave.waveId,
    );
    const status = await waveStatus(journal, finished);
    await journal.audit({ actor: ctx.user, action: 'wave-ended', subject: wave.waveId, detail: { state: status.state, counts: status.counts } });
    return { exitCode: exitCodeOfWave(status), text: renderStatus(status), json: status };
  } finally {
    services.events.off('event', onEvent);
  }
}

export const run: CommandSpec = {
  name: 'run',
  summary: 'run a plan as a wave (Prod: needs an on-call approval of the plan hash)',
  usage: 'run <env> <target>… [--exclude SPEC]… [--sample N] [--concurrency N] [--yes] [--json] | run --plan HASH [--yes]',
  examples: ['run stage kyma-test --sample 5 --yes', 'run --plan 3f2a9c1b7d4e --yes', 'run dev all --yes'],
  permission: 'operate',
  mutates: true,
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
    if (!ctx.interactive && !args.values.yes) {
      throw new CommandError('run changes clusters: confirm with --yes (no terminal to ask)', 1, run.examples[0]);
    }
    let doc: PlanDocument;
    if (args.values.plan) {
      const prefix = String(args.values.plan);
      const stored = (await journal.getPlan(prefix)) ?? undefined;
      if (!stored) throw new CommandError(`no stored plan ${prefix}: plan first (istio-migrate plan …) and pass its full hash`, 1, 'plan stage kyma-test');
      const saved = stored.document as PlanDocument & { input: StoredInput };
      doc = await planWave(services, {
        env: saved.env,
        specs: saved.input.specs,
        excludes: saved.input.excludes,
        sample: saved.input.sample ? Number(saved.input.sample) : undefined,
        concurrency: saved.input.concurrency ? Number(saved.input.concurrency) : undefined,
      });
      if (saved.input.sample) doc = { ...doc, runtimes: saved.runtimes, hash: saved.hash };
      if (doc.hash !== saved.hash) {
        const before = new Set(saved.runtimes.map((r) => r.runtimeId));
        const now = new Set(doc.runtimes.map((r) => r.runtimeId));
        const added = [...now].filter((r) => !before.has(r));
        const removed = [...before].filter((r) => !now.has(r));
        throw new CommandError(`the landscape changed since plan ${saved.hash.slice(0, 12)}: now ${doc.hash.slice(0, 12)} (+${added.length} ${added.slice(0, 5).join(' ')}; −${removed.length} ${removed.slice(0, 5).join(' ')}). Re-plan and review.`, 1);
      }
    } else {
      doc = await planFromArgs(ctx, args, run);
    }
    ctx.progress?.(renderPlan(doc));
    if (!doc.preflight.ok && !args.values.force) {
      throw new CommandError(`preflight failed: ${doc.preflight.problems.join('; ')} (--force overrides; it is recorded)`, 1);
    }
    const frozen = (await journal.getSetting(`freeze:${doc.env}`)) === 'true' || (await journal.getSetting('freeze:all')) === 'true';
    if (frozen) throw new CommandError(`${doc.env} is frozen: no new waves (unfreeze ${doc.env} first)`, 1);
    const running = (await journal.listWaves({ env: doc.env, states: ['running', 'paused', 'draining'] })).filter((w) => w.waveId);
    for (const w of running) {
      const st = await waveStatus(journal, w);
      if (st.state !== 'interrupted') throw new CommandError(`wave ${w.waveId} is still ${st.state} in ${doc.env}: one wave per environment at a time`, 1);
    }
    // The doc's order: refuse a runbook step whose earlier steps are not done and verified, unless forced
    // (recorded; in Prod a forced run needs an approval of `force`, below).
    const order = outOfOrder(await runbookState(journal, doc.env, services.envConfig(doc.env).targets), doc.target, doc.sample);
    if (order && !args.values.force) {
      throw new CommandError(
        `out of order: "${order.step.title}" is step ${order.step.index} of the ${doc.env} runbook, but ${order.missing.map((m) => `step ${m.index} (${m.title})`).join(', ')} is not done and verified. See runbook ${doc.env}; --force overrides (recorded).`,
        1,
      );
    }
    // A forced run that overrides something (failed preflight, runbook order) needs an approval of `force`: on-call
    // sees what is overridden. Otherwise an approval of `run`.
    const overridden = [...(doc.preflight.ok ? [] : doc.preflight.problems.map((p) => `preflight: ${p}`)), ...(order ? [`runbook order: ${order.missing.map((m) => `step ${m.index} (${m.title})`).join(', ')} not done and verified before "${order.step.title}"`] : [])];
    const forced = !!args.values.force && overridden.length > 0;
    const approvedBy = await checkApproval(journal, services, doc.env, doc.hash, ctx.user, forced ? 'force' : 'run', {
      command: { name: 'run', argv: ['--plan', doc.hash, '--yes', ...(forced ? ['--force'] : [])] },
      subject: { kind: 'plan' },
      detail: forced ? `run --force overrides:\n${overridden.map((o) => `  ! ${o}`).join('\n')}\n${renderPlan(doc)}` : renderPlan(doc),
    });
    if (args.values.force) await journal.audit({ actor: ctx.user, action: 'force', subject: doc.hash, detail: { problems: doc.preflight.problems, outOfOrder: order ? order.missing.map((m) => m.index) : [] } });
    const wave = await journal.createWave(
      { env: doc.env, target: doc.target, planHash: doc.hash, state: 'running', concurrency: doc.concurrency, requestedBy: ctx.user, approvedBy },
      doc.runtimes,
    );
    await journal.audit({ actor: ctx.user, action: 'run', subject: wave.waveId, detail: { planHash: doc.hash, runtimes: doc.runtimes.length, approvedBy } });
    ctx.progress?.(`wave ${wave.waveId} started: ${doc.runtimes.length} runtimes, concurrency ${doc.concurrency}`);
    return driveWave(ctx, wave, doc.runtimes.length);
  },
};
