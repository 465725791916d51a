import { runbookState } from '../src/rollout/runbook.js';
import { envArg } from './shared.js';
import { ok, type CommandSpec } from './types.js';

export const runbook: CommandSpec = {
  name: 'runbook',
  summary: "the rollout doc's ordered steps for an environment, where each stands, and the next one",
  usage: 'runbook <env> [--json]',
  examples: ['runbook stage', 'runbook prod --json'],
  permission: 'read',
  mutates: false,
  options: { json: { type: 'boolean' } },
  async run(ctx, args) {
    const env = envArg(args.positionals[0], runbook);
    const journal = await ctx.services.journal();
    const steps = await runbookState(journal, env, ctx.services.envConfig(env).targets);
    const next = steps.find((s) => !(s.wave && s.verified));
    const lines = steps.map((s) => {
      const mark = s.wave && s.verified ? '✓' : s.wave ? '…' : ' ';
      const state = s.wave ? `${s.wave} ${s.waveState}, ${s.verified ? 'verified' : `not verified (verify ${env})`}` : 'not run';
      return `${mark} ${s.index}. ${s.title} — ${state}`;
    });
    const cmd = next ? `run ${env} ${next.specs.join(' ')}${next.sample ? ` --sample ${next.sample}` : ''}` : null;
    const text = [`Runbook ${env}:`, ...lines, next ? (next.wave ? `next: verify ${env}` : `next: ${cmd}`) : 'all steps done and verified'].join('\n');
    return ok(text, { env, steps, next: next ? { index: next.index, command: next.wave ? `verify ${env}` : cmd } : null });
  },
};
