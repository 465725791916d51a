/**
 * Who may run which command where (DESIGN.md §7): the command spec says what it needs (`read`, `operate`,
 * `approve`), the environment's `approval` config says who has it. A pure decision plus a cached lookup of
 * Slack user-group members; chat checks before dispatching, and the commands check again (approvals: not
 * the requester, the exact plan hash, not expired).
 *
 * Rules: `read` — everyone. `operate` — the env's `operators` (an empty list: everyone). `approve` — the env's
 * `approvers` or members of its `approverGroup` (neither configured: left to the approve command, which allows
 * it only on a simulated landscape; a real configuration naming no approver is refused when it is loaded). A command that names no environment is checked against every configured one.
 */
import type { Permission } from '../../commands/types.js';
import type { EnvName } from '../config/config.js';

export interface EnvRules {
  env: EnvName;
  approvers: readonly string[];
  approverGroup?: string;
  operators: readonly string[];
}

export type PermissionDecision = { allowed: true } | { allowed: false; reason: string };

export interface PermissionInput {
  command: string;
  permission: Permission;
  user: string;
  /** The environments the command acts on, with their rules. */
  envs: readonly EnvRules[];
  /** Members of the approver groups named in `envs` (looked up beforehand). */
  groupMembers?: ReadonlyMap<string, ReadonlySet<string>>;
}

function who(ids: readonly string[]): string {
  return ids.map((u) => `<@${u}>`).join(', ');
}

export function decidePermission(input: PermissionInput): PermissionDecision {
  const { permission, user, command } = input;
  if (permission === 'read') return { allowed: true };
  for (const rules of input.envs) {
    if (permission === 'operate') {
      if (rules.operators.length && !rules.operators.includes(user)) {
        return { allowed: false, reason: `<@${user}> may not run \`${command}\` in ${rules.env}: operators there are ${who(rules.operators)}. Ask one of them.` };
      }
    } else {
      const members = rules.approverGroup ? input.groupMembers?.get(rules.approverGroup) : undefined;
      if (!rules.approvers.length && !rules.approverGroup) continue;
      if (rules.approvers.includes(user) || members?.has(user)) continue;
      const allowed = [rules.approvers.length ? who(rules.approvers) : '', rules.approverGroup ? `<!subteam^${rules.approverGroup}>` : ''].filter(Boolean).join(' or ');
      return { allowed: false, reason: `<@${user}> may not approve in ${rules.env}: approvers are ${allowed}. Ask on-call.` };
    }
  }
  return { allowed: true };
}

const WAVE_ID = /^(dev|stage|prod)-\d{8}-\d+$/;

/**
 * The environments a command names in its positionals: an env name, or the prefix of a wave id. `undefined` when
 * it names none (then the caller may look further, e.g. a plan hash, or check every environment).
 */
export function envsNamedIn(positionals: readonly string[], known: readonly EnvName[]): EnvName[] | undefined {
  const first = positionals[0];
  if (first === undefined) return undefined;
  if ((known as readonly string[]).includes(first)) return [first as EnvName];
  if (first === 'all') return [...known];
  const wave = WAVE_ID.exec(first);
  if (wave && (known as readonly string[]).includes(wave[1])) return [wave[1] as EnvName];
  return undefined;
}

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
