/**
 * What a wave's thread shows, and when (issue 21): ONE policy, used by the Slack reporter and the console alike, so
 * that the console prints what the thread would show.
 *
 * - Failures (platform and customer class, C4) are not posted one by one: they are grouped by reason (`api-error`,
 *   `istio-error`, `timeout`, …; customer outcomes as `multiple-istio-crs` with their customer-contact tasks) and
 *   posted as a digest at most every `intervalMs` (config `environments.<env>.thread.digestMinutes`, default 5 min,
 *   times the landscape's `timeScale`) and at most every tenth of the wave's age (a day-long wave with a failure
 *   every few minutes would otherwise be 288 posts; stretched, the count grows with the logarithm of its length:
 *   a 16-hour wave gets ~40), or sooner when a group's total crosses `threshold` × 10^k (25, 250, 2,500 …
 *   by default: a burst is told at once, but a landslide does not become a post per failure). In between, the live
 *   parent message carries the running totals per group (`totals()`).
 * - Posted at once, each on its own, only what needs a person (`immediateOf`): the budget stopped the wave, it was
 *   paused, drained, resumed, retried, aborted or interrupted, and it ended. (Approval requests and approvals are
 *   posted at once by the Slack actions themselves, not through here.) Three of these go beyond issue 21's list, on
 *   purpose: `interrupted` — the bot process stopped and the wave stands still until a person resumes it, so someone
 *   must act; `resumed` — it answers a person's pause, a budget stop or abort, or the interruption (each told as
 *   what it was): whoever read "paused" or "interrupted" in the thread must also read that it runs again, or the
 *   thread tells a stopped wave that is running; `retried` — `retry-failed` runs the failed runtimes again, told as
 *   a retry (not as a resume: nothing was interrupted). All are rare (one per person's action), so they cost the
 *   thread nothing.
 * - A digest lists each group with its count and a few runtime ids; every failure is counted in exactly one digest
 *   (the wave's end flushes the rest), and the export / the CSV in the thread has them all.
 *
 * Pure state with an injectable clock: no timers, no I/O. The adapters ask `due()` and `take()`.
 */
import type { EnvName, Config } from '../config/config.js';
import type { MigrationResult } from '../migration/result.js';
import type { WaveEvent } from '../rollout/wave-runner.js';
import type { ChatMessage } from './message.js';
import { inlineCode, mention } from './message.js';
import { count } from '../text/words.js';

export interface ThreadPolicy {
  /** A digest at most this often (ms), unless a group crosses a threshold. */
  intervalMs: number;
  /** A group whose total crosses threshold × 10^k makes the digest due at once. */
  threshold: number;
  /** Runtime ids shown per group in a digest. */
  examples: number;
  /** The gap between digests is at least the wave's age divided by this (default 10). */
  ageShare: number;
}

export const DEFAULT_DIGEST_MINUTES = 5;
export const DEFAULT_DIGEST_THRESHOLD = 25;
const EXAMPLES = 3;
const AGE_SHARE = 10;

/** The policy of an environment: its `thread` config, the interval scaled by the landscape's time scale. */
export function threadPolicy(config: Config, env: EnvName): ThreadPolicy {
  const t = config.environments[env]?.thread;
  return {
    intervalMs: (t?.digestMinutes ?? DEFAULT_DIGEST_MINUTES) * 60_000 * config.timeScale,
    threshold: t?.digestThreshold ?? DEFAULT_DIGEST_THRESHOLD,
    examples: EXAMPLES,
    ageShare: AGE_SHARE,
  };
}

/** The group a finished runtime's failure is counted in, or undefined when it is no failure (success, skipped). */
export function failureGroup(r: Pick<MigrationResult, 'class' | 'outcome' | 'reason'>): string | undefined {
  if (r.class !== 'platform' && r.class !== 'customer') return undefined;
  return r.reason ?? r.outcome;
}

/**
 * Events posted at once, on their own (what needs a person). `interrupted` and `resumed` are beyond issue 21's list
 * on purpose (see the header): an interrupted wave waits for a person, and `resumed` closes a pause or interruption.
 */
export type ImmediateEvent = 'budget-stopped' | 'paused' | 'draining' | 'resumed' | 'retried' | 'aborted' | 'interrupted' | 'ended';

/** Whether `e` is posted at once, and as what; undefined: counted (a failure) or shown only in the parent. */
export function immediateOf(e: WaveEvent): ImmediateEvent | undefined {
  switch (e.type) {
    case 'budget-stopped':
      return 'budget-stopped';
    case 'state':
      return e.state === 'paused' ? 'paused' : e.state === 'draining' ? 'draining' : e.state === 'running' ? 'resumed' : undefined;
    case 'wave-started':
      return e.start === 'new' ? undefined : e.start === 'retry' ? 'retried' : 'resumed';
    case 'wave-finished':
      return e.state === 'interrupted' ? 'interrupted' : e.state === 'aborted' ? 'aborted' : 'ended';
    default:
      return undefined;
  }
}

/**
 * The audit actions whose actor did what an immediate event tells (the Slack reporter names them): a pause's, a
 * drain's, a resume's or a retry's; undefined where nobody is named (a recovery, the budget, the end).
 */
export function actorActionsOf(e: WaveEvent, what: ImmediateEvent): string[] | undefined {
  if (what === 'retried') return ['retry-failed'];
  if (what === 'aborted') return ['abort'];
  if (what === 'paused' || what === 'draining') return [what === 'paused' ? 'pause' : 'drain', 'freeze'];
  if (what === 'resumed' && !(e.type === 'wave-started' && e.start === 'recovery')) return ['resume'];
  return undefined;
}

/** The line of an immediate event (`actor`: who did it, from the audit log; `budget`: the budget-stopped event). */
export function immediateLine(e: WaveEvent, what: ImmediateEvent, actor?: string): string {
  const by = actor ? ` by ${mention(actor)}` : '';
  switch (what) {
    case 'budget-stopped': {
      const b = e as Extract<WaveEvent, { type: 'budget-stopped' }>;
      return `:octagonal_sign: ${b.scope === 'global' ? 'global error budget (over all running waves)' : 'error budget'} spent: ${count(b.failures, 'platform failure')} (budget ${b.budget}); no more runtimes start. ${inlineCode(`retry-failed ${e.waveId}`)} once the cause is fixed`;
    }
    case 'paused':
      return `:double_vertical_bar: paused${by}`;
    case 'draining':
      return `:hourglass_flowing_sand: draining${by}`;
    case 'resumed':
      if (e.type === 'wave-started' && e.start === 'recovery') return ':arrow_forward: resumed after an interruption';
      return e.type === 'wave-started' ? `:arrow_forward: resumed${by}` : `:arrow_forward: running again${by}`;
    case 'retried':
      return `:repeat: retry-failed${by}: the runtimes that failed on the platform side run again`;
    case 'aborted':
      return `:x: aborted${by}`;
    case 'interrupted':
      return ':warning: interrupted: the process running it stopped; the wave continues when it is resumed';
    case 'ended':
      return `wave ${inlineCode(e.waveId)} ended`;
  }
}

interface Group {
  total: number;
  pending: number;
  examples: string[];
  /** The next total that makes a digest due at once. */
  nextThreshold: number;
}

/**
 * One wave's thread: failures counted by group since the last digest, and the totals for the parent message. A
 * failure counts per runtime, its latest attempt: a runtime that fails again (retry-failed) leaves the group of its
 * earlier failure (and, when that one was not told yet, the pending digest), so it is never counted twice.
 */
export class WaveThread {
  private readonly groups = new Map<string, Group>();
  /** The group each failed runtime is counted in (its latest attempt). */
  private readonly counted = new Map<string, string>();
  /** Failed runtimes not yet in a digest. */
  private readonly untold = new Set<string>();
  private readonly tasks: string[] = [];
  private lastDigestAt: number;
  private readonly startedAt: number;
  private urgent = false;

  constructor(
    readonly waveId: string,
    private readonly policy: ThreadPolicy,
    private readonly now: () => number = Date.now,
  ) {
    this.lastDigestAt = now();
    this.startedAt = this.lastDigestAt;
  }

  private group(name: string): Group {
    let g = this.groups.get(name);
    if (!g) {
      g = { total: 0, pending: 0, examples: [], nextThreshold: this.policy.threshold };
      this.groups.set(name, g);
    }
    return g;
  }

  /** Failures already told before this process followed the wave (a restart): counted in the totals only. */
  seed(group: string, runtimeIds: readonly string[]): void {
    for (const id of runtimeIds) this.uncount(id);
    const g = this.group(group);
    g.total += runtimeIds.length;
    for (const id of runtimeIds) this.counted.set(id, group);
    while (g.total >= g.nextThreshold) g.nextThreshold *= 10;
  }

  /** Takes back a runtime's earlier failure (it was attempted again). */
  private uncount(runtimeId: string): void {
    const before = this.counted.get(runtimeId);
    if (before === undefined) return;
    this.counted.delete(runtimeId);
    const g = this.group(before);
    g.total--;
    if (this.untold.delete(runtimeId)) {
      g.pending--;
      g.examples = g.examples.filter((id) => id !== runtimeId);
    }
  }

  /** A finished runtime: counted when it failed. Returns its group (undefined: not a failure). */
  finished(runtimeId: string, result: Pick<MigrationResult, 'class' | 'outcome' | 'reason'>): string | undefined {
    this.uncount(runtimeId);
    const name = failureGroup(result);
    if (!name) return undefined;
    const g = this.group(name);
    g.total++;
    g.pending++;
    this.counted.set(runtimeId, name);
    this.untold.add(runtimeId);
    if (g.examples.length < this.policy.examples) g.examples.push(runtimeId);
    if (g.total >= g.nextThreshold) {
      this.urgent = true;
      while (g.total >= g.nextThreshold) g.nextThreshold *= 10;
    }
    return name;
  }

  /** A customer-contact task raised for a failure of this wave (one summary line per digest names them). */
  task(taskId: string): void {
    this.tasks.push(taskId);
  }

  /** Make the next digest due at once (the budget stopped the wave: the team wants the why now). */
  flushSoon(): void {
    if (this.pending()) this.urgent = true;
  }

  /** Failures not yet in a digest. */
  pending(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.pending;
    return n;
  }

  /** Whether a digest should go out now: something pending, and a threshold crossed or the gap passed. */
  due(): boolean {
    if (!this.pending()) return false;
    if (this.urgent) return true;
    const now = this.now();
    return now - this.lastDigestAt >= Math.max(this.policy.intervalMs, (now - this.startedAt) / this.policy.ageShare);
  }

  /** Totals per group, largest first (the parent message's running counts). */
  totals(): { group: string; count: number }[] {
    return [...this.groups.entries()].filter(([, g]) => g.total > 0).map(([group, g]) => ({ group, count: g.total })).sort((a, b) => b.count - a.count || a.group.localeCompare(b.group));
  }

  /**
   * The digest of everything pending (and resets it), or undefined when nothing is pending. `taskChannel`: where the
   * customer-contact tasks are posted (named in their summary line).
   */
  take(taskChannel?: string): { message: ChatMessage; failures: number } | undefined {
    const pending = [...this.groups.entries()].filter(([, g]) => g.pending > 0).sort((a, b) => b[1].pending - a[1].pending || a[0].localeCompare(b[0]));
    if (!pending.length) return undefined;
    const failures = pending.reduce((n, [, g]) => n + g.pending, 0);
    const all = this.totals().reduce((n, t) => n + t.count, 0);
    const lines = pending.map(([name, g]) => {
      const more = g.pending > g.examples.length ? ' …' : '';
      return `• ${inlineCode(name)} × ${g.pending}: ${g.examples.map(inlineCode).join(', ')}${more}${g.pending !== g.total ? ` (${g.total} in all)` : ''}`;
    });
    if (this.tasks.length) {
      const shown = this.tasks.slice(0, this.policy.examples).map(inlineCode).join(', ');
      lines.push(`:busts_in_silhouette: customer-contact task${this.tasks.length === 1 ? '' : 's'} × ${this.tasks.length}: ${shown}${this.tasks.length > this.policy.examples ? ' …' : ''}${taskChannel ? ` in <#${taskChannel}>` : ''}`);
    }
    for (const [, g] of pending) {
      g.pending = 0;
      g.examples = [];
    }
    this.untold.clear();
    this.tasks.length = 0;
    this.urgent = false;
    this.lastDigestAt = this.now();
    const text = `${this.waveId}: ${failures} failure${failures === 1 ? '' : 's'} since the last digest (${all} in all)`;
    return {
      failures,
      message: {
        text,
        blocks: [
          { type: 'section', markdown: `*${text}*\n${lines.join('\n')}` },
          { type: 'context', elements: [`every runtime: ${inlineCode(`/istio-migrate export ${this.waveId} --format csv`)} (and the file in this thread when the wave ends)`] },
        ],
      },
    };
  }
}

/** An immediate event as its own thread post. */
export function threadEventMessage(waveId: string, line: string): ChatMessage {
  return { text: `${waveId}: ${line.replace(/:[a-z_]+: /, '')}`, blocks: [{ type: 'section', markdown: line }] };
}
