/**
 * The command registry, by hand (renovate's `api.ts`): a grep finds every command. Slack, the console and the
 * shell dispatch through `dispatch`, and `help` is generated from these specs. It is the one door from src/ into
 * commands/ (scripts/check-layers.mjs): what the adapters and the shell need of the commands is re-exported here.
 */
import { parseArgs } from 'node:util';
import { abort, drain, pause, resume, retryFailed, setConcurrency, status } from './control.js';
import { approve, cancel } from './approve.js';
import { exportWave } from './export.js';
import { freeze, unfreeze } from './freeze.js';
import { show } from './show.js';
import { plan } from './plan.js';
import { run } from './run.js';
import { runbook } from './runbook.js';
import { task, tasks } from './task.js';
import { verify } from './verify.js';
import { authorize } from './permissions.js';
import { closest, didYouMean } from './suggest.js';
import { asksForHelp, commandHelp } from './help-text.js';
import { ApprovalNeededError, CommandError, ok, type CommandContext, type CommandResult, type CommandSpec, type ParsedArgs } from './types.js';
import type { EnvName } from '../src/config/config.js';

export type { CommandContext, CommandResult, CommandSpec } from './types.js';
export { envsNamedIn } from './permissions.js';
export { asksForHelp, commandHelp } from './help-text.js';

const help: CommandSpec = {
  name: 'help',
  summary: 'this list, or one command in detail',
  usage: 'help [command] [--json]',
  examples: ['help', 'help run'],
  permission: 'read',
  mutates: false,
  journal: 'none',
  options: { json: { type: 'boolean' } },
  run(_ctx, args) {
    const name = args.positionals[0];
    if (name) {
      const spec = COMMANDS.find((c) => c.name === name);
      if (!spec) return Promise.reject(new CommandError(`unknown command "${name}"${didYouMean(name, COMMAND_NAMES())}; known: ${COMMAND_NAMES().join(', ')}`, 2, 'help run'));
      return Promise.resolve(ok(commandHelp(spec), helpJson(spec)));
    }
    const width = Math.max(...COMMANDS.map((c) => c.name.length));
    return Promise.resolve(ok(COMMANDS.map((c) => `${c.name.padEnd(width)}  ${c.summary}`).join('\n'), COMMANDS.map((c) => ({ name: c.name, usage: c.usage, summary: c.summary }))));
  },
};

/**
 * `help [command] [--json]` without a context (it reads nothing): the shell answers it before loading a landscape.
 * An unknown command is a usage error naming it, with the nearest one.
 */
export async function helpAnswer(argv: string[]): Promise<CommandResult> {
  const parsed = parseArguments(help, argv);
  if ('exitCode' in parsed) return parsed;
  try {
    return await help.run(undefined as never, parsedArgs(parsed));
  } catch (e) {
    if (e instanceof CommandError) return { exitCode: e.exitCode, text: `help: ${e.message}${e.example ? `\nexample: ${e.example}` : ''}`, json: { error: e.message } };
    throw e;
  }
}

/** `--help` as JSON: what the command takes. */
function helpJson(spec: CommandSpec) {
  return { name: spec.name, usage: spec.usage, summary: spec.summary, options: Object.keys(spec.options).map((o) => `--${o}`), examples: spec.examples, permission: spec.permission, mutates: spec.mutates };
}

const COMMAND_NAMES = () => COMMANDS.map((c) => c.name);

export const COMMANDS: readonly CommandSpec[] = [plan, run, approve, cancel, status, show, pause, resume, drain, abort, retryFailed, setConcurrency, freeze, unfreeze, verify, runbook, exportWave, tasks, task, help];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** node:util parseArgs' message, shorter, with the nearest option for an unknown one. */
function argumentProblem(e: Error & { code?: string }, spec: CommandSpec, globals: readonly string[]): string {
  // `--sample -1`: node calls the value ambiguous and suggests `--sample=-1`, which is refused all the same.
  const ambiguous = /^Option '(--[\w-]+)[^']*' argument is ambiguous/.exec(e.message);
  if (ambiguous && NUMERIC_OPTIONS.has(ambiguous[1])) return `${ambiguous[1]} takes a whole number ≥ 1, not a negative one`;
  if (ambiguous) return `${ambiguous[1]} got a value starting with "-": write it as ${ambiguous[1]}=VALUE if that is meant`;
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && /option '-\d/.test(e.message)) {
    const value = /option '([^']+)'/.exec(e.message)?.[1] ?? '';
    return `"${value}" is no valid value: numbers here are whole numbers ≥ 1`;
  }
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const opt = /option '([^']+)'/.exec(e.message)?.[1] ?? '';
    const names = Object.keys(spec.options).map((o) => `--${o}`);
    const global = globals.length ? ` (and everywhere: ${globals.join(', ')})` : '';
    return `unknown option '${opt}'${didYouMean(opt, [...names, '--help', ...globals.map((g) => g.split(' ')[0])])}; ${spec.name} takes ${names.join(', ')}, --help${global}`;
  }
  return e.message;
}

/** The options that take numbers (their values are whole numbers ≥ 1). */
const NUMERIC_OPTIONS: ReadonlySet<string> = new Set(['--sample', '--concurrency', '--budget']);

/**
 * The arguments parsed with the spec's options, or the usage error (exit 2) with the nearest option and an example.
 * `globals`: options the caller takes before the command sees the line (the shell's `--config FILE`), named in the
 * answer to an unknown option.
 */
export function parseArguments(spec: CommandSpec, argv: string[], globals: readonly string[] = []): ReturnType<typeof parseArgs> | CommandResult {
  try {
    return parseArgs({ args: argv, options: spec.options, allowPositionals: true, strict: true });
  } catch (e) {
    const problem = argumentProblem(e as Error & { code?: string }, spec, globals);
    // --json gets the same words as the text (not node's parser message), the example included.
    return { exitCode: 2, text: `${spec.name}: ${problem}\nusage: ${spec.usage}\nexample: ${spec.examples[0]}`, json: { error: `${problem} (example: ${spec.examples[0]})` } };
  }
}

/**
 * How many positional arguments a command takes (plan, run and verify take any number of targets): a token past
 * them is refused with the usage and an example instead of being ignored.
 */
const MAX_POSITIONALS: Record<string, number> = { approve: 1, cancel: 1, status: 1, show: 1, pause: 1, resume: 1, drain: 1, abort: 1, 'retry-failed': 1, 'set-concurrency': 2, freeze: 1, unfreeze: 1, runbook: 1, export: 1, tasks: 1, task: 2, help: 1 };

function extraToken(spec: CommandSpec, positionals: string[]): CommandResult | undefined {
  const max = MAX_POSITIONALS[spec.name];
  if (max === undefined || positionals.length <= max) return undefined;
  const token = positionals[max];
  return { exitCode: 2, text: `${spec.name}: unexpected "${token}" (${spec.name} takes ${max === 1 ? 'one argument' : `${max} arguments`})\nusage: ${spec.usage}\nexample: ${spec.examples[0]}`, json: { error: `unexpected argument ${token}` } };
}

function parsedArgs(parsed: ReturnType<typeof parseArgs>): ParsedArgs {
  return { positionals: parsed.positionals, values: parsed.values as ParsedArgs['values'] };
}

/** What the dispatcher's permission rule says about a command line before it runs. */
export type AskedAhead = { kind: 'allowed' } | { kind: 'denied'; reason: string } | { kind: 'bad-args' };

/**
 * Asks the dispatcher's own rule (permissions.ts `authorize`) ahead of a command, before an adapter does work of its
 * own (a confirmation question, an approval request, a run in the background): the adapters decide nothing.
 * `bad-args` when the arguments do not parse (`dispatch` explains those); `envs` when the line names none.
 */
export async function askAhead(ctx: CommandContext, name: string, argv: string[], envs?: readonly EnvName[]): Promise<AskedAhead> {
  const spec = findCommand(name);
  if (!spec) return { kind: 'allowed' };
  const parsed = parseArguments(spec, argv);
  if ('exitCode' in parsed) return { kind: 'bad-args' };
  const reason = await authorize(ctx, spec, parsedArgs(parsed), envs);
  return reason ? { kind: 'denied', reason } : { kind: 'allowed' };
}

/** Parses a command's arguments with its spec and runs it; problems become results with an example. */
export async function dispatch(ctx: CommandContext, name: string, argv: string[]): Promise<CommandResult> {
  const spec = findCommand(name);
  if (!spec) {
    const near = closest(name, COMMAND_NAMES());
    return { exitCode: 2, text: `unknown command "${name}"${near ? ` (did you mean "${near}"?)` : ''}. Commands: ${COMMANDS.map((c) => c.name).join(', ')}. Example: ${near ? `help ${near}` : 'plan stage kyma-test'}`, json: { error: `unknown command ${name}` } };
  }
  // `X --help` (shell, console and Slack): the command's help; nothing runs.
  if (asksForHelp(argv)) return ok(commandHelp(spec), helpJson(spec));
  const parsed = parseArguments(spec, argv);
  if ('exitCode' in parsed) return parsed;
  const extra = extraToken(spec, parsed.positionals);
  if (extra) return extra;
  const args = parsedArgs(parsed);
  try {
    // The journal as the command declares it needs it (types.ts `journal`): only a command that records something new
    // may start one where none exists; the others refuse (exit 2, naming the path or schema) and create nothing.
    if (spec.journal !== 'none') await ctx.services.journal(spec.journal);
    // Who may run it where: decided here, once, for Slack, the console and the shell (permissions.ts). Inside the
    // try: deciding may read the journal (the environment of `run --plan H`), whose errors are classified below.
    const denied = await authorize(ctx, spec, args);
    if (denied) {
      const plain = denied.replace(/<@([^>]+)>/g, '$1').replace(/<!subteam\^([^>]+)>/g, 'the group $1');
      return { exitCode: 1, text: `${spec.name}: ${plain}`, json: { error: plain }, denied };
    }
    return await spec.run(ctx, args);
  } catch (e) {
    if (e instanceof ApprovalNeededError) return { exitCode: e.exitCode, text: `${spec.name}: ${e.message}`, json: { error: e.message }, approvalNeeded: e.need };
    if (e instanceof CommandError) return { exitCode: e.exitCode, text: `${spec.name}: ${e.message}${e.example ? `\nexample: ${e.example}` : ''}`, json: { error: e.message } };
    const code = (e as { code?: string }).code;
    if (code === 'bad-selector' || code === 'config') return { exitCode: 2, text: `${spec.name}: ${(e as Error).message}\nexample: ${spec.examples[0]}`, json: { error: (e as Error).message } };
    if (code === 'journal-unavailable') return { exitCode: 1, text: `${spec.name}: ${(e as Error).message}`, json: { error: (e as Error).message } };
    if (code === 'plan-deadline') return { exitCode: 1, text: `${spec.name}: ${(e as Error).message}`, json: { error: (e as Error).message } };
    throw e;
  }
}
