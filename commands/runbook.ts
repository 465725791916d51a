import { runbookState, type StepState } from '../src/rollout/runbook.js';
import { envArg } from './shared.js';
import { ok, type CommandSpec } from './types.js';

/** The step's run command, as the runbook table writes it. */
const runOf = (env: string, s: StepState) => `run ${env} ${s.specs.join(' ')}${s.sample ? ` --sample ${s.sample}` : ''}`;

/** The next command for a step not done: run it, finish or retry its wave, or verify it. */
function nextOf(env: string, s: StepState): string {
  if (!s.wave) return runOf(env, s);
  if (s.waveState !== 'finished') return `status ${s.wave}`;
  // Drained: the step's target again (what the wave migrated ends already-migrated); failures: retried in the wave.
  if (s.drained) return runOf(env, s);
  if (s.platformFailures > 0) return `retry-failed ${s.wave} --yes`;
  return `verify ${env}`;
}

export const runbook: CommandSpec = {
  name: 'runbook',
  summary: "the rollout doc's ordered steps for an environment, where each stands, and the next one",
  usage: 'runbook <env> [--json]',
  examples: ['runbook stage', 'runbook prod --json'],
  permission: 'read',
  mutates: false,
  journal: 'existing',
  options: { json: { type: 'boolean' } },
  async run(ctx, args) {
    const env = envArg(args.positionals[0], runbook);
    const journal = await ctx.services.journal();
    const steps = await runbookState(journal, env, ctx.services.envConfig(env).targets);
    const next = steps.find((s) => !s.done);
    const lines = steps.flatMap((s) => {
      const mark = s.done ? '✓' : s.wave || s.partial.length ? '…' : ' ';
      const drained = s.drained ? 'drained' : s.waveState;
      const state = !s.wave
        ? s.partial.length ? 'not run on its whole target' : 'not run'
        : s.done
          ? `${s.wave} ${s.waveState}, verified`
          : s.notDone === 'not verified yet'
            ? `${s.wave} ${s.waveState}, not verified (verify ${env})`
            : `${s.wave} ${drained}, not done: ${s.notDone}`;
      const parts = s.partial.map((w) => `    part of it only: ${w.waveId} (${w.target}${w.sample ? `, --sample ${w.sample}` : ''}) ${w.drained ? 'drained' : w.state}${w.verified ? ', verified' : ''} — does not complete the step (${runOf(env, s)})`);
      return [`${mark} ${s.index}. ${s.title} — ${state}`, ...parts];
    });
    const cmd = next ? nextOf(env, next) : null;
    const text = [`Runbook ${env}:`, ...lines, cmd ? `next: ${cmd}` : 'all steps done and verified'].join('\n');
    return ok(text, { env, steps, next: next ? { index: next.index, command: cmd } : null });
  },
};
