/**
 * A command's help, generated from its spec (commands as data): usage, summary, options, examples, who may run it
 * and its exit codes. `help X`, `X --help` (shell, console, Slack) and docs/commands.md all show this text.
 */
import type { CommandSpec } from './types.js';

/** What each option means, whichever command takes it. */
const OPTION_TEXT: Record<string, { value?: string; text: string }> = {
  exclude: { value: 'SPEC', text: 'leave out runtimes matching a set or key=value selector (excludes win; repeatable)' },
  sample: { value: 'N', text: 'N runtimes spread over regions and plans instead of all' },
  concurrency: { value: 'N', text: 'runtimes migrated at once (default: the environment\'s limit)' },
  preview: { text: 'read every SKR (read-only) and predict each runtime\'s outcome' },
  plan: { value: 'HASH', text: 'run a stored plan by its hash (prefix); re-resolved and refused when the landscape changed' },
  yes: { text: 'confirm the change without being asked' },
  force: { text: 'override a failed preflight or the runbook order (recorded; in Prod it needs an approval of force)' },
  json: { text: 'print one JSON document on stdout (shapes in docs/commands.md)' },
  format: { value: 'csv|json|svg|png', text: 'the export format (default csv; svg and png: the timeline chart)' },
  out: { value: 'FILE', text: 'write the chart (svg, png) to FILE' },
  as: { value: 'USER', text: 'the approver (shell and console: simulated landscapes only)' },
  for: { value: 'USER', text: 'whose step the approval is for (default: who made the plan); the approver must be someone else' },
  action: { value: 'ACTION', text: 'what the approval is for: run, force, resume, retry-failed, rename:<runtime-id> or set-concurrency:<wave>:<n>' },
  wave: { value: 'WAVE', text: "check exactly this wave's runtimes (a --sample or --exclude wave is not its whole target)" },
  budget: { value: 'N', text: 'the error budget from now on (recorded; in Prod it needs an approval)' },
  all: { text: 'every wave ever, not only active and recent ones' },
};

const PERMISSION_TEXT = { read: 'anyone', operate: 'operators of the environment', approve: 'approvers (on-call) of the environment' } as const;

/** Commands that run a wave here and so may end with exit code 3. */
export const WAVE_DRIVING = new Set(['run', 'resume', 'retry-failed']);

/** The options of a spec as `--name VALUE` with what they do (`--help` last). */
export function optionLines(spec: CommandSpec): Array<[string, string]> {
  const out: Array<[string, string]> = Object.entries(spec.options).map(([name, o]) => {
    const t = OPTION_TEXT[name];
    const flag = `--${name}${o.type === 'string' ? ` ${t?.value ?? 'VALUE'}` : ''}`;
    return [flag, `${t?.text ?? ''}${o.multiple ? (t?.text.includes('repeatable') ? '' : ' (repeatable)') : ''}`.trim()];
  });
  out.push(['--help', 'this help']);
  return out;
}

export function exitCodeLines(spec: CommandSpec): string[] {
  return [
    '0 ok',
    '1 refused or failed (the answer says why)',
    '2 usage or configuration error (the answer shows an example)',
    ...(WAVE_DRIVING.has(spec.name) ? ['3 the wave ended with failures, or stopped (budget spent, aborted): see status WAVE'] : []),
  ];
}

/** The full help of one command, as `help X` and `X --help` show it. */
export function commandHelp(spec: CommandSpec): string {
  const opts = optionLines(spec);
  const width = Math.max(...opts.map(([f]) => f.length));
  return [
    `usage: ${spec.usage}`,
    `  ${spec.summary}`,
    'options:',
    ...opts.map(([f, t]) => `  ${f.padEnd(width)}  ${t}`),
    'examples:',
    ...spec.examples.map((e) => `  ${e}`),
    `who may run it: ${PERMISSION_TEXT[spec.permission]}${spec.mutates ? `; it changes clusters${spec.options.yes ? ', so it asks first unless --yes' : ''}` : ''}`,
    `exit codes: ${exitCodeLines(spec).join('; ')}`,
  ].join('\n');
}

/** True when the arguments ask for help (`--help` or `-h` anywhere before a `--`). */
export function asksForHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}
