/**
 * The wave pages of a process (the bot on HEALTH_PORT, or `istio-migrate serve`) from its services: the journal,
 * the link key and the environments' budgets. Also makes the signed links messages carry.
 */
import type { Services } from '../app/services.js';
import type { BudgetPolicy } from '../rollout/wave-budget.js';
import { handleWavePage, indexPagePath, wavePagePath } from './page-server.js';
import { loadPageKey, pageUrl } from './page-key.js';
import type http from 'node:http';

export interface WavePages {
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;
  /** A wave's signed link: absolute with a base URL configured, else undefined (messages then carry none). */
  waveLink: (waveId: string) => string | undefined;
  /** Signed paths (relative), for `serve` to print. */
  wavePath: (waveId: string) => string | undefined;
  indexPath: (env: string) => string | undefined;
  readonly enabled: boolean;
}

export async function wavePages(services: Services, opts: { key?: Buffer; pollMs?: number } = {}): Promise<WavePages> {
  const key = opts.key ?? (await loadPageKey(services.config));
  const ttl = (services.config.page?.linkTtlHours ?? 168) * 3600;
  const budget: BudgetPolicy = {
    budget: (env, eligible) => {
      try {
        return services.budget(env, eligible);
      } catch {
        return Math.max(1, eligible); // an environment no longer configured: nothing to hold the page to
      }
    },
  };
  return {
    enabled: !!key,
    handle: (req, res) => handleWavePage(req, res, { journal: () => services.journal(), key, budget, envs: services.envs(), pollMs: opts.pollMs }),
    waveLink: (waveId) => (key ? pageUrl(services.config, wavePagePath(key, waveId, ttl)) : undefined),
    wavePath: (waveId) => (key ? wavePagePath(key, waveId, ttl) : undefined),
    indexPath: (env) => (key ? indexPagePath(key, env, ttl) : undefined),
  };
}
