import os from 'node:os';
/**
 * Entry point of the `istio-migrate` binary: picks the mode from the command line.
 * Usage errors exit 2 with the reason (C3).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { registerConsoleCommand } from './chat/console/console-command.js';
import { registerBotCommand } from './chat/slack/bot-command.js';
import { askToProceed } from './cli/confirm.js';
import { terminalSafe } from './text/terminal-safe.js';
import { registerMigrationCommands, UsageError } from './cli/migration-commands.js';
import { ProfileError, parseProfile } from './sim/landscape/profile.js';
import type * as RunSim from './sim/run-sim.js';

function intArg(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`${name} must be an integer, e.g. ${name} ${Math.max(min, 1)}`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}`);
    return n;
  };
}

function positiveNumber(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!v.trim() || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, e.g. ${name} 0.01`);
    return n;
  };
}

function profileArg(v: string): string {
  try {
    parseProfile(v);
    return v;
  } catch (e) {
    if (e instanceof ProfileError) throw new InvalidArgumentError(e.message);
    throw e;
  }
}

const SIM_HELP = `
Simulated durations (multiplied by --time-scale; 0.01 makes a minute 0.6 s):
  LM notices a Kyma change and creates the Manifest   ~5 s
  istio-controller-manager becomes ready              ~20 s
  the Istio CR reconciles to Ready                    ~35 s (about a minute in all)
  scenario "slow": LM takes longer than the 510 s deadline

Files written to --out: config.yaml (with a journal in DIR), kubeconfigs/<env>/{kcp,gardener,<runtimeId>}.yaml, tokens/<env>-keb.token, runtimes.json.
Point kubectl at a cluster:  kubectl --kubeconfig DIR/kubeconfigs/dev/kcp.yaml get kymas -A`;

/** The package's version (package.json sits two levels above dist/src/main.js, one above src/main.ts). */
export function packageVersion(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'istio-migrate' && pkg.version) return pkg.version;
    } catch {
      // not there: the other layout
    }
  }
  return 'unknown';
}

/** The chat commands, for the top-level help and "did you mean" (they are dispatched by `main`, not commander). */
export interface ChatCommandInfo {
  name: string;
  summary: string;
  usage: string;
}

const CHAT_HELP = `
Chat commands (the same in Slack, the console and here; istio-migrate <command> --help for one):
  every command takes --help; --json prints one JSON document on stdout; --config FILE picks the landscape.
Exit codes: 0 ok; 1 refused or failed; 2 usage or configuration error; 3 the wave ended with failures
(run, resume, retry-failed). migrate and rename-to-default: 0 migrated/dry run done, 2 timeout, 1 otherwise.
The docs/ folder of the repository explains commands, outcomes, the runbook and the simulator.`;

export function buildProgram(setExit: (code: number) => void = () => undefined, chatCommands: readonly ChatCommandInfo[] = []): Command {
  const program = new Command('istio-migrate')
    .description('Rolls the Istio module out to SAP BTP, Kyma runtimes through Lifecycle Manager, in waves.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('sim')
    .description('run the simulated Kyma landscape (KCP, SKRs, KEB, Gardener) as a real HTTP server')
    .requiredOption('--out <dir>', 'directory for config.yaml, kubeconfigs/ and runtimes.json')
    .addOption(new Option('--profile <profile>', 'scenarios | mixed | <scenario> | weights like fresh=70,with-keda=20,custom-cr=10').default('mixed').argParser(profileArg))
    .addOption(new Option('--runtimes <n>', 'number of runtimes, split Dev 10 % / Stage 30 % / Prod 60 %').default(60).argParser(intArg('--runtimes', 1, 1_000_000)))
    .addOption(new Option('--port <n>', 'port to listen on (0 = any free port)').default(0).argParser(intArg('--port', 0, 65535)))
    .addOption(new Option('--seed <s>', 'seed for ids, objects and faults').default(1).argParser(intArg('--seed', 0, 2 ** 31 - 1)))
    .addOption(new Option('--time-scale <x>', 'multiplies every simulated duration').default(1).argParser(positiveNumber('--time-scale')))
    .addOption(
      new Option('--kcp <generation>', "Lifecycle Manager of the KCPs: 2023 (channel templates istio-fast/istio-regular, the rollout's era) or current (ModuleReleaseMeta, templates istio-<version>)")
        .choices(['2023', 'current'])
        .default('2023'),
    )
    .addHelpText('after', SIM_HELP)
    .action(async (o: { out: string; profile: string; runtimes: number; port: number; seed: number; timeScale: number; kcp: '2023' | 'current' }) => {
      const signalled = terminationSignal();
      const { startSim } = await loadSim();
      const running = await startSim({ out: o.out, profile: o.profile, runtimes: o.runtimes, port: o.port, seed: o.seed, timeScale: o.timeScale, kcp: o.kcp });
      for (const note of running.sim.landscape.notes) process.stderr.write(`${note}\n`);
      process.stdout.write(
        `${JSON.stringify({ ready: true, port: running.port, out: running.out, seed: o.seed, profile: o.profile, runtimes: running.sim.landscape.runtimes.length })}\n`,
      );
      process.stderr.write(`simulated landscape listening on http://127.0.0.1:${running.port}; try: kubectl --kubeconfig ${running.out}/kubeconfigs/dev/kcp.yaml get kymas -n kcp-system\n`);
      await closeOnTermination(signalled, () => running.close());
    });

  program
    .command('serve')
    .description("serve the read-only wave pages locally (what the bot serves on HEALTH_PORT under /waves/), rendered from the journal")
    .option('--config <file>', 'config file (default: ISTIO_MIGRATE_CONFIG, else the embedded simulated landscape)')
    .addOption(new Option('--port <n>', 'port to listen on (0 = any free port)').default(8080).argParser(intArg('--port', 0, 65535)))
    .addOption(new Option('--host <addr>', 'address to listen on').default('127.0.0.1'))
    .action(async (o: { config?: string; port: number; host: string }) => {
      const signalled = terminationSignal();
      const { serveWavePages } = await import('./wave-page/serve.js');
      let served;
      try {
        served = await serveWavePages({ configFile: o.config, port: o.port, host: o.host, out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) });
      } catch (e) {
        // A configuration error (an invalid file, no journal where it says): exit 2 with the reason (C3).
        if ((e as { code?: string }).code !== 'config') throw e;
        process.stderr.write(`istio-migrate serve: ${(e as Error).message}\n`);
        setExit(2);
        return;
      }
      await closeOnTermination(signalled, () => served.close());
    });

  registerMigrationCommands(program, setExit);
  registerBotCommand(program, setExit);
  registerConsoleCommand(program, setExit);
  // Listed (and suggested for near misses) only: main() dispatches them to commands/ before commander parses.
  for (const c of chatCommands) {
    if (c.name === 'help') continue;
    program.command(c.name).description(c.summary).usage(c.usage.slice(c.name.length).trim() || '[options]').helpOption(false).allowUnknownOption().allowExcessArguments();
  }
  if (chatCommands.length) program.addHelpText('after', CHAT_HELP);
  return program;
}

/** The simulator is loaded on demand, so that usage errors and `--help` answer without loading it. */
function loadSim(): Promise<typeof RunSim> {
  return import('./sim/run-sim.js');
}

/**
 * Resolves on SIGTERM or SIGINT. Call it before starting anything: until a listener exists a signal takes its
 * default action (the process dies by the signal instead of exiting 0), and a client may send SIGTERM as soon
 * as it has read the ready line.
 */
function terminationSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
}

/** Waits for the signal, closes, and exits 0 (C1), also when closing fails. */
async function closeOnTermination(signalled: Promise<void>, close: () => Promise<void>): Promise<void> {
  await signalled;
  try {
    await close();
  } finally {
    process.exit(0);
  }
}

/**
 * Progress on stderr. At a terminal a live status line is redrawn in place (and cleared before other lines);
 * otherwise (a pipe, a log file) plain lines only.
 */
function terminalProgress(): { progress: (line: string) => void; status?: (line: string) => void } {
  const err = process.stderr;
  if (!err.isTTY) return { progress: (l) => err.write(`${terminalSafe(l)}\n`) };
  let shown = '';
  const fit = (l: string) => (err.columns && l.length >= err.columns ? `${l.slice(0, err.columns - 2)}…` : l);
  return {
    progress: (l) => err.write(`${shown ? '\r\x1b[K' : ''}${terminalSafe(l)}\n${shown ? fit(shown) : ''}`),
    status: (l) => {
      shown = terminalSafe(l);
      err.write(`\r\x1b[K${fit(shown)}`);
    },
  };
}

/** `istio-migrate <chat command> …`: the same command specs as Slack and the console (DESIGN.md §3). */
async function chatCommand(name: string, rest: string[]): Promise<number> {
  const { dispatch, findCommand, parseArguments } = await import('../commands/index.js');
  const { Services } = await import('./app/services.js');
  const { ConfigError } = await import('./config/load-config.js');
  // `--config F` is global; everything else belongs to the command.
  let configFile: string | undefined;
  const args: string[] = [];
  let noConfigValue = false;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--config') {
      // `--config` last, or followed by another option: no file named (it was dropped silently and the default used).
      if (rest[i + 1] === undefined || rest[i + 1].startsWith('-')) noConfigValue = true;
      else configFile = rest[++i];
    } else if (rest[i].startsWith('--config=')) {
      configFile = rest[i].slice('--config='.length);
      if (!configFile) noConfigValue = true;
    } else args.push(rest[i]);
  }
  const json = args.includes('--json');
  if (noConfigValue) {
    const problem = '--config needs a file: the configuration to use';
    const example = 'istio-migrate status --config config.yaml';
    if (json) process.stdout.write(`${JSON.stringify({ error: `${problem} (example: ${example})` })}\n`);
    else process.stderr.write(`${name}: ${problem}\nexample: ${example}\n`);
    return 2;
  }
  // A usage error answers before the landscape is loaded.
  const bad = parseArguments(findCommand(name)!, args, ['--config FILE']);
  if ('exitCode' in bad) {
    if (json) process.stdout.write(`${JSON.stringify(bad.json)}\n`);
    else process.stderr.write(`${bad.text}\n`);
    return bad.exitCode;
  }
  // Someone to ask: the question goes to stderr and the answer comes from stdin (stdout may be piped, e.g. --json).
  const interactive = !!(process.stdin.isTTY && process.stderr.isTTY);
  let services;
  try {
    services = await Services.create({ configFile, notice: (l) => process.stderr.write(`${l}\n`) });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      if (json) process.stdout.write(`${JSON.stringify({ error: e.message })}\n`);
      return 2;
    }
    throw e;
  }
  // Ctrl-C or SIGTERM while a wave runs here stops it gracefully, as the bot's SIGTERM does: no new starts, in-flight
  // runtimes stopped with their checkpoints kept, the wave `interrupted` and its lease released, so that `resume`
  // continues it at once. With no wave running here, or at a second signal, the process leaves at once.
  const terminal = terminalProgress();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppedBy || services.events.runners.size === 0) process.exit(exitCodeOfSignal(signal));
    stoppedBy = signal;
    terminal.progress(`${signal}: stopping the wave gracefully (in-flight runtimes keep their checkpoints; resume continues it); ${signal === 'SIGINT' ? 'Ctrl-C' : signal} again leaves at once`);
    services.events.stopAll(new Error(`stopped by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await dispatch(
      {
        user: process.env.ISTIO_MIGRATE_USER ?? process.env.USER ?? 'shell-user',
        via: 'shell',
        interactive,
        // Only at a terminal: C5 refuses a change with neither a TTY nor --yes.
        confirm: interactive ? (question) => askToProceed(question, process.stdin, process.stderr) : undefined,
        services,
        ...terminal,
      },
      name,
      args,
    );
    if (json) process.stdout.write(`${JSON.stringify(result.json)}\n`);
    else if (result.output) process.stdout.write(result.output);
    else (result.exitCode === 0 || result.exitCode === 3 ? process.stdout : process.stderr).write(`${terminalSafe(result.text)}\n`);
    // A wave stopped by a signal did not end: the shell's convention (128 + the signal's number), whatever it counted.
    return stoppedBy ? exitCodeOfSignal(stoppedBy) : result.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await services.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  const { COMMANDS, asksForHelp, commandHelp, findCommand, helpAnswer } = await import('../commands/index.js');
  const [first, ...rest] = argv.slice(2);
  // `help --json`, `help <chat command> [--json]` and `help <unknown>`: the chat help, without a landscape. `help`
  // alone and `help <mode>` (sim, bot, …) are commander's, which lists the modes too.
  const helpTopic = first === 'help' ? rest.find((a) => !a.startsWith('-')) : undefined;
  if (first === 'help' && (helpTopic ? !MODES.has(helpTopic) : rest.includes('--json'))) {
    const answer = await helpAnswer(rest);
    if (rest.includes('--json')) process.stdout.write(`${JSON.stringify(answer.json)}\n`);
    else (answer.exitCode === 0 ? process.stdout : process.stderr).write(`${answer.text}\n`);
    return answer.exitCode;
  }
  // `istio-migrate help plan` and `istio-migrate plan --help`: the command's help, without loading a landscape.
  const helpOf = first === 'help' && rest[0] ? findCommand(rest[0]) : first !== 'help' && first && asksForHelp(rest) ? findCommand(first) : undefined;
  if (helpOf) {
    process.stdout.write(`${commandHelp(helpOf)}\n`);
    return 0;
  }
  if (first && first !== 'help' && findCommand(first)) return chatCommand(first, rest);
  // `npm start`: the bot with a bot token (C6), else the console on the embedded simulated landscape.
  if (argv.length <= 2) argv = [...argv, process.env.SLACK_BOT_TOKEN ? 'bot' : 'console'];
  let exitCode = 0;
  const program = buildProgram((code) => (exitCode = code), COMMANDS);
  // A usage error: 2, but 1 for the script's drop-ins, whose 2 means timeout (C3); with --json also as one line.
  const usageError = (message: string): number => {
    if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ error: message.replace(/^error: /, '') })}\n`);
    return SCRIPT_COMMANDS.has(argv[2]) ? 1 : 2;
  };
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here too, with exit code 0; commander has written the message to stderr.
      return e.exitCode === 0 ? 0 : usageError(e.message);
    }
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n`);
      return usageError(e.message);
    }
    throw e;
  }
}

/** 130 for SIGINT, 143 for SIGTERM: 128 + the signal's number, as a shell reports a process ended by it. */
function exitCodeOfSignal(signal: NodeJS.Signals): number {
  return 128 + os.constants.signals[signal];
}

/** The binary's own modes (commander's commands), beside the chat commands. */
const MODES: ReadonlySet<string> = new Set(['sim', 'serve', 'bot', 'console', 'migrate', 'rename-to-default']);

/** `migrate` and `rename-to-default` keep migrate.sh's exit codes: 0 done, 2 timeout, 1 anything else (C3). */
const SCRIPT_COMMANDS: ReadonlySet<string> = new Set(['migrate', 'rename-to-default']);

/** Runs the CLI with this process's arguments and exits with the command's code. */
export function run(): void {
  main(process.argv).then(
    (code) => {
      if (code !== 0) process.exit(code);
    },
    (e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      process.stderr.write(`istio-migrate: ${message}\n`);
      // --json promises one JSON line on stdout, a failure included (C3).
      if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ error: message })}\n`);
      process.exit(1);
    },
  );
}
