/**
 * Help everywhere (issue 17): `istio-migrate --help` lists every command, `<command> --help` answers for each of
 * them (exit 0, its usage, nothing loaded or run), `--version` prints the package's version, and near misses of
 * commands and options get a "did you mean". The built binary, as a user runs it; the console and the dispatcher
 * Slack uses answer `--help` the same way.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { COMMANDS, dispatch } from '../../commands/index.js';
import type { CommandContext } from '../../commands/types.js';
import { main } from '../../src/main.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/istio-migrate.js');

/** Runs the binary in an empty directory (so that nothing it might write lands in the repository). */
function cli(...args: string[]): { code: number | null; stdout: string; stderr: string; cwd: string } {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'cli-help-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.SLACK_BOT_TOKEN;
  delete env.ISTIO_MIGRATE_CONFIG;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, cwd };
}

/** `main` in this process (the binary's path after start-up), stdout and stderr captured. */
async function inProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const write = { stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr) };
  process.stdout.write = ((c: string | Uint8Array) => ((out.stdout += String(c)), true));
  process.stderr.write = ((c: string | Uint8Array) => ((out.stderr += String(c)), true));
  try {
    const code = await main(['node', 'istio-migrate', ...args]);
    return { code, ...out };
  } finally {
    process.stdout.write = write.stdout;
    process.stderr.write = write.stderr;
  }
}

/** The command names under "Commands:" in commander's help (first word of each entry line). */
function listedCommands(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1]?.split(/^\S/m)[0] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]);
}

// DESIGN.md §3 and §1: the process modes and the chat commands an SRE uses.
const DOCUMENTED = ['sim', 'migrate', 'rename-to-default', 'bot', 'console', 'plan', 'run', 'status', 'pause', 'resume', 'drain', 'abort', 'retry-failed', 'verify', 'runbook', 'tasks'];

describe('istio-migrate --help, <command> --help, --version', () => {
  const top = cli('--help');

  it('--help exits 0 and lists every command: the modes and every chat command', () => {
    expect(top.code).toBe(0);
    const listed = listedCommands(top.stdout);
    for (const name of DOCUMENTED) expect(listed).toContain(name);
    for (const spec of COMMANDS) if (spec.name !== 'help') expect(listed).toContain(spec.name);
    expect(top.stdout).toMatch(/3 the wave ended with failures/);
  });

  it('<command> --help answers for every listed command with exit 0 and its usage, loading nothing', async () => {
    const listed = listedCommands(top.stdout).filter((n) => n !== 'help');
    expect(listed.length).toBeGreaterThanOrEqual(DOCUMENTED.length);
    const chat = new Set(COMMANDS.map((c) => c.name));
    // The process modes through the binary; the chat commands share one path in main (two through the binary too).
    for (const name of listed.filter((n) => !chat.has(n)).concat('plan', 'task')) {
      const r = cli(name, '--help');
      expect({ name, code: r.code, stderr: r.stderr }).toEqual({ name, code: 0, stderr: '' });
      expect(r.stdout.toLowerCase()).toContain('usage');
      expect(r.stdout).toContain(name);
      // Nothing was loaded: no journal directory appeared.
      expect(readdirSync(r.cwd)).toEqual([]);
    }
    for (const name of listed.filter((n) => chat.has(n))) {
      const r = await inProcess(name, '--help');
      expect({ name, code: r.code, stderr: r.stderr }).toEqual({ name, code: 0, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`^usage: ${name}\\b`));
      expect(r.stdout).not.toMatch(/unknown option/i);
    }
  });

  it('help <command> shows the same help as <command> --help', async () => {
    expect((await inProcess('help', 'plan')).stdout).toBe((await inProcess('plan', '--help')).stdout);
    expect((await inProcess('plan', '-h')).code).toBe(0);
  });

  it('--version (and -V) print the package version', () => {
    const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    for (const flag of ['--version', '-V']) {
      const r = cli(flag);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(version);
    }
  });

  it('near misses of commands and options get a "did you mean", exit 2, and load nothing', () => {
    const cmd = cli('plann', 'stage', 'kyma-test');
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toMatch(/did you mean plan\?/i);
    const opt = cli('plan', 'stage', 'kyma-test', '--sampel', '3');
    expect(opt.code).toBe(2);
    expect(opt.stderr).toContain('did you mean "--sample"?');
    expect(opt.stderr).toContain('example: plan stage kyma-test');
    expect(readdirSync(opt.cwd)).toEqual([]);
    const mode = cli('sim', '--ot', 'x', '--out', 'y');
    expect(mode.code).toBe(2);
    expect(mode.stderr).toMatch(/did you mean --out\?/i);
  });
});

describe('--help through the dispatcher the console and Slack use', () => {
  /** --help reads no landscape: a context without services. */
  const ctx = (via: CommandContext['via']) => ({ user: 'sre-1', via, interactive: false, services: undefined }) as unknown as CommandContext;

  it.each(COMMANDS.map((c) => [c.name]))('%s --help answers with its usage, options and exit codes', async (name) => {
    for (const via of ['console', 'slack'] as const) {
      const r = await dispatch(ctx(via), name, ['--help']);
      expect(r.exitCode).toBe(0);
      expect(r.text).toContain(COMMANDS.find((c) => c.name === name)!.usage);
      expect(r.text).toContain('--help');
      expect(r.text).toMatch(/exit codes: 0 ok/);
    }
  });

  it('an unknown command suggests the nearest one', async () => {
    const r = await dispatch(ctx('slack'), 'stauts', []);
    expect(r.exitCode).toBe(2);
    expect(r.text).toContain('did you mean "status"?');
  });
});
