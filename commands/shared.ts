/** Argument helpers the command specs share: every problem becomes a CommandError with an example. */
import type { EnvName } from '../src/config/config.js';
import { planWave, type PlanDocument } from '../src/rollout/plan-wave.js';
import { CommandError, type CommandContext, type CommandSpec, type ParsedArgs } from './types.js';
import { authorize } from './permissions.js';

const ENVS = ['dev', 'stage', 'prod'] as const;

/**
 * C5: a command that changes clusters runs with `--yes`, or after the person at the terminal answered y to
 * `question` (what will happen); without a terminal to ask it is refused with `refusal`, and any other answer
 * is refused as "not confirmed" (exit 1).
 */
export async function confirmChange(ctx: CommandContext, yes: boolean, question: string, refusal: string, example?: string): Promise<void> {
  if (yes) return;
  if (!ctx.interactive || !ctx.confirm) throw new CommandError(`${refusal} (no terminal to ask)`, 1, example);
  if (!(await ctx.confirm(question))) throw new CommandError('not confirmed', 1);
}

export function envArg(v: string | undefined, spec: CommandSpec): EnvName {
  if (!v) throw new CommandError(`name an environment (${ENVS.join(', ')})`, 2, spec.examples[0]);
  if (!(ENVS as readonly string[]).includes(v)) throw new CommandError(`unknown environment "${v}": use one of ${ENVS.join(', ')}`, 2, spec.examples[0]);
  return v as EnvName;
}

/** The most runtimes one wave runs at once (plan, run, set-concurrency). */
export const MAX_CONCURRENCY = 1000;

export function intOption(v: string | boolean | string[] | undefined, name: string, spec: CommandSpec, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  const s = Array.isArray(v) ? v.join(' ') : String(v);
  const example = spec.examples.find((e) => e.includes(name)) ?? spec.examples[0];
  if (!/^\d+$/.test(s) || Number(s) < min) throw new CommandError(`${name} must be a whole number ≥ ${min}, got "${s}"`, 2, example);
  if (Number(s) > max) throw new CommandError(`${name} must be at most ${max}, got ${s}`, 2, example);
  return Number(s);
}

/**
 * The resume command that continues a wave, ready to paste into a shell: with `failures` (a wave stopped by its own
 * budget, which resume refuses without a larger one) a budget just above them, else only the confirmation.
 */
export function resumeCommand(waveId: string, failures?: number): string {
  return failures === undefined ? `resume ${waveId} --yes` : `resume ${waveId} --budget ${failures + 1} --yes`;
}

export function waveArg(v: string | undefined, spec: CommandSpec): string {
  if (!v) throw new CommandError('name a wave, e.g. stage-20261125-1 (see `status`)', 2, spec.examples[0]);
  if (!/^(dev|stage|prod)-\d{8}-\d+$/.test(v)) throw new CommandError(`"${v}" is not a wave id: wave ids look like stage-20261125-1`, 2, spec.examples[0]);
  return v;
}

/** A target that selects no eligible runtime is refused (exit 1): never planned, never run as a 0-runtime wave. */
function emptySelection(doc: PlanDocument, spec: CommandSpec): CommandError {
  const reasons: Record<string, number> = {};
  for (const s of doc.skipped) reasons[s.reason] = (reasons[s.reason] ?? 0) + 1;
  const why = doc.skipped.length
    ? `the ${doc.skipped.length === 1 ? 'one runtime it selects is' : `${doc.skipped.length} runtimes it selects are`} not eligible (${Object.entries(reasons).map(([r, n]) => `${r} ${n}`).join(', ')})`
    : 'it selects no runtime of Gardener and KEB';
  return new CommandError(`nothing to plan in ${doc.env}: target ${doc.title ?? doc.target} — ${why}. Check the selector (values are full-match regexes: write .*x.* for a substring) or use a named set`, 1, spec.examples[0]);
}

/**
 * `<env> <target>… [--exclude S]… [--sample N] [--concurrency N]` → a plan, stored in the journal with the
 * arguments that made it (so `run --plan HASH` can re-resolve and compare). Shared by plan and run.
 */
export async function planFromArgs(ctx: CommandContext, args: ParsedArgs, spec: CommandSpec, extend?: (doc: PlanDocument) => Promise<PlanDocument>): Promise<PlanDocument> {
  const env = envArg(args.positionals[0], spec);
  const specs = args.positionals.slice(1);
  if (!specs.length) throw new CommandError('name a target: a set from the config or a selector', 2, spec.examples[0]);
  const excludes = (args.values.exclude as string[] | undefined) ?? [];
  if (ctx.via === 'slack') {
    // Anyone in the workspace may plan; a plan reads the whole landscape. Bound what one user can ask for.
    const waitMs = ctx.services.chatPlans.take(ctx.user);
    if (waitMs > 0) {
      throw new CommandError(`too many plans: at most ${ctx.services.chatPlans.limit} a minute per user; try again in ${Math.ceil(waitMs / 1000)} s (or reuse a plan: run --plan HASH)`, 1);
    }
  }
  let doc = await planWave(ctx.services, {
    env,
    specs,
    excludes,
    sample: intOption(args.values.sample, '--sample', spec),
    concurrency: intOption(args.values.concurrency, '--concurrency', spec, 1, MAX_CONCURRENCY),
  });
  if (!doc.runtimes.length) throw emptySelection(doc, spec);
  if (extend) doc = await extend(doc);
  const journal = await ctx.services.journal();
  const input = { specs, excludes, sample: args.values.sample, concurrency: args.values.concurrency };
  await journal.savePlan({ hash: doc.hash, env, target: doc.target, document: { ...doc, input }, createdBy: ctx.user, createdAt: new Date().toISOString() });
  // Planned again: a cancellation of this plan is lifted (the record stays, with who lifted it) — by someone who
  // may cancel it. Anyone may plan; undoing an operator's decision is steering.
  if ((await journal.planCancellation(doc.hash)) && !(await authorize(ctx, LIFTS_CANCELLATION, { positionals: [], values: {} }, [env]))) {
    if (await journal.clearPlanCancellation(doc.hash, ctx.user)) await journal.audit({ actor: ctx.user, action: 'cancel-lifted', subject: doc.hash, detail: { by: 'plan' } });
  }
  return doc;
}

/** Lifting a cancellation by planning again needs what `cancel` needs. */
const LIFTS_CANCELLATION = { name: 'plan (lifting a cancellation)', permission: 'operate', options: {} } as const;

/** No stored plan by that hash: what names a plan, and how to get one. */
export function noStoredPlan(hash: string): CommandError {
  const short = hash.length < 8 ? ` (${hash.length} characters: too short to name one)` : '';
  return new CommandError(`no stored plan ${hash}${short}: a plan is named by its hash or a unique prefix of at least 8 characters (messages show 12); plan first if there is none`, 1, 'plan stage kyma-test');
}
