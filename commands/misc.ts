/** Smaller commands: approve (simulated landscapes only), freeze/unfreeze, show, export, tasks. */
import { describeIstioConflict } from '../src/migration/istio-conflict.js';
import { writeFile } from 'node:fs/promises';
import { envArg, waveArg } from './shared.js';
import { CommandError, ok, type CommandContext, type CommandResult, type CommandSpec } from './types.js';
import type { EnvName } from '../src/config/config.js';
import { FREEZE_SCOPES } from '../src/rollout/freeze.js';

export const approve: CommandSpec = {
  name: 'approve',
  summary: 'record an on-call approval of a plan hash (shell/console: simulated landscapes only; Slack otherwise)',
  usage: 'approve HASH [--as USER] [--for USER] [--action run|force|resume|retry-failed|rename:<runtime-id>|set-concurrency:<wave>:<n>]',
  examples: ['approve 3f2a9c1b7d4e --as oncall-1', 'approve 3f2a9c1b7d4e --as oncall-1 --for sre-2'],
  permission: 'approve',
  mutates: false,
  options: { as: { type: 'string' }, for: { type: 'string' }, action: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx, args) {
    const services = ctx.services;
    if (ctx.via !== 'slack' && !services.simulated) throw new CommandError('approvals for a real landscape come only through Slack, where identity is authenticated', 1);
    const hash = args.positionals[0];
    if (!hash) throw new CommandError('name the plan hash to approve', 2, approve.examples[0]);
    const journal = await services.journal();
    const plan = await journal.getPlan(hash);
    if (!plan) throw new CommandError(`no stored plan ${hash}`, 1);
    // In Slack the identity is Slack's, authenticated; `--as` exists only to try approvals on a simulated landscape.
    if (ctx.via === 'slack' && args.values.as !== undefined) throw new CommandError('--as is not accepted in Slack: you approve as yourself', 1);
    const approver = ctx.via === 'slack' ? ctx.user : ((args.values.as as string | undefined) ?? ctx.user);
    const env = plan.env as EnvName;
    const cfg = services.envConfig(env).approval;
    // The approval names who may use it (to run a plan: only they): `--for`, else whoever planned it last.
    const requester = (args.values.for as string | undefined) ?? plan.createdBy;
    if (plan.createdBy === approver || requester === approver) throw new CommandError(`${approver} requested plan ${plan.hash.slice(0, 12)} and cannot approve it`, 1);
    const byId = cfg.approvers.includes(approver);
    const byGroup = !byId && cfg.approverGroup && ctx.isInApproverGroup ? await ctx.isInApproverGroup(approver, cfg.approverGroup) : false;
    // Nobody named: open only on a simulated landscape (a real configuration is refused at load, configProblems).
    const open = services.simulated && !cfg.approvers.length && !cfg.approverGroup;
    if (!byId && !byGroup && !open) {
      throw new CommandError(`${approver} is not an approver for ${env} (approvers: ${[...cfg.approvers, ...(cfg.approverGroup ? [`members of ${cfg.approverGroup}`] : [])].join(', ')})`, 1);
    }
    const now = new Date();
    const action = (args.values.action as string | undefined) ?? 'run';
    await journal.recordApproval({ planHash: plan.hash, approver, requestedBy: requester, createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + cfg.expiryMinutes * 60_000).toISOString(), action });
    await journal.audit({ actor: approver, action: 'approve', subject: plan.hash, detail: { action, via: ctx.via, for: requester } });
    return ok(`plan ${plan.hash.slice(0, 12)} approved by ${approver} for ${action} by ${requester}, once (valid ${cfg.expiryMinutes} min)`, { planHash: plan.hash, approver, action, requestedBy: requester });
  },
};

export const cancel: CommandSpec = {
  name: 'cancel',
  summary: 'cancel a plan: it cannot run until it is planned again (a journal record)',
  usage: 'cancel HASH',
  examples: ['cancel 3f2a9c1b7d4e'],
  permission: 'operate',
  mutates: false,
  options: { json: { type: 'boolean' } },
  async run(ctx, args) {
    const hash = args.positionals[0];
    if (!hash) throw new CommandError('name the plan hash to cancel', 2, cancel.examples[0]);
    const journal = await ctx.services.journal();
    const plan = await journal.getPlan(hash);
    if (!plan) throw new CommandError(`no stored plan ${hash}`, 1);
    await journal.cancelPlan(plan.hash, ctx.user);
    const c = await journal.planCancellation(plan.hash);
    await journal.audit({ actor: ctx.user, action: 'cancel', subject: plan.hash, detail: { env: plan.env, target: plan.target } });
    return ok(`plan ${plan.hash.slice(0, 12)} cancelled by ${c?.cancelledBy ?? ctx.user}: it does not run until it is planned again`, { planHash: plan.hash, cancelled: c ?? null });
  },
};

function freezeCommand(name: 'freeze' | 'unfreeze'): CommandSpec {
  const spec: CommandSpec = {
    name,
    summary: name === 'freeze' ? 'no new starts anywhere in an environment (or all)' : 'lift a freeze (no argument or all: every freeze)',
    usage: `${name} [env|all]`,
    examples: [`${name} prod`, `${name} all`],
    permission: 'operate',
    mutates: false,
    options: { json: { type: 'boolean' } },
    async run(ctx, args) {
      const scope = args.positionals[0] ?? 'all';
      if (scope !== 'all') envArg(scope, spec);
      const journal = await ctx.services.journal();
      const frozenNow = async () => (await journal.frozenScopes()).sort((a, b) => FREEZE_SCOPES.indexOf(a) - FREEZE_SCOPES.indexOf(b));
      if (name === 'freeze') {
        await journal.freeze(scope, ctx.user);
        await journal.audit({ actor: ctx.user, action: name, subject: scope, detail: {} });
        return ok(`${scope} frozen: no new runtime starts`, { scope, frozen: true, frozenScopes: await frozenNow() });
      }
      // `unfreeze` / `unfreeze all` lifts every freeze (all and each environment): "all unfrozen" must be true.
      // `unfreeze <env>` lifts that environment's and says what still holds it.
      const before = await frozenNow();
      const lift = scope === 'all' ? FREEZE_SCOPES : [scope];
      for (const s of lift) await journal.unfreeze(s);
      const cleared = before.filter((s) => lift.includes(s));
      const remaining = await frozenNow();
      await journal.audit({ actor: ctx.user, action: name, subject: scope, detail: { cleared, remaining } });
      const text =
        scope === 'all'
          ? `all unfrozen${cleared.length ? ` (lifted: ${cleared.join(', ')})` : ' (nothing was frozen)'}`
          : `${scope} unfrozen${cleared.length ? '' : ' (it was not frozen)'}${remaining.length ? `; still frozen: ${remaining.join(', ')}${remaining.includes('all') ? ` — ${scope} stays frozen until \`unfreeze all\`` : ''}` : ''}`;
      return ok(text, { scope, frozen: false, cleared, frozenScopes: remaining });
    },
  };
  return spec;
}
export const freeze = freezeCommand('freeze');
export const unfreeze = freezeCommand('unfreeze');

export const show: CommandSpec = {
  name: 'show',
  summary: "every wave's record for a runtime (by runtime id, shoot or subaccount)",
  usage: 'show <runtime-id|shoot|subaccount> [--json]',
  examples: ['show c-3f2a9c1', 'show 5a7f0e12-…'],
  permission: 'read',
  mutates: false,
  options: { json: { type: 'boolean' } },
  async run(ctx, args) {
    const key = args.positionals[0];
    if (!key) throw new CommandError('name a runtime id, shoot or subaccount', 2, show.examples[0]);
    const journal = await ctx.services.journal();
    const records = [];
    for (const w of await journal.listWaves()) {
      for (const r of await journal.listWaveRuntimes(w.waveId)) {
        if ([r.runtimeId, r.runtime.shootName, r.runtime.subaccountId].includes(key)) records.push(r);
      }
    }
    if (!records.length) return ok(`no wave touched ${key}`, { records });
    const text = records.map((r) => `${r.waveId} ${r.runtimeId} (${r.runtime.shootName}): ${r.state}${r.result ? ` ${r.result.outcome}${r.result.reason ? `/${r.result.reason}` : ''} — ${r.result.message}${r.result.detail ? ` (${r.result.detail})` : ''}` : ''}`).join('\n');
    return ok(text, { records });
  },
};

function csvCell(v: string | number | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const exportWave: CommandSpec = {
  name: 'export',
  summary: "a wave's per-runtime results for the change record (csv, json), or its timeline chart (svg, png)",
  usage: 'export WAVE --format csv|json|svg|png [--out FILE]',
  examples: ['export prod-20261125-1 --format csv', 'export prod-20261125-1 --format png --out wave.png'],
  permission: 'read',
  mutates: false,
  options: { format: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx, args) {
    const id = waveArg(args.positionals[0], exportWave);
    const format = (args.values.format as string | undefined) ?? 'csv';
    if (!['csv', 'json', 'svg', 'png'].includes(format)) throw new CommandError(`--format must be csv, json, svg or png, got "${format}"`, 2, exportWave.examples[0]);
    const journal = await ctx.services.journal();
    if (format === 'svg' || format === 'png') return exportChart(ctx, id, format, args.values.out as string | undefined);
    const rows = await journal.listWaveRuntimes(id);
    if (!rows.length && !(await journal.getWave(id))) throw new CommandError(`no wave ${id}`, 1);
    const records = rows.map((r) => ({
      waveId: id,
      runtimeId: r.runtimeId,
      shootName: r.runtime.shootName,
      globalAccountId: r.runtime.globalAccountId,
      subaccountId: r.runtime.subaccountId,
      plan: r.runtime.plan,
      region: r.runtime.region,
      state: r.state,
      outcome: r.result?.outcome ?? null,
      reason: r.result?.reason ?? null,
      message: r.result?.message ?? null,
      detail: r.result?.detail ?? null,
      finishedAt: r.result?.finishedAt ?? null,
    }));
    if (format === 'json') return ok(JSON.stringify(records, null, 2), records);
    const cols = Object.keys(records[0] ?? { waveId: '' }) as (keyof (typeof records)[number])[];
    const csv = [cols.join(','), ...records.map((r) => cols.map((c) => csvCell(r[c])).join(','))].join('\n');
    return ok(csv, records);
  },
};

/** The wave's timeline chart (src/wave-page/timeline-chart.ts), rendered here from the journal. */
async function exportChart(ctx: CommandContext, id: string, format: 'svg' | 'png', out: string | undefined): Promise<CommandResult> {
  const { buildWaveView } = await import('../src/wave-page/wave-view.js');
  const { timelinePng, timelineSvg } = await import('../src/wave-page/timeline-chart.js');
  const view = await buildWaveView({ journal: await ctx.services.journal(), budgetOf: (w, n) => ctx.services.budget(w.env as EnvName, n) }, id);
  if (!view) throw new CommandError(`no wave ${id}`, 1);
  const bytes = format === 'svg' ? Buffer.from(timelineSvg(view)) : await timelinePng(view);
  const json = { waveId: id, format, bytes: bytes.length, file: out ?? null };
  if (out) {
    await writeFile(out, bytes);
    return ok(`wrote the timeline chart of ${id} to ${out} (${format}, ${bytes.length} bytes)`, json);
  }
  return { ...ok(format === 'svg' ? bytes.toString('utf8') : `${format} chart of ${id}`, json), output: bytes };
}

export const tasks: CommandSpec = {
  name: 'tasks',
  summary: 'customer-contact tasks (runtimes held for a customer Istio CR)',
  usage: 'tasks [open|all] [--json]',
  examples: ['tasks', 'tasks all --json'],
  permission: 'read',
  mutates: false,
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
