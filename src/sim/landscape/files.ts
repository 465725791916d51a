/**
 * The files the simulator leaves in its `--out` directory (C1): the bot config for the landscape, kubeconfigs
 * per cluster, KEB tokens, and runtimes.json. Kubeconfigs are written with bounded parallelism: 10,000 small
 * files must not take seconds, nor open 10,000 file handles at once.
 */
import { chmod, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { landscapeConfigSchema, type LandscapeConfig } from '../../config/environments.js';
import { ENVS, type Env, type RuntimeSpec } from '../types.js';
import type { Landscape } from './generate.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { hasKubeconfig } from './scenarios.js';
import { gardenNamespace, type SeedContext } from './seed.js';

export interface SimFilesContext extends SeedContext {
  port: number;
  /** Multiplies durations; the config's deadline and poll interval are scaled by it. */
  timeScale: number;
  kebTokenFor(env: Env): string;
}

/** The fields of a runtime that runtimes.json (C1) carries. */
const RUNTIME_FILE_FIELDS = ['env', 'runtimeId', 'instanceId', 'shootName', 'globalAccountId', 'subaccountId', 'plan', 'region', 'state', 'scenario'] as const;

/** One entry of runtimes.json (C1). */
export type RuntimeFileEntry = Pick<RuntimeSpec, (typeof RUNTIME_FILE_FIELDS)[number]> & {
  /** Absolute path of the SKR kubeconfig, or null where none exists (`skr-no-secret`, `suspended`). */
  kubeconfig: string | null;
};

const WRITE_PARALLELISM = 64;

async function writeAll(files: Array<[string, string]>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const [file, content] = files[next++];
      // `mode` applies only when the file is created: a re-run into an existing folder must tighten older files.
      await writeFile(file, content, { mode: 0o600 });
      await chmod(file, 0o600);
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITE_PARALLELISM, files.length) }, worker));
}

/** The config.yaml of a simulated landscape; target sets follow the rollout doc (Stage: canary, Prod: trial and factory). */
export function simConfig(dir: string, landscape: Landscape, ctx: SimFilesContext): LandscapeConfig {
  const environments: Record<string, unknown> = {};
  for (const env of ENVS) {
    const acc = landscape.accounts[env];
    const targets: Record<string, string[]> = {
      'kyma-test': [`account=${acc.kymaTest}`],
      'kyma-integration': [`account=${acc.kymaIntegration}`],
    };
    if (env !== 'dev') targets.trial = ['plan=trial'];
    if (env === 'stage') targets.canary = ['all'];
    if (env === 'prod') targets.factory = ['all'];
    targets.all = ['all'];
    environments[env] = {
      kcp: { kubeconfig: path.join(dir, 'kubeconfigs', env, 'kcp.yaml') },
      gardener: { kubeconfig: path.join(dir, 'kubeconfigs', env, 'gardener.yaml'), namespace: gardenNamespace(env) },
      keb: { url: `http://127.0.0.1:${ctx.port}/keb/${env}`, tokenFile: path.join(dir, 'tokens', `${env}-keb.token`) },
      // A simulated landscape has no old reconciler: its acknowledgement is the simulator's.
      reconciliationDisabled: { confirmed: true, by: 'istio-migrate simulator' },
      targets,
    };
  }
  // Validated here so the simulator can never hand out a config the bot refuses.
  return landscapeConfigSchema.parse({
    simulated: true,
    timeScale: ctx.timeScale,
    timing: { deadlineSeconds: 510 * ctx.timeScale, pollIntervalSeconds: 5 * ctx.timeScale },
    environments,
  });
}

/** Writes config.yaml, kubeconfigs/<env>/{kcp,gardener,<runtimeId>}.yaml, tokens/<env>-keb.token, runtimes.json. */
export async function writeSimFiles(dir: string, landscape: Landscape, ctx: SimFilesContext): Promise<void> {
  const root = path.resolve(dir);
  const config = simConfig(root, landscape, ctx);
  await mkdir(path.join(root, 'tokens'), { recursive: true });
  await Promise.all(ENVS.map((env) => mkdir(path.join(root, 'kubeconfigs', env), { recursive: true })));

  // With a journal of this landscape's own, beside its files: a journal belongs to one landscape (it refuses another).
  const files: Array<[string, string]> = [[path.join(root, 'config.yaml'), YAML.stringify({ ...config, journal: { sqlite: { file: path.join(root, 'journal.db') } } })]];
  for (const env of ENVS) {
    const d = path.join(root, 'kubeconfigs', env);
    files.push([path.join(d, 'kcp.yaml'), kubeconfigYaml(`${env}-kcp`, ctx)]);
    files.push([path.join(d, 'gardener.yaml'), kubeconfigYaml(`${env}-gardener`, ctx)]);
    files.push([path.join(root, 'tokens', `${env}-keb.token`), `${ctx.kebTokenFor(env)}\n`]);
  }
  const entries: RuntimeFileEntry[] = landscape.runtimes.map((rt) => {
    let kubeconfig: string | null = null;
    if (hasKubeconfig(rt)) {
      kubeconfig = path.join(root, 'kubeconfigs', rt.env, `${rt.runtimeId}.yaml`);
      files.push([kubeconfig, kubeconfigYaml(rt.runtimeId, ctx)]);
    }
    const entry = Object.fromEntries(RUNTIME_FILE_FIELDS.map((f) => [f, rt[f]])) as Omit<RuntimeFileEntry, 'kubeconfig'>;
    return { ...entry, kubeconfig };
  });
  files.push([path.join(root, 'runtimes.json'), `${JSON.stringify(entries, null, 2)}\n`]);
  await writeAll(files);
  // Files of an earlier, larger landscape in the same folder are not rewritten; they hold credentials too.
  await tightenTree(path.join(root, 'kubeconfigs'));
  await tightenTree(path.join(root, 'tokens'));
}

/** Every regular file under `dir` readable or writable by group or others becomes 0600. */
async function tightenTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) await tightenTree(file);
    else if (entry.isFile() && ((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
  }
}
