/**
 * `istio-migrate migrate` and `istio-migrate rename-to-default`: the per-runtime shell commands (DESIGN.md §3,
 * C3). `migrate` is a drop-in for migrate.sh under `kcp taskrun` (it reads $KUBECONFIG and $RUNTIME_ID, prints
 * the script's messages and uses its exit codes); `--json` prints the result record as one line instead.
 */
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { ConfigError, configFileFrom, loadConfigFile } from '../config/load-config.js';
import { exitCodeOf } from '../migration/outcomes.js';
import { migrateRuntime, type ConflictPolicy } from '../migration/migrate-runtime.js';
import { renameExitCode, renameToDefault } from '../migration/rename-to-default.js';
import { terminalSafe } from '../text/terminal-safe.js';

export class UsageError extends Error {
  readonly code = 'usage';
}

async function readKubeconfig(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the ${what} kubeconfig ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function seconds(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!v.trim() || !Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a positive number of seconds, e.g. ${name} 510`);
    return n;
  };
}

/**
 * The deadline and poll interval of a configuration's `timing` (the bot's, or the one the simulator writes, scaled by
 * its time scale), when one is given by --config or $ISTIO_MIGRATE_CONFIG; undefined without one.
 */
async function configTiming(flag: string | undefined): Promise<{ deadlineMs: number; pollIntervalMs: number } | undefined> {
  const file = configFileFrom(flag);
  if (!file) return undefined;
  try {
    const { timing } = await loadConfigFile(file);
    return { deadlineMs: timing.deadlineSeconds * 1000, pollIntervalMs: timing.pollIntervalSeconds * 1000 };
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
}

interface MigrateFlags {
  config?: string;
  kubeconfig?: string;
  kcpKubeconfig?: string;
  runtimeId?: string;
  json?: boolean;
  dryRun?: boolean;
  timeout?: number;
  onConflict: ConflictPolicy;
}

/** Registers both commands; `setExit` receives the C3 exit code. */
export function registerMigrationCommands(program: Command, setExit: (code: number) => void): void {
  program
    .command('migrate')
    .description('migrate ONE runtime: a safer drop-in for migrate.sh (messages and exit codes 0/1/2 of the script)')
    .option('--kubeconfig <file>', 'SKR kubeconfig (default: $KUBECONFIG, as kcp taskrun sets it)')
    .option('--kcp-kubeconfig <file>', 'KCP kubeconfig: SKR access via the kubeconfig-<runtime-id> secret, and the Manifest as evidence')
    .option('--runtime-id <id>', 'runtime id (default: $RUNTIME_ID, as kcp taskrun sets it)')
    .option('--json', 'print the result record as one JSON line; progress goes to stderr')
    .option('--dry-run', 'change nothing; say what would be done')
    .addOption(new Option('--timeout <seconds>', 'deadline for LM and the operator after the patch (default: the configuration\'s timing.deadlineSeconds, else 510, the script\'s)').argParser(seconds('--timeout')))
    .option('--config <file>', 'take the deadline and poll interval from this configuration\'s timing (default: $ISTIO_MIGRATE_CONFIG; none: 510 s and 5 s)')
    .addOption(new Option('--on-conflict <policy>', 'an Istio CR not named default found before the patch: hold (do not patch) or proceed (the script\'s way)').choices(['hold', 'proceed']).default('hold'))
    .addHelpText('after', '\nExamples:\n  KUBECONFIG=skr.yaml istio-migrate migrate\n  istio-migrate migrate --kcp-kubeconfig kcp.yaml --runtime-id 5a7f… --json\n  istio-migrate migrate --kubeconfig DIR/kubeconfigs/stage/<id>.yaml --config DIR/config.yaml   (on a simulated landscape: the deadline follows its time scale)\nExit codes: 0 migrated / already migrated / dry run, 2 timeout, 1 anything else.')
    .action(async (f: MigrateFlags) => {
      const skrFile = f.kubeconfig ?? process.env.KUBECONFIG;
      const runtimeId = f.runtimeId ?? process.env.RUNTIME_ID;
      if (!skrFile && !(f.kcpKubeconfig && runtimeId)) {
        throw new UsageError('give the SKR kubeconfig (--kubeconfig F or $KUBECONFIG), or --kcp-kubeconfig F with --runtime-id ID; e.g. istio-migrate migrate --kubeconfig skr.yaml');
      }
      if (f.kcpKubeconfig && !runtimeId) {
        throw new UsageError('--kcp-kubeconfig needs the runtime id (--runtime-id ID or $RUNTIME_ID): the KCP Kyma, its skip-reconciliation label and the Manifest are found by it; e.g. istio-migrate migrate --kubeconfig skr.yaml --kcp-kubeconfig kcp.yaml --runtime-id 5a7f…');
      }
      const skrKubeconfig = skrFile ? await readKubeconfig(skrFile, 'SKR') : undefined;
      const kcpKubeconfig = f.kcpKubeconfig ? await readKubeconfig(f.kcpKubeconfig, 'KCP') : undefined;
      const timing = await configTiming(f.config);
      const out = f.json ? process.stderr : process.stdout;
      const result = await migrateRuntime({
        runtimeId,
        skrKubeconfig,
        kcpKubeconfig,
        dryRun: f.dryRun,
        onConflict: f.onConflict,
        deadlineMs: f.timeout !== undefined ? f.timeout * 1000 : timing?.deadlineMs,
        pollIntervalMs: timing?.pollIntervalMs,
        log: (line) => out.write(`${terminalSafe(line)}\n`),
      });
      if (f.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else {
        if (result.detail) process.stderr.write(`${result.outcome}${result.reason ? `/${result.reason}` : ''}: ${terminalSafe(result.detail)}\n`);
        for (const note of result.notes ?? []) process.stderr.write(`note: ${terminalSafe(note)}\n`);
      }
      setExit(exitCodeOf(result.outcome, result.reason));
    });

  program
    .command('rename-to-default')
    .description("move the customer's Istio CR configuration into `default` (the safe rename-to-default.sh)")
    .option('--kubeconfig <file>', 'SKR kubeconfig (default: $KUBECONFIG)')
    .option('--customer-agreed', 'the customer agreed to the change (required)')
    .option('--json', 'print the result as one JSON line; progress goes to stderr')
    .option('--dry-run', 'change nothing; show the steps')
    .addOption(new Option('--timeout <seconds>', 'deadline for default to become Ready (default 300)').argParser(seconds('--timeout')))
    .action(async (f: { kubeconfig?: string; customerAgreed?: boolean; json?: boolean; dryRun?: boolean; timeout?: number }) => {
      const file = f.kubeconfig ?? process.env.KUBECONFIG;
      if (!file) throw new UsageError('give the SKR kubeconfig: --kubeconfig F or $KUBECONFIG; e.g. istio-migrate rename-to-default --kubeconfig skr.yaml --customer-agreed');
      const skrKubeconfig = await readKubeconfig(file, 'SKR');
      const out = f.json ? process.stderr : process.stdout;
      const result = await renameToDefault({
        skrKubeconfig,
        customerAgreed: !!f.customerAgreed,
        dryRun: f.dryRun,
        deadlineMs: f.timeout !== undefined ? f.timeout * 1000 : undefined,
        log: (line) => out.write(`${terminalSafe(line)}\n`),
      });
      if (f.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      setExit(renameExitCode(result.outcome));
    });
}
