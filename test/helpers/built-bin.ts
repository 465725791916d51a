/**
 * The built binary (`bin/istio-migrate.js`, which runs `dist/src/main.js`) for tests that spawn it — after checking
 * that dist/ was built from the sources as they are now. A dist/ older than src/ runs yesterday's code and fails
 * far from the cause (a stale build once skipped KEB `updating` runtimes that src/ already targets, and three
 * tests failed with wrong counts); this fails at once, naming the stale file and the command that fixes it.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** Source trees the binary runs from (tsconfig.json compiles them to dist/<tree>). */
const TREES = ['src', 'commands'];

function sourcesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourcesUnder(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Source files whose compiled file in dist/ is missing or older than they are (paths relative to the root). */
export function staleBuild(root = ROOT): string[] {
  const stale: string[] = [];
  for (const tree of TREES) {
    const dir = path.join(root, tree);
    if (!existsSync(dir)) continue;
    for (const src of sourcesUnder(dir)) {
      const rel = path.relative(root, src);
      const js = path.join(root, 'dist', rel.replace(/\.ts$/, '.js'));
      if (!existsSync(js) || statSync(js).mtimeMs < statSync(src).mtimeMs) stale.push(rel);
    }
  }
  return stale;
}

/** Path of bin/istio-migrate.js; throws when dist/ is missing or older than the sources. */
export function builtBin(): string {
  const stale = staleBuild();
  if (stale.length) {
    throw new Error(
      `dist/ is older than the sources (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? `, and ${stale.length - 3} more` : ''}): ` +
        'this test spawns the built binary, so build first — e.g. `npm run build` (or `npx tsc -p tsconfig.json`), then rerun the test',
    );
  }
  return path.join(ROOT, 'bin/istio-migrate.js');
}

/** The machine's environment without what would configure the binary (Slack, config, ports, log level, jest's NODE_OPTIONS), then `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('SLACK_') || ['ISTIO_MIGRATE_CONFIG', 'PORT', 'HEALTH_PORT', 'LOG_LEVEL', 'NODE_OPTIONS'].includes(k)) delete env[k];
  return { ...env, ...extra };
}

export interface BinRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface BinRunOptions {
  /** Default: the repository root. */
  cwd?: string;
  /** Added to cleanEnv(). */
  env?: Record<string, string>;
  /** Written to stdin, which is then closed; without it stdin is ignored. */
  stdin?: string;
  /** Called with all stdout so far on each chunk; `kill` sends a signal (default SIGTERM). */
  onStdout?: (text: string, kill: (signal?: NodeJS.Signals) => void) => void;
  /** Called with all stderr so far on each chunk; `kill` sends a signal (default SIGTERM). */
  onStderr?: (text: string, kill: (signal?: NodeJS.Signals) => void) => void;
}

let checkedBin: string | undefined;

/** Runs the built binary (checked fresh once per test file) to its end. */
export function runBin(args: string[], o: BinRunOptions = {}): Promise<BinRun> {
  checkedBin ??= builtBin();
  const bin = checkedBin;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: o.cwd ?? ROOT, env: cleanEnv(o.env), stdio: [o.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const kill = (signal: NodeJS.Signals = 'SIGTERM') => child.kill(signal);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      o.onStdout?.(stdout, kill);
    });
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
      o.onStderr?.(stderr, kill);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin?.end(o.stdin);
  });
}
