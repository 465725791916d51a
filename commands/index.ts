/**
 * The command registry, by hand (renovate's `api.ts`): a grep finds every command. Slack, the console and the
 * shell dispatch through `dispatch`, and `help` is generated from these specs.
 */
import { parseArgs } from 'node:util';
import { abort, drain, pause, resume, retryFailed, setConcurrency, status } from './control.js';
import { approve, cancel, exportWave, freeze, show, tasks, unfreeze } from './misc.js';
import { plan } from './plan.js';
import { run } from './run.js';
import { runbook } from './runbook.js';
import { task } from './task.js';
import { verify } from './verify.js';
import { authorize } from './permissions.js';
import { ApprovalNeededError, CommandError, ok, type CommandContext, type CommandResult, type CommandSpec } from './types.js';

const help: CommandSpec = {
  name: 'help',
  summary: 'this list, or one command in detail',
  usage: 'help [command]',
  examples: ['help', 'help run'],
  permission: 'read',
  mutates: false,
  options: { json: { type: 'boolean' } },
  run(_ctx, args) {
    const name = args.positionals[0];
    if (name) {
      const spec = COMMANDS.find((c) => c.name === name);
      if (!spec) return Promise.reject(new CommandError(`unknown command "${name}"; known: ${COMMANDS.map((c) => c.name).join(', ')}`, 2, 'help run'));
      return Promise.resolve(ok(`${spec.usage}\n  ${spec.summary}\n  examples:\n${spec.examples.map((e) => `    ${e}`).join('\n')}`, spec.name));
    }
    const width = Math.max(...COMMANDS.map((c) => c.name.length));
    return Promise.resolve(ok(COMMANDS.map((c) => `${c.name.padEnd(width)}  ${c.summary}`).join('\n'), COMMANDS.map((c) => ({ name: c.name, usage: c.usage, summary: c.summary }))));
  },
};

export const COMMANDS: readonly CommandSpec[] = [plan, run, approve, cancel, status, show, pause, resume, drain, abort, retryFailed, setConcurrency, freeze, unfreeze, verify, runbook, exportWave, tasks, task, help];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** Parses a command's arguments with its spec and runs it; problems become results with an example. */
export async function dispatch(ctx: CommandContext, name: string, argv: string[]): Promise<CommandResult> {
  const spec = findCommand(name);
  if (!spec) {
    return { exitCode: 2, text: `unknown command "${name}". Commands: ${COMMANDS.map((c) => c.name).join(', ')}. Example: plan stage kyma-test`, json: { error: `unknown command ${name}` } };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: spec.options, allowPositionals: true, strict: true });
  } catch (e) {
    return { exitCode: 2, text: `${spec.name}: ${(e as Error).message}\nusage: ${spec.usage}\nexample: ${spec.examples[0]}`, json: { error: (e as Error).message } };
  }
  const args = { positionals: parsed.positionals, values: parsed.values as Record<string, string | boolean | string[] | undefined> };
  // Who may run it where: decided here, once, for Slack, the console and the shell (permissions.ts).
  const denied = await authorize(ctx, spec, args);
  if (denied) {
    const plain = denied.replace(/<@([^>]+)>/g, '$1').replace(/<!subteam\^([^>]+)>/g, 'the group $1');
    return { exitCode: 1, text: `${spec.name}: ${plain}`, json: { error: plain }, denied };
  }
  try {
    return await spec.run(ctx, args);
  } catch (e) {
    if (e instanceof CommandError) {
      const result: CommandResult = { exitCode: e.exitCode, text: `${spec.name}: ${e.message}${e.example ? `\nexample: ${e.example}` : ''}`, json: { error: e.message } };
      if (e instanceof ApprovalNeededError) result.approvalNeeded = e.need;
      return result;
    }
    const code = (e as { code?: string }).code;
    if (code === 'bad-selector' || code === 'config') return { exitCode: 2, text: `${spec.name}: ${(e as Error).message}`, json: { error: (e as Error).message } };
    if (code === 'journal-unavailable') return { exitCode: 1, text: `${spec.name}: ${(e as Error).message}`, json: { error: (e as Error).message } };
    if (code === 'plan-deadline') return { exitCode: 1, text: `${spec.name}: ${(e as Error).message}`, json: { error: (e as Error).message } };
    throw e;
  }
}
