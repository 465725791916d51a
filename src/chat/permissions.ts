/**
 * Permissions in chat, asked, never decided: who may run which command where is decided by the command dispatcher
 * (commands/permissions.ts), the same for Slack, the console and the shell; adapters ask it ahead of a command with
 * the registry's `askAhead`. Here: Slack's user-group membership (its `isInApproverGroup` answer).
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
