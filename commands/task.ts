/**
 * `task <id> agreed|declined|resolved` records what the customer said about a customer-contact task (a runtime
 * with more than one Istio CR, DESIGN.md §4); `task <id> rename` runs the safe rename-to-default on that runtime
 * once the customer agreed. In an environment that needs approvals (Prod) the rename needs an on-call approval of
 * action `rename:<runtimeId>` on the plan hash of the wave that opened the task, by someone other than the one
 * who runs it. Every change is journaled with who made it. `tasks` lists them.
 */
import { readFile } from 'node:fs/promises';
import type { EnvName } from '../src/config/config.js';
import type { CustomerTask, TaskState } from '../src/journal/journal.js';
import { KubeClient, RequestCounter } from '../src/clients/kube-client.js';
import { describeIstioConflict } from '../src/migration/istio-conflict.js';
import { renameToDefault, type RenameResult } from '../src/migration/rename-to-default.js';
import { resolveSkrAccess } from '../src/migration/skr-access.js';
import { checkApproval, renameAction, renameApprovalNeed } from '../src/rollout/approvals.js';
import { confirmChange } from './shared.js';
import { CommandError, ok, type CommandContext, type CommandSpec } from './types.js';

/** The decision states a person can set, and from which states each may be set. */
const TRANSITIONS: Record<'agreed' | 'declined' | 'resolved', readonly TaskState[]> = {
  agreed: ['open', 'declined', 'rename-failed'],
  declined: ['open', 'agreed', 'rename-failed'],
  resolved: ['open', 'agreed', 'declined', 'renamed', 'rename-failed'],
};

const RENAMABLE: readonly TaskState[] = ['agreed', 'rename-failed'];

function describe(t: CustomerTask): string {
  return `${t.taskId} ${t.state} ${t.env} ${t.runtimeId} (${t.shootName})${t.updatedBy ? ` by ${t.updatedBy}` : ''}`;
}

/** One task in full: what is true about its runtime, its Istio CRs, and its history from the audit log. */
async function showTask(ctx: CommandContext, id: string | undefined) {
  const { journal, t } = await loadTask(ctx, id);
  const history = (await journal.listAudit({ subject: t.taskId })).sort((a, b) => a.at.localeCompare(b.at) || (a.id ?? 0) - (b.id ?? 0));
  const detailOf = (d: unknown) => {
    const o = (d ?? {}) as { outcome?: string; message?: string; from?: string; approvedBy?: string | null };
    return [o.from ? `from ${o.from}` : '', o.outcome ? `${o.outcome}${o.message ? `: ${o.message}` : ''}` : '', o.approvedBy ? `approved by ${o.approvedBy}` : ''].filter(Boolean).join('; ');
  };
  const lines = [
    `${t.taskId} ${t.state} — ${t.env} runtime ${t.runtimeId} (${t.shootName}), global account ${t.globalAccountId}, subaccount ${t.subaccountId}`,
    `  why: ${describeIstioConflict(t.istioCrs)}`,
    `  Istio CRs: ${t.istioCrs.map((c) => `${c.name}=${c.state ?? '?'}${c.createdAt ? ` (created ${c.createdAt})` : ''}`).join(', ') || 'none'}`,
    `  opened ${t.createdAt}${t.waveId ? ` by wave ${t.waveId}` : ''}; updated ${t.updatedAt}${t.updatedBy ? ` by ${t.updatedBy}` : ''}`,
    `  history:`,
    `    ${t.createdAt} opened — the migration script's message: "${t.message}"`,
    ...history.map((h) => `    ${h.at} ${h.action} by ${h.actor}${detailOf(h.detail) ? ` — ${detailOf(h.detail)}` : ''}`),
    `  next: ${nextStep(t)}`,
  ];
  return ok(lines.join('\n'), { task: t, why: describeIstioConflict(t.istioCrs), history });
}

function nextStep(t: CustomerTask): string {
  switch (t.state) {
    case 'open':
      return `contact the customer; then task ${t.taskId} agreed (or declined)`;
    case 'agreed':
    case 'rename-failed':
      return `task ${t.taskId} rename --yes runs the safe rename-to-default`;
    case 'renaming':
      return 'the rename is running';
    case 'renamed':
      return `migrate the runtime again (a new wave), then task ${t.taskId} resolved`;
    case 'declined':
      return `nothing for now; task ${t.taskId} resolved closes it`;
    case 'resolved':
      return 'nothing: resolved';
  }
}

async function loadTask(ctx: CommandContext, id: string | undefined) {
  if (!id) throw new CommandError('name a task, e.g. task-3 (see `tasks`)', 2, task.examples[0]);
  const journal = await ctx.services.journal();
  const t = await journal.getTask(id);
  if (!t) throw new CommandError(`no task ${id}: task ids look like task-3 (see tasks all)`, 1, 'tasks all');
  return { journal, t };
}

async function rename(ctx: CommandContext, id: string, yes: boolean) {
  const { journal, t } = await loadTask(ctx, id);
  if (!RENAMABLE.includes(t.state)) throw new CommandError(`${t.taskId} is ${t.state}: rename needs the customer's agreement first (task ${t.taskId} agreed)`, 1);
  if (!ctx.interactive && !yes) throw new CommandError("rename changes the customer's Istio configuration: confirm with --yes", 1, `task ${t.taskId} rename --yes`);
  const env = t.env as EnvName;
  const wave = t.waveId ? await journal.getWave(t.waveId) : undefined;
  let approvedBy: string | null = null;
  if (ctx.services.approvalRequired(env)) {
    if (!wave) throw new CommandError(`${t.taskId} belongs to no wave, so there is no plan hash to approve: rename it with the shell command rename-to-default`, 1);
    const { command, subject, detail } = renameApprovalNeed(t, wave.planHash, ctx.user);
    approvedBy = await checkApproval(journal, ctx.services, env, wave.planHash, ctx.user, renameAction(t.runtimeId), { command, subject, detail });
  }
  await confirmChange(ctx, yes, `task ${t.taskId} rename: rename-to-default on ${t.runtimeId} (${t.shootName}, ${t.env}) — Istio CRs ${t.istioCrs.map((c) => c.name).join(', ')} become one named default`, "rename changes the customer's Istio configuration: confirm with --yes", `task ${t.taskId} rename --yes`);
  await journal.setTaskState(t.taskId, 'renaming', ctx.user);
  await journal.audit({ actor: ctx.user, action: 'task-rename', subject: t.taskId, detail: { runtimeId: t.runtimeId, approvedBy } });
  const e = ctx.services.envConfig(env);
  const access = await ctx.services.access(env);
  const counter = new RequestCounter();
  const throttle = ctx.services.throttle(env);
  let outcome: string;
  let message: string;
  let inventoryAfter: RenameResult['inventoryAfter'] | undefined;
  try {
    const kcp = new KubeClient(access.kcpKubeconfig, { system: 'kcp', counter, throttle });
    const gardener = e.skrAccess === 'kcp-secret' ? undefined : { client: new KubeClient(await readFile(e.gardener.kubeconfig, 'utf8'), { system: 'gardener', counter, throttle }), namespace: e.gardener.namespace, shootName: t.shootName };
    const skr = await resolveSkrAccess(t.runtimeId, e.skrAccess === 'gardener' ? undefined : kcp, gardener);
    ctx.progress?.(`${t.taskId}: renaming the Istio CR of ${t.runtimeId} to default`);
    const r = await renameToDefault({ skrKubeconfig: skr.kubeconfig, customerAgreed: true, deadlineMs: access.deadlineMs, pollIntervalMs: access.pollIntervalMs, log: (l) => ctx.progress?.(`${t.taskId}: ${l}`) });
    outcome = r.outcome;
    message = r.message;
    inventoryAfter = r.inventoryAfter;
  } catch (err) {
    outcome = 'failed';
    message = `Rename failed: ${(err as Error).message}`;
  }
  const done = outcome === 'renamed' || outcome === 'nothing-to-do';
  // The task shows the CRs as they are now, not as the migration saw them before the rename.
  if (inventoryAfter) await journal.setTaskIstioCrs(t.taskId, inventoryAfter.map((c) => ({ name: c.name, createdAt: c.createdAt, state: c.state })));
  await journal.setTaskState(t.taskId, done ? 'renamed' : 'rename-failed', ctx.user);
  await journal.audit({ actor: ctx.user, action: done ? 'task-renamed' : 'task-rename-failed', subject: t.taskId, detail: { runtimeId: t.runtimeId, outcome, message } });
  const after = (await journal.getTask(t.taskId))!;
  const text = `${t.taskId} ${t.runtimeId}: ${outcome} — ${message}`;
  return { exitCode: done ? 0 : 1, text, json: { task: after, outcome, message } } as const;
}

export const task: CommandSpec = {
  name: 'task',
  summary: "a customer-contact task: show it with its history, record the customer's answer, or run the safe rename-to-default (Prod: approved)",
  usage: 'task ID | task ID agreed|declined|resolved | task ID rename [--yes] [--json]',
  examples: ['task task-3 agreed', 'task task-3', 'task task-3 rename --yes', 'task task-3 resolved'],
  permission: 'operate',
  mutates: true,
  journal: 'existing',
  options: { yes: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(ctx, args) {
    const [id, verb] = args.positionals;
    if (verb === undefined) return showTask(ctx, id);
    if (verb === 'rename') return rename(ctx, id ?? '', !!args.values.yes);
    if (verb !== 'agreed' && verb !== 'declined' && verb !== 'resolved') {
      throw new CommandError(`task takes agreed, declined, resolved or rename, got "${verb ?? ''}"`, 2, task.examples[0]);
    }
    const { journal, t } = await loadTask(ctx, id);
    if (t.state === verb) return ok(`${t.taskId} is already ${verb}${t.updatedBy ? ` (by ${t.updatedBy})` : ''}`, { task: t, changed: false });
    if (!TRANSITIONS[verb].includes(t.state)) throw new CommandError(`${t.taskId} is ${t.state}: it cannot become ${verb}`, 1);
    await journal.setTaskState(t.taskId, verb, ctx.user);
    await journal.audit({ actor: ctx.user, action: `task-${verb}`, subject: t.taskId, detail: { runtimeId: t.runtimeId, from: t.state } });
    const after = (await journal.getTask(t.taskId))!;
    return ok(describe(after), { task: after, changed: true });
  },
};

export const tasks: CommandSpec = {
  name: 'tasks',
  summary: 'customer-contact tasks (runtimes held for a customer Istio CR)',
  usage: 'tasks [open|all] [--json]',
  examples: ['tasks', 'tasks all --json'],
  permission: 'read',
  mutates: false,
  journal: 'existing',
  options: { json: { type: 'boolean' } },
  async run(ctx, args) {
    const which = args.positionals[0] ?? 'open';
    if (!['open', 'all'].includes(which)) throw new CommandError(`tasks takes open or all, got "${which}"`, 2, tasks.examples[0]);
    const journal = await ctx.services.journal();
    const list = await journal.listTasks(which === 'open' ? { states: ['open', 'agreed', 'renaming', 'rename-failed'] } : undefined);
    const text = list.length
      ? [
          ...list.map((t) => `${t.taskId} ${t.state} ${t.env} ${t.runtimeId} (${t.shootName}, GA ${t.globalAccountId}): ${describeIstioConflict(t.istioCrs)} — Istio CRs ${t.istioCrs.map((c) => `${c.name}=${c.state ?? '?'}`).join(', ')}`),
          `(task ID shows one task with its history)`,
        ].join('\n')
      : `no ${which === 'open' ? 'open ' : ''}customer-contact tasks`;
    return ok(text, { tasks: list });
  },
};
