import type { PlanDocument } from '../src/rollout/plan-wave.js';
import { scheduleLines } from '../src/rollout/window-forecast.js';
import { previewRuntimes, summarisePredictions, type Prediction } from '../src/rollout/preview.js';
import { count, duration, seconds } from '../src/text/words.js';
import { ok, type CommandSpec } from './types.js';
import { planFromArgs } from './shared.js';

function top(counts: Record<string, number>, n = 8): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const shown = entries.slice(0, n).map(([k, v]) => `${k} ${v}`);
  return entries.length > n ? `${shown.join(', ')}, … (${entries.length - n} more)` : shown.join(', ');
}

/** The expected concurrency and why (C4's budget guard): "expected 3 at start → 8 after 30 clean runtimes (…)". */
export function expectedText(p: Pick<PlanDocument, 'concurrency' | 'expectedConcurrency' | 'budget' | 'alpha' | 'history' | 'runtimes'>): string {
  const e = p.expectedConcurrency;
  const max = Math.max(1, Math.min(p.concurrency, p.runtimes.length || 1));
  const history = p.history.waves ? `history ${+p.history.s.toFixed(1)} ok / ${+p.history.f.toFixed(1)} failed (weighted) from ${p.history.waves} earlier wave${p.history.waves === 1 ? '' : 's'}` : 'no history';
  const why = `budget guard: budget ${p.budget}, α ${Math.round(p.alpha * 1000) / 10} %, ${history}`;
  if (e.atStart >= max) return `expected ${max} (${why})`;
  const ramp = e.fullAfter === null ? `up to ${max} only as runtimes finish cleanly` : `→ ${max} after ${e.fullAfter} clean runtimes`;
  return `expected ${e.atStart} at start ${ramp} (${why})`;
}

/** Where the ETA's time of one runtime comes from: " (~40 s a runtime, as in wave stage-20261207-1)". */
function etaBasisText(b: PlanDocument['etaBasis']): string {
  if (!b) return '';
  const each = `~${seconds(b.perRuntimeSeconds)} a runtime`;
  return b.waveId ? ` (${each}, as in wave ${b.waveId})` : ` (${each} assumed: no ended wave to measure yet)`;
}

/** An argument as the shell needs it (quoted when it has anything but plain path characters). */
function shellArg(v: string): string {
  return /^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

/** Runtimes predicted not to migrate that the plan text lists one by one. */
const PREVIEW_LINES = 15;

/**
 * The plan as text: what an SRE (and the on-call approver) reads before running it. `configFile`: the `--config`
 * it was planned with, repeated in the "run it:" hint (without it the hint would run on another landscape).
 */
export function renderPlan(p: PlanDocument & { preview?: Prediction[] }, configFile?: string): string {
  const notMigrated = p.preview?.filter((x) => x.outcome !== 'migrated') ?? [];
  const preview = p.preview
    ? [
        `  preview (read every SKR): ${top(summarisePredictions(p.preview), 12)}`,
        ...notMigrated.slice(0, PREVIEW_LINES).map((x) => `    ${x.runtimeId}: ${x.outcome}${x.reason ? `/${x.reason}` : ''}${x.detail ? ` — ${x.detail}` : ''}`),
        ...(notMigrated.length > PREVIEW_LINES ? [`    … (${notMigrated.length - PREVIEW_LINES} more not predicted migrated: plan … --preview --json lists every one)`] : []),
      ]
    : [];
  const skippedBy: Record<string, number> = {};
  for (const s of p.skipped) skippedBy[s.reason] = (skippedBy[s.reason] ?? 0) + 1;
  return [
    `Plan ${p.hash.slice(0, 12)} — ${p.env}, target ${p.title ?? p.target}${p.sample ? ` (sample of ${p.sample})` : ''}`,
    ...(p.title && p.title !== p.target ? [`  selects: ${p.target.length > 300 ? `${p.target.slice(0, 299)}…` : p.target}`] : []),
    `  runtimes: ${p.runtimes.length} eligible, ${p.skipped.length} skipped${p.skipped.length ? ` (${top(skippedBy)})` : ''}`,
    `  by region: ${top(p.counts.byRegion) || '—'}`,
    `  by plan: ${top(p.counts.byPlan) || '—'}`,
    `  by global account: ${top(p.counts.byGlobalAccount, 5) || '—'}`,
    `  preflight: ${p.preflight.ok ? 'ok' : 'PROBLEMS'}; templates ${p.preflight.templates.map((t) => `${t.channel}=${t.name}@${t.version}`).join(', ') || 'none'}; reconciliation disabled: ${p.preflight.reconciliation.confirmed ? `confirmed by ${p.preflight.reconciliation.by}` : 'NOT confirmed'}; istio Manifests now: ${p.preflight.istioManifests}`,
    ...p.preflight.problems.map((x) => `  ! ${x}`),
    ...(p.warnings ?? []).map((x) => `  warning: ${x}`),
    ...preview,
    ...scheduleLines(p.schedule, Date.now()),
    `  concurrency ${p.concurrency} requested, ${expectedText(p)}; error budget ${p.budget}, deadline ${seconds(p.deadlineSeconds)} per runtime, ETA ~${p.schedule ? duration(p.eta) : seconds(p.eta)}${etaBasisText(p.etaBasis)}`,
    `  hash ${p.hash}`,
    `  run it: istio-migrate run --plan ${p.hash.slice(0, 12)}${configFile ? ` --config ${shellArg(configFile)}` : ''}`,
  ].join('\n');
}

export const plan: CommandSpec = {
  name: 'plan',
  summary: 'resolve a target, preflight the environment and show the wave plan (changes nothing)',
  usage: 'plan <env> <target>… [--exclude SPEC]… [--sample N] [--concurrency N] [--preview] [--json]',
  examples: ['plan stage kyma-test --sample 5', 'plan prod trial --exclude region=.*us.* --preview', 'plan dev all'],
  permission: 'read',
  mutates: false,
  journal: 'create',
  options: { exclude: { type: 'string', multiple: true }, sample: { type: 'string' }, concurrency: { type: 'string' }, preview: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(ctx, args) {
    const doc: PlanDocument & { preview?: Prediction[] } = await planFromArgs(ctx, args, plan, async (planned) => {
      if (!args.values.preview) return planned;
      ctx.progress?.(`previewing ${count(planned.runtimes.length, 'runtime')} (read-only)…`);
      const preview = await previewRuntimes(planned.runtimes, await ctx.services.access(planned.env), { concurrency: Math.min(planned.concurrency * 2, 32), throttle: ctx.services.throttle(planned.env) });
      return { ...planned, preview };
    });
    const journal = await ctx.services.journal();
    await journal.audit({ actor: ctx.user, action: 'plan', subject: doc.hash, detail: { env: doc.env, target: doc.target, runtimes: doc.runtimes.length } });
    // The shell has no Request approval button: say what an environment with approvals needs before `run`.
    const approval =
      ctx.via === 'shell' && ctx.services.approvalRequired(doc.env)
        ? `\n  ${doc.env} needs an on-call approval of this plan before it runs: ask on-call to approve hash ${doc.hash.slice(0, 12)} (in Slack: the plan's Request approval button${ctx.services.simulated ? `; on this simulated landscape: istio-migrate approve ${doc.hash.slice(0, 12)} --as oncall-1` : ''}), then run --plan ${doc.hash.slice(0, 12)}`
        : '';
    // Planning lifts a cancellation only for someone who may cancel (planFromArgs): say so when it stays.
    const cancelled = await journal.planCancellation(doc.hash);
    const still = cancelled ? `\n  cancelled by ${cancelled.cancelledBy} at ${cancelled.cancelledAt}: it does not run until someone who may cancel it in ${doc.env} plans it again` : '';
    return ok(`${renderPlan(doc, ctx.services.configFile)}${approval}${still}`, doc);
  },
};
