/**
 * One abort listener per signal, shared by everything that follows the signal while it is in flight.
 *
 * A wave's stop signal is followed by every request and every runtime's wait in flight — hundreds at high
 * concurrency. Node's EventTarget keeps a signal's listeners in a linked list and walks it on every add (to refuse
 * a duplicate) and every remove, so a listener per follower costs O(in flight) twice per request. Here a follower
 * costs a Set insertion and deletion; the signal holds one listener of ours while any follower remains, and none
 * once the last has gone (node keeps a composite or timeout signal alive while it has listeners).
 */

/** What follows a signal: stopped with the signal's reason when it aborts. */
export interface Stoppable {
  stop(reason: unknown): void;
}

class Followers {
  private readonly set = new Set<Stoppable>();
  private listening = false;
  private readonly onAbort = () => {
    this.listening = false;
    const all = [...this.set];
    this.set.clear();
    for (const f of all) f.stop(this.signal.reason);
  };

  constructor(private readonly signal: AbortSignal) {}

  add(s: Stoppable): () => void {
    this.set.add(s);
    if (!this.listening) {
      this.listening = true;
      this.signal.addEventListener('abort', this.onAbort, { once: true });
    }
    return () => {
      if (this.set.delete(s) && this.set.size === 0 && this.listening) {
        this.listening = false;
        this.signal.removeEventListener('abort', this.onAbort);
      }
    };
  }
}

const FOLLOWERS = new WeakMap<AbortSignal, Followers>();

/**
 * Registers `s` to be stopped when `signal` aborts; returns the unregistration (idempotent). A signal that has
 * already aborted stops `s` at once.
 */
export function followStop(signal: AbortSignal | undefined, s: Stoppable): () => void {
  if (!signal) return noop;
  if (signal.aborted) {
    s.stop(signal.reason);
    return noop;
  }
  let f = FOLLOWERS.get(signal);
  if (!f) FOLLOWERS.set(signal, (f = new Followers(signal)));
  return f.add(s);
}

function noop(): void {}
