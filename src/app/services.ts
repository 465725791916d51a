/**
 * What the commands run on: the configuration (a file, or the embedded simulated landscape), the journal,
 * each environment's access (kubeconfigs read once, held in memory), the shared rate limiter and the wave
 * event stream. Opened lazily, closed once.
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { alphaOf, approvalRequired, concurrencyOf, DEFAULT_JOURNAL_FILE, historyWeightOf, resolveBudget, type Config, type EnvName } from '../config/config.js';
import { ConfigError, configFileFrom, loadConfigFile, type ConfigProblem } from '../config/load-config.js';
import type { Journal } from '../journal/journal.js';
import { openJournal, type JournalUse } from '../journal/open-journal.js';
import { RateLimiter, type EnvThrottle, type RateCaps } from '../rollout/rate-limiter.js';
import { WaveEvents, type EnvAccess } from '../rollout/wave-runner.js';
import { priorOf, type GuardPrior } from '../rollout/budget-guard.js';
import { GlobalBudget } from '../rollout/global-budget.js';
import { learnedLmStart } from '../rollout/limit.js';
import { learnedRuntimePace, type RuntimePace } from '../rollout/runtime-pace.js';
import { calendarOf } from '../rollout/freeze-calendar.js';
import { UserRateLimit } from './user-rate-limit.js';
import type { Leadership } from './leadership.js';

/** `plan` from chat: at most this many per user a minute (resolution reads the whole landscape). */
export const CHAT_PLANS_PER_MINUTE = 10;

export interface ServicesOptions {
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Where the embedded default keeps its files (default ./data). */
  dataDir?: string;
  /** Told when the embedded default is used, and when a new journal was created (the CLI prints it on stderr). */
  notice?: (line: string) => void;
  /**
   * What `journal()` may do when no journal exists where the configuration says (open-journal.ts): `existing` (the
   * default) refuses, `create` starts one. The bot and the console (long-running writers) open with `create`; the
   * shell opens per command, as the command declares (commands/index.ts `dispatch`).
   */
  journalUse?: JournalUse;
  /** Told where a new, empty journal was created, instead of `notice` (the bot logs it). */
  onJournalCreated?: (where: string) => void;
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
  /**
   * Set in a bot replica (docs/ha.md): only the leader runs waves; a wave command on another replica hands its wave
   * to the leader. Unset (shell, console): waves run in this process.
   */
  leadership?: Leadership;
  /** `plan` (and the plan behind `run`) asked from chat, per user: see CHAT_PLANS_PER_MINUTE. */
  readonly chatPlans = new UserRateLimit(CHAT_PLANS_PER_MINUTE, 60_000);

  private journalUse: JournalUse = 'existing';
  private journalCreated?: (where: string) => void;

  private constructor(
    readonly config: Config,
    readonly configSource: string,
    /** Which landscape this is (recorded in the journal: waves of two landscapes never mix), and how to name it. */
    readonly landscape: LandscapeIdentity,
    private readonly closeEmbedded?: () => Promise<void>,
    /** The configuration file, when one was given (hints repeat it: `run --plan H --config F`). */
    readonly configFile?: string,
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
    const services = await Services.load(opts);
    services.journalUse = opts.journalUse ?? 'existing';
    services.journalCreated = opts.onJournalCreated ?? ((where) => opts.notice?.(`created a new, empty journal ${where} (the first plan or run on it): if earlier waves were expected here, check the configuration's journal`));
    return services;
  }

  private static async load(opts: ServicesOptions): Promise<Services> {
    const file = configFileFrom(opts.configFile, opts.env ?? process.env);
    if (file) {
      const config = await loadCheckedConfig(file);
      return new Services(config, file, landscapeOfConfig(config, file), undefined, file);
    }
    const dataDir = path.resolve(opts.dataDir ?? 'data');
    opts.notice?.(`no configuration given (--config or ISTIO_MIGRATE_CONFIG): using the embedded simulated landscape (profile ${EMBEDDED.profile}, ${EMBEDDED.runtimes} runtimes) and the SQLite journal ${path.join(dataDir, 'journal.db')}`);
    // One of the two imports of the simulator outside tests and benchmarks: the embedded default landscape (the
    // other is main.ts's `istio-migrate sim`; npm run lint:layers allows exactly these two).
    const { startSim } = await import('../sim/run-sim.js');
    // Kept under data/sim/state: the landscape comes back as the last process left it, like the journal next to it.
    const sim = await startSim({ out: path.join(dataDir, 'sim'), port: 0, ...EMBEDDED, stateDir: path.join(dataDir, 'sim', 'state') });
    const config = await loadConfigFile(path.join(sim.out, 'config.yaml'));
    config.journal = { sqlite: { file: path.join(dataDir, 'journal.db') } };
    const meta = sim.state!.meta;
    const landscape: LandscapeIdentity = {
      id: `embedded:${meta.instance}`,
      description: `the embedded simulated landscape in ${sim.state!.dir} (created ${meta.createdAt})`,
    };
    return new Services(config, 'embedded simulated landscape', landscape, () => sim.close());
  }

  /**
   * The journal, opened once. `use` (default: this process's, ServicesOptions.journalUse) decides what happens when
   * none exists where the configuration says: `existing` refuses (JournalMissingError, exit 2), `create` starts one
   * and says so. Once open, `use` no longer matters.
   */
  journal(use: JournalUse = this.journalUse): Promise<Journal> {
    this.journalPromise ??= (async () => {
      const j = this.config.journal;
      const opts = { use, onCreated: this.journalCreated, configFile: this.configFile };
      // The default `data/` beside the configuration (or the embedded landscape's) may be made; no other directory.
      if ('sqlite' in j) return openJournal({ kind: 'sqlite', file: j.sqlite.file }, { ...opts, createDir: this.isDefaultJournal(j.sqlite.file) });
      const url = j.postgres.urlEnv ? process.env[j.postgres.urlEnv] : (await readFile(j.postgres.urlFile!, 'utf8')).trim();
      if (!url) throw new Error(`the PostgreSQL URL variable ${j.postgres.urlEnv} is not set`);
      return openJournal({ kind: 'postgres', url, schema: j.postgres.schema }, opts);
    })().then(async (journal) => {
      try {
        await claimJournal(journal, this.landscape, this.journalName());
        return journal;
      } catch (e) {
        await journal.close();
        throw e;
      }
    });
    // A journal that could not be opened (the database unreachable) is tried again on the next call.
    const opening = this.journalPromise;
    opening.catch(() => {
      if (this.journalPromise === opening) this.journalPromise = undefined;
    });
    return opening;
  }

  /** Whether `file` is the default journal: `data/journal.db` beside the configuration file, or the embedded landscape's. */
  private isDefaultJournal(file: string): boolean {
    return !this.configFile || path.resolve(file) === path.resolve(path.dirname(path.resolve(this.configFile)), DEFAULT_JOURNAL_FILE);
  }

  /** The journal, as a person would find it: its SQLite file or its PostgreSQL schema. */
  journalName(): string {
    const j = this.config.journal;
    return 'sqlite' in j ? j.sqlite.file : `PostgreSQL${j.postgres.schema ? ` schema ${j.postgres.schema}` : ''}`;
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
        schedule: { windows: e.windows ?? 'ignore', calendar: calendarOf(this.config.calendar) },
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

  /** The budget guard's α of an environment (C4; part of the plan hash). */
  alpha(env: EnvName): number {
    return alphaOf(this.config, env);
  }

  /**
   * The budget guard's history for a wave of `env` (C4): earlier finished waves of `env` and of the environment
   * before it in the runbook, weighted (config `budgets.historyWeight`); `exclude` the wave itself.
   */
  async guardPrior(env: EnvName, exclude?: string): Promise<GuardPrior> {
    return priorOf(await this.journal(), env, historyWeightOf(this.config, env), exclude);
  }

  /** The time of one runtime in the environment's last ended wave, for the plan's ETA (runtime-pace.ts). */
  async runtimePace(env: EnvName): Promise<RuntimePace | undefined> {
    return learnedRuntimePace(await this.journal(), env);
  }

  /**
   * What a wave runner of `env` needs beyond its budget: the guard's α and history (C4), and the limiter that follows
   * Lifecycle Manager's pace (on for every wave the commands run), starting where the environment's last wave left
   * LM (`learnedLmStart`), else where the limiter starts by default (`LimiterOptions.initial`).
   */
  async guardDeps(env: EnvName, waveId: string): Promise<{ alpha: number; prior: GuardPrior; adaptive: true | { initial: number } }> {
    const initial = await learnedLmStart(await this.journal(), env, waveId);
    return { alpha: this.alpha(env), prior: await this.guardPrior(env, waveId), adaptive: initial === undefined ? true : { initial } };
  }

  approvalRequired(env: EnvName): boolean {
    return approvalRequired(this.config, env);
  }

  async close(): Promise<void> {
    // A journal that failed to open (or was refused: another landscape's) has nothing to close.
    const journal = await this.journalPromise?.catch(() => undefined);
    if (journal) await journal.close();
    await this.closeEmbedded?.();
  }
}

/** Which landscape a configuration reaches: `id` is compared, `description` is shown. */
export interface LandscapeIdentity {
  id: string;
  description: string;
}

/**
 * A file configuration's landscape: its environments' KEB URLs (where the runtimes come from). A `sim --out`
 * landscape is a new one whenever the simulator restarts (its port, and its state, are new).
 */
export function landscapeOfConfig(config: Config, file: string): LandscapeIdentity {
  const envs = (['dev', 'stage', 'prod'] as const).filter((e) => config.environments[e]).map((e) => `${e}=${config.environments[e]!.keb.url}`);
  return { id: `${config.simulated ? 'simulated' : 'landscape'}:${envs.join(' ')}`, description: `the ${config.simulated ? 'simulated ' : ''}landscape of ${file} (KEB ${envs.join(', ')})` };
}

/**
 * A journal belongs to one landscape: the first use records it; a journal of another landscape is refused (exit 2,
 * like a configuration error), so that waves, results and tasks of two landscapes never mix.
 */
async function claimJournal(journal: Journal, landscape: LandscapeIdentity, journalName: string): Promise<void> {
  const recorded = await journal.claimLandscape({ ...landscape, recordedAt: new Date().toISOString() });
  if (recorded.id === landscape.id) return;
  throw new LandscapeMismatchError(journalName, recorded.description, landscape.description);
}

/** The journal belongs to another landscape (code `config`: exit 2). */
export class LandscapeMismatchError extends Error {
  readonly code = 'config';
  constructor(
    readonly journal: string,
    readonly recorded: string,
    readonly current: string,
  ) {
    super(
      `the journal ${journal} belongs to ${recorded}, not to ${current}: waves of two landscapes never mix. ` +
        `Give this landscape a journal of its own (config journal: { sqlite: { file: /tmp/other/journal.db } }), or move ${journal} away to start over.`,
    );
  }
}

/** A file a configuration names, where it names it, and what it is. */
interface FileRef {
  path: string;
  file: string;
  what: string;
}

/**
 * The files a configuration names: read off the validated configuration, or off the raw document when it did not
 * validate (then whatever is a string where a file belongs), so that missing files are told with the other problems.
 */
function fileRefs(doc: unknown): FileRef[] {
  type Raw = { environments?: Record<string, { kcp?: { kubeconfig?: unknown }; gardener?: { kubeconfig?: unknown }; keb?: { tokenFile?: unknown } } | undefined>; journal?: { postgres?: { urlFile?: unknown } } };
  const o = (doc ?? {}) as Raw;
  const refs: FileRef[] = [];
  const add = (path: string, file: unknown, what: string) => {
    if (typeof file === 'string' && file) refs.push({ path, file, what });
  };
  for (const env of ['dev', 'stage', 'prod'] as const) {
    const e = o.environments?.[env];
    add(`environments.${env}.kcp.kubeconfig`, e?.kcp?.kubeconfig, `the KCP kubeconfig of ${env}`);
    add(`environments.${env}.gardener.kubeconfig`, e?.gardener?.kubeconfig, `the Gardener kubeconfig of ${env}`);
    add(`environments.${env}.keb.tokenFile`, e?.keb?.tokenFile, `the KEB token file of ${env}`);
  }
  add('journal.postgres.urlFile', o.journal?.postgres?.urlFile, 'the PostgreSQL URL file');
  return refs;
}

async function fileProblems(refs: FileRef[], simulated: boolean): Promise<ConfigProblem[]> {
  const problems: ConfigProblem[] = [];
  for (const r of refs) {
    try {
      await access(r.file, constants.R_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.push({
        path: r.path,
        message: `${r.what} ${r.file} ${code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : `cannot be read (${code ?? (e as Error).message})`}`,
        hint: simulated
          ? 'a simulated landscape writes its files while it runs: start it again (istio-migrate sim --out DIR) and use DIR/config.yaml'
          : 'check the path; mounted Secrets appear under their mount path, e.g. /etc/istio-migrate/landscape/kcp-prod.yaml',
      });
    }
  }
  return problems;
}

/**
 * Every file a configuration names must be readable before anything runs: one ConfigError listing each missing or
 * unreadable file with its path in the configuration and a hint (exit 2), instead of a raw ENOENT later.
 */
export async function checkConfigFiles(config: Config, file: string): Promise<void> {
  const problems = await fileProblems(fileRefs(config), config.simulated);
  if (problems.length) throw new ConfigError(file, problems);
}

/**
 * Loads a configuration file, reporting every problem at once: when it does not validate, the files it names are
 * checked too (read off the raw document), so that fixing the schema problems does not reveal a second round.
 */
async function loadCheckedConfig(file: string): Promise<Config> {
  let config: Config;
  try {
    config = await loadConfigFile(file);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    let raw: unknown;
    try {
      raw = YAML.parse(await readFile(file, 'utf8'));
    } catch {
      throw e; // unreadable, or not YAML: nothing to read paths from
    }
    const told = new Set(e.problems.map((p) => p.path));
    const more = (await fileProblems(fileRefs(raw), (raw as { simulated?: unknown } | null)?.simulated === true)).filter((p) => !told.has(p.path));
    throw more.length ? new ConfigError(file, [...e.problems, ...more]) : e;
  }
  await checkConfigFiles(config, file);
  return config;
}
