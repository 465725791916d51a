/**
 * Freezes: `freeze <env|all>` stops new waves and new runtime starts in an environment (or everywhere) until
 * `unfreeze`. The journal keeps one record per frozen scope; this is the one place that says whether an environment
 * is frozen — the runner (once per control interval, as for pause and abort), `run` and `resume` ask it.
 */
import type { Journal } from '../journal/journal.js';

/** The scopes a freeze names: every environment at once, or one. */
export const FREEZE_SCOPES: readonly string[] = ['all', 'dev', 'stage', 'prod'];

/** The scope that freezes `env` now (`all` first), or undefined when it is not frozen. */
export async function frozenBy(journal: Pick<Journal, 'frozenScopes'>, env: string): Promise<string | undefined> {
  const scopes = await journal.frozenScopes();
  return ['all', env].find((s) => scopes.includes(s));
}

/** Whether new starts in `env` are held by a freeze of `env` or of `all`. */
export async function isFrozen(journal: Pick<Journal, 'frozenScopes'>, env: string): Promise<boolean> {
  return (await frozenBy(journal, env)) !== undefined;
}

/** How a refusal names the freeze that holds `env`: its own, or the one of every environment. */
export function frozenText(env: string, scope: string): string {
  return scope === 'all' ? `${env} is frozen by a freeze of all environments (freeze all)` : `${env} is frozen`;
}
