/**
 * `istio-migrate console [--config F] [--script FILE] [--as USER] [--timestamps]` (DESIGN.md §3, C7) — also what
 * `npm start` runs without SLACK_BOT_TOKEN. A REPL with a prompt when stdin is a terminal; non-interactive with
 * `--script` or piped stdin (inputs are echoed as `user> line`, so stdout reads as a transcript).
 *
 * At the end of the input the console waits for the waves it started (as `/wait` does) before leaving; SIGINT or
 * SIGTERM stops them gracefully instead (they become `interrupted`, resumable with `resume WAVE`).
 *
 * Exit codes: 0 when every input was accepted; 1 when any input was refused or failed (the rest still runs, as
 * in a chat); 2 for usage or configuration errors (an unreadable script, a bad config).
 */
import { readFile } from 'node:fs/promises';
import readline from 'node:readline';
import type { Command } from 'commander';
import type { Services } from '../../app/services.js';
import { terminalSafe } from '../../text/terminal-safe.js';

export interface ConsoleFlags {
  config?: string;
  script?: string;
  as?: string;
  timestamps?: boolean;
}

export interface ConsoleIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
  /** Resolves on SIGINT/SIGTERM. */
  signalled: Promise<void>;
}

export async function runConsole(flags: ConsoleFlags, io: ConsoleIo): Promise<number> {
  const err = (l: string) => io.stderr.write(`${l}\n`);
  let script: string[] | undefined;
  if (flags.script) {
    try {
      script = (await readFile(flags.script, 'utf8')).split(/\r?\n/);
    } catch (e) {
      err(`istio-migrate console: cannot read the script ${flags.script}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return 2;
    }
  }
  // Loaded here, so that usage errors answer without loading the landscape.
  const { Services } = await import('../../app/services.js');
  const { ConfigError } = await import('../../config/load-config.js');
  const { ConsoleBot } = await import('./console-adapter.js');
  let services: Services;
  try {
    // A session that plans and runs: it may start a journal where none exists, and says so (docs/operating.md).
    services = await Services.create({ configFile: flags.config, env: io.env, notice: err, journalUse: 'create' });
  } catch (e) {
    if (e instanceof ConfigError) {
      err(e.message);
      return 2;
    }
    throw e;
  }
  // The journal must belong to this landscape (services.ts): say so before the first input, not on every one.
  try {
    await services.journal();
  } catch (e) {
    await services.close();
    if ((e as { code?: string }).code === 'config') {
      err(`istio-migrate console: ${(e as Error).message}`);
      return 2;
    }
    throw e;
  }
  const interactive = !script && !!io.stdin.isTTY;
  const user = flags.as ?? io.env.ISTIO_MIGRATE_USER ?? io.env.USER ?? 'console';
  let rl: readline.Interface | undefined;
  let prompting = false;
  let barShown = false;
  const bot = new ConsoleBot({
    services,
    user,
    interactive,
    timestamps: flags.timestamps,
    write: (text, kind) => {
      if (interactive && kind === 'input') return; // the user typed it
      if (interactive && prompting) io.stdout.write('\r\x1b[K');
      // At a terminal the progress bar is redrawn in place: a new bar replaces the one printed just before it.
      if (interactive && kind === 'progress' && barShown) io.stdout.write('\x1b[1A\r\x1b[K');
      io.stdout.write(`${terminalSafe(text)}\n`);
      barShown = interactive && kind === 'progress';
      if (interactive && prompting) rl?.prompt(true);
    },
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    services.events.stopAll(); // waves become `interrupted`: resumable
    rl?.close();
  };
  void io.signalled.then(stop);
  try {
    if (interactive) {
      io.stdout.write(
        `istio-migrate console on the ${services.configSource}, as ${user}. Type help, or try: stage kyma-test · /click Run · /wait · status · /as oncall-1 · /quit\n`,
      );
    }
    // Waves an earlier session left behind: on the terminal, or on stderr for scripts (their transcript stays as it was).
    for (const l of await bot.interruptedWaves()) (interactive ? io.stdout : io.stderr).write(`${l}\n`);
    const lines: Iterable<string> | AsyncIterable<string> = script ?? (rl = readline.createInterface({ input: io.stdin, output: interactive ? io.stdout : undefined, terminal: interactive }));
    rl?.on('SIGINT', stop); // a terminal's Ctrl-C reaches readline, not the process
    if (interactive && rl) {
      rl.setPrompt(`${bot.user}> `);
      rl.prompt();
      prompting = true;
    }
    for await (const line of lines) {
      if (stopping) break;
      prompting = false;
      barShown = false; // the typed line sits below the last bar now
      if (/^\s*\/(quit|exit)\s*$/.test(line)) break;
      await bot.input(line);
      if (interactive && rl) {
        rl.setPrompt(`${bot.user}> `);
        rl.prompt();
        prompting = true;
      }
    }
    prompting = false;
    rl?.close();
    // Leave no wave half-run by accident: say which, and wait for them (a signal stops them gracefully instead).
    await bot.leave();
    return bot.failed > 0 ? 1 : 0;
  } finally {
    bot.close();
    await services.close();
  }
}

/** Registers `console`; `setExit` receives the exit code. */
export function registerConsoleCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('console')
    .description('the chat commands in a terminal (default: the embedded simulated landscape); buttons as numbered choices')
    .option('--config <file>', 'the landscape configuration (default: $ISTIO_MIGRATE_CONFIG, else the embedded simulated landscape)')
    .option('--script <file>', 'run the inputs of a file, one per line, then leave (piped stdin works the same)')
    .option('--as <user>', 'the identity to start with (default: $ISTIO_MIGRATE_USER, else $USER)')
    .option('--timestamps', 'prefix replies with the time')
    .addHelpText(
      'after',
      `
One input per line: a chat command (the /istio-migrate prefix is optional), or
  /as USER          act as USER from now on (e.g. to approve a Prod plan as on-call)
  /click N|LABEL    press a button of the last message that has one (e.g. /click Run)
  /wait [SECONDS]   wait until no wave is running
  /quit             leave
# starts a comment; $PLAN is the hash of the last plan shown.

Example script:
  stage kyma-test --sample 3
  /click Run
  /wait
  status

Exit codes: 0 every input accepted, 1 some input refused or failed, 2 usage or configuration error.`,
    )
    .action(async (flags: ConsoleFlags) => {
      const signalled = new Promise<void>((resolve) => {
        process.once('SIGTERM', () => resolve());
        process.once('SIGINT', () => resolve());
      });
      const code = await runConsole(flags, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, signalled });
      setExit(code);
      // Sockets and timers of the embedded landscape may linger; the console is done.
      process.exit(code);
    });
}
