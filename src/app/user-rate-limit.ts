/**
 * At most `limit` uses per user within a sliding `windowMs` (e.g. `plan` from chat: 10 a minute per user). Per
 * process: with several replicas each counts the requests it receives itself, so a user gets at most `limit`
 * per replica (Slack spreads requests over them) — a bound on the load one user can cause, not an exact quota.
 */
export class UserRateLimit {
  private readonly uses = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one use and returns 0 when allowed; otherwise counts nothing and returns the ms until the next is. */
  take(user: string): number {
    const t = this.now();
    const recent = (this.uses.get(user) ?? []).filter((u) => u > t - this.windowMs);
    if (recent.length >= this.limit) {
      this.uses.set(user, recent);
      return recent[0] + this.windowMs - t;
    }
    recent.push(t);
    this.uses.set(user, recent);
    // Forget users with nothing in the window, so the map stays as small as the set of recent users.
    if (this.uses.size > 1000) for (const [u, ts] of this.uses) if (!ts.some((x) => x > t - this.windowMs)) this.uses.delete(u);
    return 0;
  }
}
