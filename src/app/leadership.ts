/**
 * Leader election for bot replicas (docs/ha.md): every replica answers Slack, only the leader runs waves. The leader
 * holds a lease row (`LEADER_KEY` in the journal's lease table, taken and renewed by the same atomic upsert as a
 * wave's lease, judged by the database clock), renewed every third of its TTL. A replica that cannot renew for a
 * whole TTL (the journal unreachable, the process stalled) counts itself no longer the leader and stops its runners
 * (`signal`); another replica takes the lease once it lapses and resumes the waves, which are then `interrupted`.
 *
 * Safety does not rest on this lease alone: two leaders for a moment (a stalled one that has not noticed yet) still
 * cannot run one wave twice — each wave has its own lease, and runtime writes are fenced by it (journal.ts).
 */
import type { Journal } from '../journal/journal.js';
import { newRunnerHolder } from '../rollout/runner-identity.js';

/** The lease row of the leader (not a wave id: those are `<env>-<yyyymmdd>-<n>`). */
export const LEADER_KEY = 'leader:waves';

export class Leadership {
  /** This replica's holder in the leader lease: `host:pid:<random>`. */
  readonly holder: string;
  private leading = false;
  private lastRenewal = 0;
  private term = new AbortController();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<boolean>;

  constructor(
    private readonly journal: () => Promise<Journal>,
    processId: string,
    readonly ttlMs: number,
    private readonly onChange: (leader: boolean) => void = () => undefined,
  ) {
    this.holder = newRunnerHolder(processId);
  }

  /** Whether this replica leads now (and renewed its lease within the TTL). */
  get isLeader(): boolean {
    return this.leading && Date.now() - this.lastRenewal < this.ttlMs;
  }

  /** Aborted when this replica stops being the leader: its runners stop (their waves become `interrupted`). */
  get signal(): AbortSignal {
    return this.term.signal;
  }

  /** Takes or renews the leader lease once; resolves whether this replica leads. */
  tick(): Promise<boolean> {
    this.ticking ??= (async () => {
      try {
        const lease = await (await this.journal()).acquireLease(LEADER_KEY, this.holder, this.ttlMs);
        if (lease.holder === this.holder) this.lastRenewal = Date.now();
        this.set(lease.holder === this.holder);
      } catch {
        // Not renewed: still the leader until a whole TTL has passed since the last renewal (the lease may lapse then).
        if (this.leading && Date.now() - this.lastRenewal >= this.ttlMs) this.set(false);
      }
      return this.leading;
    })().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private set(leader: boolean): void {
    if (leader === this.leading) return;
    this.leading = leader;
    if (!leader) {
      this.term.abort(new Error('this replica is no longer the leader: its waves continue on the new leader'));
      this.term = new AbortController();
    }
    this.onChange(leader);
  }

  /** Starts electing: one attempt now, then every third of the TTL. */
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  /** Stops electing and gives the lease up (a graceful stop: another replica leads at once). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking?.catch(() => undefined);
    if (this.leading) {
      this.set(false);
      await (await this.journal()).releaseLease(LEADER_KEY, this.holder).catch(() => undefined);
    }
  }
}
