/**
 * Loads and validates the configuration before anything is touched (STYLE.md §8): `--config F` or
 * `ISTIO_MIGRATE_CONFIG`. An invalid file gives ONE error listing every problem with its path and a hint.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { configProblems, configSchema, isSimulatorUrl, type Config } from './config.js';

export interface ConfigProblem {
  path: string;
  message: string;
  hint?: string;
}

export class ConfigError extends Error {
  readonly code = 'config';
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(`invalid configuration ${file}:\n${problems.map((p) => `  - ${p.path || '(top level)'}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`).join('\n')}`);
  }
}

const PATH_EXAMPLE = 'an absolute path, e.g. /etc/istio-migrate/landscape/kcp-prod.yaml';

/** A hint for every kind of problem: what would be right, with an example where one helps. */
function hintFor(issue: z.core.$ZodIssue): string {
  const last = String(issue.path[issue.path.length - 1] ?? '');
  switch (issue.code) {
    case 'unrecognized_keys':
      return 'remove it or check its spelling (examples/config.yaml shows every key)';
    case 'invalid_type':
      return issue.input === undefined ? 'this key is required' : `expected ${issue.expected}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array' || issue.origin === 'string' ? `needs at least ${String(issue.minimum)} ${issue.origin === 'array' ? 'entries' : 'characters'}` : `at least ${String(issue.minimum)}`;
    case 'too_big':
      return `at most ${String(issue.maximum)}`;
    case 'invalid_format':
      return issue.format === 'url' ? 'a URL, e.g. https://kyma-env-broker.cp.example.com' : issue.format === 'regex' ? `must match ${String((issue as { pattern?: string }).pattern ?? 'the expected pattern')}` : `a valid ${issue.format}`;
    case 'invalid_union':
      return last === 'journal'
        ? 'journal: { sqlite: { file: /data/journal.db } } or journal: { postgres: { urlEnv: ISTIO_MIGRATE_PG_URL } }'
        : /budget/i.test(issue.path.join('.'))
          ? 'a count such as 10 or a percentage such as "5%"'
          : 'see examples/config.yaml for the accepted forms';
    case 'custom':
      return /kubeconfig|tokenFile|file$/i.test(last) ? PATH_EXAMPLE : 'see examples/config.yaml';
    default:
      return 'see examples/config.yaml';
  }
}

/** Validates parsed YAML; throws ConfigError listing every problem. */
export function validateConfig(raw: unknown, file = '<config>'): Config {
  const parsed = configSchema.safeParse(raw ?? {});
  if (parsed.success) {
    const problems = configProblems(parsed.data);
    if (problems.length) throw new ConfigError(file, problems);
    return parsed.data;
  }
  const problems = parsed.error.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    message: i.code === 'unrecognized_keys' ? `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => JSON.stringify(k)).join(', ')}` : i.message,
    hint: hintFor(i),
  }));
  throw new ConfigError(file, problems);
}

export async function loadConfigFile(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, hint: 'give --config FILE or set ISTIO_MIGRATE_CONFIG' }]);
  }
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (e) {
    const first = (e as Error).message.split('\n')[0].replace(/:\s*$/, '');
    throw new ConfigError(file, [{ path: '', message: `not valid YAML: ${first}`, hint: 'check the indentation and quoting around that line' }]);
  }
  const config = validateConfig(raw, file);
  // The journal is where the file says wherever the command runs: a relative path is read from the file's directory.
  if ('sqlite' in config.journal && config.journal.sqlite.file !== ':memory:') config.journal.sqlite.file = path.resolve(path.dirname(path.resolve(file)), config.journal.sqlite.file);
  if (config.simulated) {
    const problems = await simulatedKubeconfigProblems(config);
    if (problems.length) throw new ConfigError(file, problems);
  }
  return config;
}

/**
 * `simulated: true` needs the simulator's clusters too: every server in the KCP and Gardener kubeconfigs is
 * `https://127.0.0.1:<port>/clusters/<id>` (C1). A file that cannot be read or parsed is left to the commands that use it.
 */
async function simulatedKubeconfigProblems(config: Config): Promise<ConfigProblem[]> {
  const out: ConfigProblem[] = [];
  for (const env of ['dev', 'stage', 'prod'] as const) {
    const e = config.environments[env];
    if (!e) continue;
    for (const [key, file] of [['kcp', e.kcp.kubeconfig], ['gardener', e.gardener.kubeconfig]] as const) {
      let doc: { clusters?: { cluster?: { server?: unknown } }[] } | undefined;
      try {
        doc = YAML.parse(await readFile(file, 'utf8')) as typeof doc;
      } catch {
        continue;
      }
      const servers = (doc?.clusters ?? []).map((c) => (typeof c.cluster?.server === 'string' ? c.cluster.server : ''));
      if (servers.some((s) => !isSimulatorUrl(s, '/clusters/'))) {
        out.push({
          path: `environments.${env}.${key}.kubeconfig`,
          message: `simulated: true, but the ${env} ${key} kubeconfig points at a cluster that is not the simulator's`,
          hint: 'remove "simulated: true" for a real landscape (the simulator writes kubeconfigs for https://127.0.0.1:<port>/clusters/<id>)',
        });
      }
    }
  }
  return out;
}

/** Which file to load: the flag, else ISTIO_MIGRATE_CONFIG, else none (the embedded default applies). */
export function configFileFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flag ?? (env.ISTIO_MIGRATE_CONFIG || undefined);
}
