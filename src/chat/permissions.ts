import { parseArgs } from 'node:util';
import { findCommand } from '../../commands/index.js';
import { authorize } from '../../commands/permissions.js';
import type { CommandContext } from '../../commands/types.js';
import type { EnvName } from '../config/config.js';

/**
 * Permissions in chat, asked, never decided: who may run which command where is decided by the command dispatcher
 * (commands/permissions.ts), the same for Slack, the console and the shell. Here: Slack's user-group membership
 * (its `isInApproverGroup` answer), and asking the rule ahead of a command (`askAhead`).
 */
/**
 * Members of Slack user groups, each looked up at most once per `ttlMs` (default 5 minutes; concurrent askers
 * share one lookup). A failed lookup is not cached. Per process: replicas each keep their own.
 */
export class GroupMembersCache {
  private readonly entries = new Map<string, { at: number; members: Promise<ReadonlySet<string>> }>();

  constructor(
    private readonly lookup: (groupId: string) => Promise<readonly string[]>,
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  members(groupId: string): Promise<ReadonlySet<string>> {
    const hit = this.entries.get(groupId);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.members;
    const members = this.lookup(groupId).then((ids) => new Set(ids) as ReadonlySet<string>);
    this.entries.set(groupId, { at: this.now(), members });
    members.catch(() => {
      if (this.entries.get(groupId)?.members === members) this.entries.delete(groupId);
    });
    return members;
  }
}

/** What the dispatcher's permission rule says about a command line before it runs. */
export type AskedAhead = { kind: 'allowed' } | { kind: 'denied'; reason: string } | { kind: 'bad-args' };

/**
 * Asks the dispatcher's own rule (commands/permissions.ts `authorize`) ahead of a command, before an adapter does
 * work of its own (a confirmation question, an approval request, a run in the background): nothing here decides.
 * `bad-args` when the arguments do not parse (the dispatcher explains those); `envs` when the line names none.
 */
export async function askAhead(ctx: CommandContext, name: string, argv: string[], envs?: EnvName[]): Promise<AskedAhead> {
  const spec = findCommand(name);
  if (!spec) return { kind: 'allowed' };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: spec.options, allowPositionals: true, strict: true });
  } catch {
    return { kind: 'bad-args' };
  }
  const args = { positionals: parsed.positionals, values: parsed.values as Record<string, string | boolean | string[] | undefined> };
  const reason = await authorize(ctx, spec, args, envs);
  return reason ? { kind: 'denied', reason } : { kind: 'allowed' };
}
