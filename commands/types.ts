/**
 * Commands as data (STYLE.md §1): every file in commands/ exports a CommandSpec — name, summary, usage,
 * examples, options, who may run it, whether it changes clusters, and the handler. The shell CLI, the console
 * and Slack all dispatch through the same specs; `help` is generated from them.
 */
import type { ParseArgsConfig } from 'node:util';
import type { Services } from '../src/app/services.js';
import type { ApprovalNeed } from '../src/rollout/approvals.js';
import type { JournalUse } from '../src/journal/open-journal.js';

// The approval rules live in rollout (src/rollout/approvals.ts); adapters keep finding the need a refusal carries here.
export { ApprovalNeededError, type ApprovalNeed } from '../src/rollout/approvals.js';

export type Permission = 'read' | 'operate' | 'approve';

export interface CommandContext {
  /** Who asked: a Slack user id, the console identity, or the shell user. */
  user: string;
  via: 'shell' | 'console' | 'slack';
  /** A person at a terminal who can be asked (`run` without `--yes` needs it, C5). */
  interactive: boolean;
  services: Services;
  /**
   * Whether a user may approve in an environment beyond the configured user ids — Slack answers it from the
   * on-call user group (usergroups.users.list). Absent outside Slack.
   */
  isInApproverGroup?: (user: string, group: string) => Promise<boolean>;
  /**
   * Asks the person at the terminal (`interactive`) whether to go ahead: `question` says what will happen; the
   * adapter adds "Proceed? [y/N]" and resolves true only on y/yes. The shell provides it; the console and Slack
   * confirm by their own buttons and pass `--yes`. Commands call it through `confirmChange` (commands/shared.ts).
   */
  confirm?: (question: string) => Promise<boolean>;
  /** Progress lines while the command works (the shell prints them on stderr). */
  progress?: (line: string) => void;
  /**
   * A live status line that replaces the previous one (the shell at a terminal redraws it in place; '' clears it).
   * Absent where output is a log (a pipe, a file): then progress lines carry the counts instead.
   */
  status?: (line: string) => void;
}

export interface CommandResult {
  /** C3: 0 ok; 1 refused or failed; 2 usage or config error; 3 the wave ended with failures. */
  exitCode: 0 | 1 | 2 | 3;
  /** Human-readable answer. */
  text: string;
  /** The `--json` document (C5). */
  json: unknown;
  /**
   * Set when the command was refused only for want of an on-call approval (an ApprovalNeededError): what to ask
   * for and what to run again once approved. Adapters that can ask on-call (Slack) do; the others show `text`.
   */
  approvalNeeded?: ApprovalNeed;
  /** Bytes for stdout instead of `text` (export --format png|svg without --out); the shell writes them as they are. */
  output?: Buffer;
  /**
   * Set when the dispatcher refused the command for want of a permission (permissions.ts): why, in chat markdown
   * (it may mention people); `text` says the same in plain words. Adapters show it as a refusal.
   */
  denied?: string;
}

export interface ParsedArgs {
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  examples: string[];
  permission: Permission;
  /** Whether it can change clusters: `help` and docs/commands.md say so ("it changes clusters"). */
  mutates: boolean;
  /**
   * What it needs of the journal (src/journal/open-journal.ts `JournalUse`): `existing` — it reads or amends what a
   * journal holds, so where none exists it refuses (exit 2, naming the path or schema) and creates nothing; `create`
   * — it records something new (a plan, a wave, a freeze) and may start a new, empty journal, saying so; `none` — it
   * never opens one. `dispatch` opens the journal this way before the command runs.
   */
  journal: JournalUse | 'none';
  options: NonNullable<ParseArgsConfig['options']>;
  run(ctx: CommandContext, args: ParsedArgs): Promise<CommandResult>;
}

/** A refusal or usage problem, answered with what was wrong and an example. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
    readonly example?: string,
  ) {
    super(message);
  }
}

export function ok(text: string, json: unknown): CommandResult {
  return { exitCode: 0, text, json };
}
