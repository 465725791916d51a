/**
 * What the commands run on: the configuration (a file, or the embedded simulated landscape), the journal,
 * each environment's access (kubeconfigs read once, held in memory), the shared rate limiter and the wave
 * event stream. Opened lazily, closed once.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { approvalRequired, concurrencyOf, resolveBudget, type Config, type EnvName } from '../config/config.js';
import { configFileFrom, loadConfigFile } from '../config/load-config.js';
import type { Journal } from '../journal/journal.js';
import { openJournal } from '../journal/open-journal.js';
import { RateLimiter, type EnvThrottle, type RateCaps } from '../rollout/rate-limiter.js';
import { WaveEvents, type EnvAccess } from '../rollout/wave-runner.js';
import { GlobalBudget } from '../rollout/global-budget.js';

export interface ServicesOptions {
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Where the embedded default keeps its files (default ./data). */
  dataDir?: string;
  /** Told when the embedded default is used (the CLI prints it on stderr). */
  notice?: (line: string) => void;
}

/**
 * The embedded default landscape: a Stage wave of all 51 runtimes (`run stage canary --force --yes`) takes about a
 * minute (measured ≈ 58 s) with a realistic mix — 3 skipped at plan time (suspended, deprovisioning), most migrated,
 * some already migrated, a skip-reconciliation, two customers with their own Istio CR (customer-contact tasks)
 * and one platform failure (manifest-error), which stays within the 5 % budget. Seed 10 is chosen for that mix.
 */
export const EMBEDDED = { profile: 'mixed', runtimes: 170, seed: 10, timeScale: 0.0625 } as const;

export class Services {
  private journalPromise?: Promise<Journal>;
  private readonly accessCache = new Map<EnvName, Promise<EnvAccess>>();
  readonly limiter: RateLimiter;
  readonly events = new WaveEvents();
  /**
   * The global error budget (config `globalBudget`) over every wave this process runs; unset without one. Per process:
   * replicas sharing a PostgreSQL journal each count only their own waves (see global-budget.ts).
   */
  readonly globalBudget?: GlobalBudget;
  readonly holder = `${os.hostname()}:${process.pid}`;

  private constructor(
    readonly config: Config,
    readonly configSource: string,
    private readonly closeEmbedded?: () => Promise<void>,
  ) {
    if (config.globalBudget !== undefined) this.globalBudget = new GlobalBudget(config.globalBudget);
    // One bucket per (environment, system) at that environment's cap: each environment's KCP, Gardener and KEB are
    // servers of their own.
    const caps: RateCaps = {};
    for (const env of ['dev', 'stage', 'prod'] as const) caps[env] = config.environments[env]?.limits.requestsPerSecond;
    this.limiter = new RateLimiter(caps);
  }

  /** The request-rate throttle of one environment's clients (KCP, Gardener, SKRs, KEB). */
  throttle(env: EnvName): EnvThrottle {
    return this.limiter.for(env);
  }

  get simulated(): boolean {
    return this.config.simulated;
  }

  static async create(opts: ServicesOptions = {}): Promise<Services> {
    const file = configFileFrom(opts.configFile, opts.env ?? process.env);
    if (file) return new Services(await loadConfigFile(file), file);
    const dataDir = path.resolve(opts.dataDir ?? 'data');
    opts.notice?.(`no configuration given (--config or ISTIO_MIGRATE_CONFIG): using the embedded simulated landscape (profile ${EMBEDDED.profile}, ${EMBEDDED.runtimes} runtimes) and the SQLite journal ${path.join(dataDir, 'journal.db')}`);
    // The only import of the simulator outside tests (DESIGN.md §2).
    const { startSim } = await import('../sim/run-sim.js');
    const sim = await startSim({ out: path.join(dataDir, 'sim'), port: 0, ...EMBEDDED });
    const config = await loadConfigFile(path.join(sim.out, 'config.yaml'));
    config.journal = { sqlite: { file: path.join(dataDir, 'journal.db') } };
    return new Services(config, 'embedded simulated landscape', () => sim.close());
  }

  journal(): Promise<Journal> {
    this.journalPromise ??= (async () => {
      const j = this.config.journal;
      if ('sqlite' in j) return openJournal({ kind: 'sqlite', file: j.sqlite.file });
      const url = j.postgres.urlEnv ? process.env[j.postgres.urlEnv] : (await readFile(j.postgres.urlFile!, 'utf8')).trim();
      if (!url) throw new Error(`the PostgreSQL URL variable ${j.postgres.urlEnv} is not set`);
      return openJournal({ kind: 'postgres', url, schema: j.postgres.schema });
    })();
    return this.journalPromise;
  }

  envConfig(env: EnvName) {
    const e = this.config.environments[env];
    if (!e) throw new Error(`environment ${env} is not configured (configured: ${this.envs().join(', ')})`);
    return e;
  }

  envs(): EnvName[] {
    return (['dev', 'stage', 'prod'] as const).filter((e) => this.config.environments[e]);
  }

  /** Kubeconfigs of an environment, read once and held in memory only. */
  access(env: EnvName): Promise<EnvAccess> {
    let p = this.accessCache.get(env);
    if (!p) {
      const e = this.envConfig(env);
      const timing = this.config.timing;
      p = (async () => ({
        kcpKubeconfig: await readFile(e.kcp.kubeconfig, 'utf8'),
        gardener: e.skrAccess === 'kcp-secret' ? undefined : { kubeconfig: await readFile(e.gardener.kubeconfig, 'utf8'), namespace: e.gardener.namespace },
        deadlineMs: (e.limits.deadlineSeconds ?? timing.deadlineSeconds) * 1000,
        pollIntervalMs: timing.pollIntervalSeconds * 1000,
        onConflict: e.onConflict,
      }))();
      this.accessCache.set(env, p);
    }
    return p;
  }

  concurrency(env: EnvName): number {
    return concurrencyOf(this.config, env);
  }

  budget(env: EnvName, eligible: number): number {
    return resolveBudget(this.envConfig(env).budgets.wave, eligible);
  }

  approvalRequired(env: EnvName): boolean {
    return approvalRequired(this.config, env);
  }

  async close(): Promise<void> {
    if (this.journalPromise) await (await this.journalPromise).close();
    await this.closeEmbedded?.();
  }
}
