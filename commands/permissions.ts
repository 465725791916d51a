/**
 * Who may run which command where (DESIGN.md §7) — decided in one place, the command dispatcher (`dispatch` in
 * index.ts), for Slack, the console and the shell alike; adapters only render the refusal. The command spec says
 * what it needs (`read`, `operate`, `approve`), the environment's `approval` config says who has it; the commands
 * check approvals themselves (not the requester, the exact plan hash, not expired, one use).
 *
 * Rules: `read` — everyone. `operate` (every command that changes something: run, resume, pause, drain, abort,
 * set-concurrency, retry-failed, freeze, unfreeze, cancel, task actions) — in an environment that needs approvals
 * (Prod): its `operators` or its approvers (`approvers`, members of `approverGroup`); a real configuration naming
 * neither is refused when it is loaded, and only a simulated landscape naming no operator is open to everyone (to try
 * approvals in the console). Elsewhere: the env's `operators`, or everyone when none is named. `approve` — the env's
 * `approvers` or members of its `approverGroup` (neither configured: left to the approve command, which allows it
 * only on a simulated landscape). A command that names no environment is checked against every configured one.
 */
import type { EnvName } from '../src/config/config.js';
import type { CommandContext, CommandSpec, ParsedArgs, Permission } from './types.js';

export interface EnvRules {
  env: EnvName;
  approvers: readonly string[];
  approverGroup?: string;
  operators: readonly string[];
  /** The environment needs on-call approvals (Prod by default): steering it is for operators and approvers. */
  approvalRequired?: boolean;
  /** The landscape is the simulator's (a rehearsal): an approval environment naming no operator is open. */
  simulated?: boolean;
}

export type PermissionDecision = { allowed: true } | { allowed: false; reason: string };

export interface PermissionInput {
  command: string;
  permission: Permission;
  user: string;
  /** The environments the command acts on, with their rules. */
  envs: readonly EnvRules[];
  /** Members of the approver groups named in `envs` (looked up beforehand). */
  groupMembers?: ReadonlyMap<string, ReadonlySet<string>>;
}

function who(ids: readonly string[]): string {
  return ids.map((u) => `<@${u}>`).join(', ');
}

function approversText(rules: EnvRules): string {
  return [rules.approvers.length ? who(rules.approvers) : '', rules.approverGroup ? `<!subteam^${rules.approverGroup}>` : ''].filter(Boolean).join(' or ');
}

function isApprover(rules: EnvRules, user: string, groupMembers?: ReadonlyMap<string, ReadonlySet<string>>): boolean {
  return rules.approvers.includes(user) || (!!rules.approverGroup && !!groupMembers?.get(rules.approverGroup)?.has(user));
}

export function decidePermission(input: PermissionInput): PermissionDecision {
  const { permission, user, command } = input;
  if (permission === 'read') return { allowed: true };
  for (const rules of input.envs) {
    if (permission === 'operate') {
      if (rules.approvalRequired) {
        if (rules.operators.includes(user) || isApprover(rules, user, input.groupMembers)) continue;
        if (rules.simulated && !rules.operators.length) continue;
        const allowed = [rules.operators.length ? `operators ${who(rules.operators)}` : '', approversText(rules) ? `approvers ${approversText(rules)}` : ''].filter(Boolean).join(' and ');
        return { allowed: false, reason: `<@${user}> may not run \`${command}\` in ${rules.env}: it needs on-call approvals, so only its ${allowed || 'operators and approvers (none configured)'} steer it. Ask one of them.` };
      }
      if (rules.operators.length && !rules.operators.includes(user)) {
        return { allowed: false, reason: `<@${user}> may not run \`${command}\` in ${rules.env}: operators there are ${who(rules.operators)}. Ask one of them.` };
      }
    } else {
      if (!rules.approvers.length && !rules.approverGroup) continue;
      if (isApprover(rules, user, input.groupMembers)) continue;
      return { allowed: false, reason: `<@${user}> may not approve in ${rules.env}: approvers are ${approversText(rules)}. Ask on-call.` };
    }
  }
  return { allowed: true };
}

const WAVE_ID = /^(dev|stage|prod)-\d{8}-\d+$/;

/**
 * The environments a command names in its positionals: an env name, or the prefix of a wave id. `undefined` when
 * it names none (then the caller may look further, e.g. a plan hash, or check every environment).
 */
export function envsNamedIn(positionals: readonly string[], known: readonly EnvName[]): EnvName[] | undefined {
  const first = positionals[0];
  if (first === undefined) return undefined;
  if ((known as readonly string[]).includes(first)) return [first as EnvName];
  if (first === 'all') return [...known];
  const wave = WAVE_ID.exec(first);
  if (wave && (known as readonly string[]).includes(wave[1])) return [wave[1] as EnvName];
  return undefined;
}

/**
 * The environments a parsed command acts on: named (env, wave id), the stored plan's (`--plan H`; `approve H`,
 * `cancel H`), the task's (`task ID …`), else every configured one.
 */
export async function envsOfCommand(ctx: CommandContext, spec: Pick<CommandSpec, 'name'>, args: ParsedArgs): Promise<EnvName[]> {
  const configured = ctx.services.envs();
  const named = envsNamedIn(args.positionals, configured);
  if (named) return named;
  const journal = () => ctx.services.journal();
  const hash = typeof args.values.plan === 'string' ? args.values.plan : spec.name === 'approve' || spec.name === 'cancel' ? args.positionals[0] : undefined;
  const env = hash ? (await (await journal()).getPlan(hash))?.env : spec.name === 'task' && args.positionals[0] ? (await (await journal()).getTask(args.positionals[0]))?.env : undefined;
  return env && (configured as string[]).includes(env) ? [env as EnvName] : configured;
}

/**
 * Why `ctx.user` may not run this command (or undefined): the dispatcher's check, and the adapters' before they do
 * work of their own for a button (post an approval request, start a run in the background).
 */
export async function authorize(ctx: CommandContext, spec: Pick<CommandSpec, 'name' | 'permission' | 'options'>, args: ParsedArgs, envs?: readonly EnvName[]): Promise<string | undefined> {
  // In Slack the identity is Slack's, authenticated: nobody acts as someone else there. Elsewhere `--as` (approve on
  // a simulated landscape) names who acts.
  if (ctx.via === 'slack' && 'as' in spec.options && args.values.as !== undefined) {
    return `--as is not available in Slack: here you act as yourself (<@${ctx.user}>). Example: \`/istio-migrate ${spec.name} <plan hash>\``;
  }
  // `--out FILE` writes on the host the command runs on: the SRE's own in the shell and the console, the bot's in
  // Slack — where any user could overwrite its journal or anything else it may write.
  if (ctx.via === 'slack' && 'out' in spec.options && args.values.out !== undefined) {
    return `--out writes a file on the bot's host: only in the shell. Here the answer comes as a message (the wave's CSV is also the file in its thread). Example: \`/istio-migrate ${spec.name} ${spec.name === 'export' ? 'prod-20261125-1 --format csv' : '…'}\``;
  }
  const user = ctx.via !== 'slack' && typeof args.values.as === 'string' ? args.values.as : ctx.user;
  if (spec.permission === 'read') return undefined;
  const services = ctx.services;
  const rules = (envs ?? (await envsOfCommand(ctx, spec, args))).map((env): EnvRules => {
    const a = services.envConfig(env).approval;
    return { env, approvers: a.approvers, approverGroup: a.approverGroup, operators: a.operators, approvalRequired: services.approvalRequired(env), simulated: services.simulated };
  });
  // Group members matter for approving, and for steering an environment that needs approvals.
  const groupMembers = new Map<string, ReadonlySet<string>>();
  if (ctx.isInApproverGroup) {
    for (const r of rules) {
      if (!r.approverGroup || groupMembers.has(r.approverGroup) || r.approvers.includes(user)) continue;
      if (spec.permission === 'operate' && (!r.approvalRequired || r.operators.includes(user))) continue;
      try {
        if (await ctx.isInApproverGroup(user, r.approverGroup)) groupMembers.set(r.approverGroup, new Set([user]));
        else groupMembers.set(r.approverGroup, new Set());
      } catch (e) {
        return `could not look up the members of the approver group <!subteam^${r.approverGroup}> (${(e as { data?: { error?: string } }).data?.error ?? (e as Error).message}); try again in a minute`;
      }
    }
  }
  const d = decidePermission({ command: spec.name, permission: spec.permission, user, envs: rules, groupMembers });
  return d.allowed ? undefined : d.reason;
}
