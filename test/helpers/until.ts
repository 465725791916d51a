/** Polling for an eventual state (never a timed assertion: the timeout only ends a test that would hang). */

/** Polls `fn` every 10 ms until it returns something truthy, and returns that; throws after `timeoutMs`. */
export async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Like until(), for an asynchronous check (e.g. one that asks the simulator over HTTP). */
export async function untilAsync(what: string, fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
