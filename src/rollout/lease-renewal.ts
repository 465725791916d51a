/**
 * A wave runner's lease, kept while it runs (wave-runner.ts): renewed every third of the TTL (two renewals may be
 * late before another process can take over), one renewal at a time. A renewal that finds another holder means this
 * process stalled past the TTL and the wave was taken over: `onLost` stops the runner at once, so that two runners
 * never work on one wave.
 *
 * `settle()` stops renewing and waits for a renewal already sent. Answered after the runner gave the lease back,
 * that renewal would take it again for a runner that is gone, and the next process would wait a whole TTL to resume
 * the wave (a journal that answers late: PostgreSQL, a busy SQLite file). It settles as every journal call of the
 * runner's end does: a journal that is gone fails it.
 */
import type { Journal, Lease } from '../journal/journal.js';

export class LeaseRenewal {
  private renewing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  /** The lease another holder took, once a renewal found it. */
  lostTo: Lease | undefined;

  constructor(journal: Journal, waveId: string, holder: string, ttlMs: number, onLost: (lease: Lease) => void) {
    this.timer = setInterval(() => {
      if (this.renewing) return; // the journal answers slowly: another request would not renew sooner
      this.renewing = journal
        .acquireLease(waveId, holder, ttlMs)
        .then(
          (l) => {
            if (l.holder !== holder && !this.lostTo) {
              this.lostTo = l;
              onLost(l);
            }
          },
          () => undefined, // a failed renewal is retried on the next tick; the lease only lapses after the TTL
        )
        .finally(() => (this.renewing = undefined));
    }, ttlMs / 3);
    this.timer.unref();
  }

  async settle(): Promise<void> {
    clearInterval(this.timer);
    await this.renewing;
  }
}
