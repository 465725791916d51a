/**
 * What a test needs from outside the project — PostgreSQL, kubectl, python3-kubernetes, chromium, ../shared/fixtures —
 * and what happens when it is missing. No test skips silently:
 *
 * - Under `CI=true` (CI has all of them) a missing need is a FAILING test whose message names what is missing
 *   and how to provide it; the tests behind it are reported skipped, and scripts/test.mjs counts every skip not
 *   listed in test/skips.json as failed (DESIGN.md C8).
 * - Outside CI the tests are skipped visibly: a warning with the reason, and scripts/test.mjs lists each skipped
 *   test with it.
 * - A need that is there but broken (PostgreSQL answers but refuses the login or has no such database) fails
 *   everywhere: that is a wrong setup, not a missing service.
 *
 * Use: `const pg = await requirePostgres(); describeWith(pg, 'journal on PostgreSQL', () => { ... })`, or
 * `itWith(requireKubectl(), 'kubectl get kyma', async () => { ... })`.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { hasKubectl } from './sim.js';

/** Whether this is a CI run (`CI=true` or `CI=1`), where nothing may be missing. */
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** The PostgreSQL the tests use (C6); trust auth, each test file makes schemas of its own. */
export const TEST_PG_URL = process.env.ISTIO_MIGRATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** ../shared/fixtures, next to the project (never copied into it). */
export const FIXTURES_DIR = path.resolve(process.cwd(), '../shared/fixtures');

export interface Requirement {
  /** What is needed, e.g. `PostgreSQL at postgres://postgres@127.0.0.1:5432/test`. */
  what: string;
  /** Why it is not there; undefined when it is. */
  missing?: string;
  /** How to provide it. */
  hint: string;
  /** There but unusable (wrong password, no such database): fails outside CI too. */
  broken?: boolean;
}

/** A URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** Connection errors meaning "no server answers there" (a machine without PostgreSQL), not a wrong setup. */
const NO_SERVER = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EADDRNOTAVAIL', 'ECONNRESET']);

const pgChecks = new Map<string, Promise<Requirement>>();

/** PostgreSQL at `url` (default ISTIO_MIGRATE_TEST_PG_URL): connects and runs `SELECT 1`, 5 s at most. */
export function requirePostgres(url = TEST_PG_URL): Promise<Requirement> {
  let check = pgChecks.get(url);
  if (!check) {
    check = (async (): Promise<Requirement> => {
      const what = `PostgreSQL at ${redactUrl(url)}`;
      const hint = 'start PostgreSQL there (trust auth, database "test") or set ISTIO_MIGRATE_TEST_PG_URL, e.g. ISTIO_MIGRATE_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test';
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return { what, hint };
      } catch (e) {
        const err = e as Error & { code?: string };
        const noServer = (err.code !== undefined && NO_SERVER.has(err.code)) || /timeout|terminated unexpectedly/i.test(err.message);
        return { what, hint, missing: `${err.code ? `${err.code}: ` : ''}${err.message}`, broken: !noServer };
      } finally {
        await client.end().catch(() => undefined);
      }
    })();
    pgChecks.set(url, check);
  }
  return check;
}

/** A `kubectl` binary on the PATH. */
export function requireKubectl(): Requirement {
  return hasKubectl()
    ? { what: 'kubectl', hint: '' }
    : { what: 'kubectl', missing: '`kubectl version --client` did not run', hint: 'install kubectl (e.g. apt-get install kubectl) so that it is on the PATH' };
}

/** Debian's python3-kubernetes under /usr/bin/python3 (the second, independent Kubernetes client). */
export function requirePythonKubernetes(): Requirement {
  const what = "Debian's python3-kubernetes (/usr/bin/python3 -c 'import kubernetes')";
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import kubernetes'], { stdio: 'ignore', timeout: 20_000 });
    return { what, hint: '' };
  } catch {
    return { what, missing: 'the module does not import', hint: 'apt-get install -y python3-kubernetes (.ci/run does)' };
  }
}

/** Debian's chromium, the browser playwright-core drives (it brings none of its own here). */
export const CHROMIUM = '/usr/bin/chromium';

/** Debian's headless-capable chromium at /usr/bin/chromium (`chromium --version` runs). */
export function requireChromium(): Requirement {
  const what = `Debian's chromium (${CHROMIUM})`;
  const hint = 'apt-get install -y chromium (.ci/run does)';
  if (!existsSync(CHROMIUM)) return { what, hint, missing: `${CHROMIUM} does not exist` };
  try {
    execFileSync(CHROMIUM, ['--version'], { stdio: 'ignore', timeout: 20_000 });
    return { what, hint };
  } catch (e) {
    return { what, hint, missing: `\`${CHROMIUM} --version\` did not run (${(e as Error).message.split('\n')[0]})` };
  }
}

/** A command that runs, e.g. `requireCommand('script', ['--version'], 'install util-linux')`. */
export function requireCommand(cmd: string, args: string[], hint: string): Requirement {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
    return { what: `the command ${cmd}`, hint };
  } catch (e) {
    return { what: `the command ${cmd}`, hint, missing: `\`${[cmd, ...args].join(' ')}\` did not run (${(e as Error).message.split('\n')[0]})` };
  }
}

/** A file or non-empty folder inside ../shared/fixtures, e.g. `requireFixtures('crds')`. */
export function requireFixtures(rel = ''): Requirement {
  const p = path.join(FIXTURES_DIR, rel);
  const what = `fixtures ${path.relative(process.cwd(), p) || p}`;
  const hint = 'check out the shared fixtures next to the project (../shared/fixtures, with crds/ and moduletemplates/)';
  if (!existsSync(p)) return { what, hint, missing: `${p} does not exist` };
  if (statSync(p).isDirectory() && readdirSync(p).length === 0) return { what, hint, missing: `${p} is empty` };
  return { what, hint };
}

function missingOf(needs: Requirement | Requirement[]): Requirement[] {
  return (Array.isArray(needs) ? needs : [needs]).filter((r) => r.missing !== undefined);
}

function message(missing: Requirement[]): string {
  return missing.map((r) => `needs ${r.what}: ${r.missing}; ${r.hint}`).join('\n');
}

/** Records why `title` skipped, for scripts/test.mjs to print next to each skipped test. */
function logSkip(title: string, reason: string): void {
  const testPath = expect.getState().testPath;
  const file = testPath ? path.relative(process.cwd(), testPath).split(path.sep).join('/') : '(unknown file)';
  console.warn(`SKIPPED ${file} › ${title} — ${reason}`);
  const log = process.env.ISTIO_MIGRATE_TEST_SKIP_LOG;
  if (log) appendFileSync(log, `${JSON.stringify({ file, title, reason })}\n`);
}

type DescribeBody = () => void;
type TestBody = () => Promise<unknown> | void;

/**
 * `describe` when every need is there. Otherwise the block's tests are skipped, and under CI (or when a need is
 * broken) one failing test next to them says what is missing: `needs <what>`.
 */
export function describeWith(needs: Requirement | Requirement[], name: string, fn: DescribeBody): void {
  const missing = missingOf(needs);
  if (!missing.length) {
    describe(name, fn);
    return;
  }
  const msg = message(missing);
  if (IN_CI || missing.some((r) => r.broken)) {
    describe(name, () => {
      it(`needs ${missing.map((r) => r.what).join(' and ')}`, () => {
        // Fails, printing the thrown message: what is missing and how to provide it.
        expect(() => {
          throw new Error(`${msg}${IN_CI ? '\n(CI=true: nothing may be missing here; the tests of this block count as failed)' : ''}`);
        }).not.toThrow();
      });
    });
  }
  logSkip(name, msg);
  // A visible skip outside CI: its reason was just logged, and scripts/test.mjs lists it with that reason.
  describe.skip(name, fn);
}

/** `it` when every need is there. Otherwise: under CI (or when a need is broken) it fails naming what is missing; else it skips with the reason. */
export function itWith(needs: Requirement | Requirement[], name: string, fn: TestBody, timeout?: number): void {
  const missing = missingOf(needs);
  if (!missing.length) {
    it(name, fn, timeout);
    return;
  }
  const msg = message(missing);
  if (IN_CI || missing.some((r) => r.broken)) {
    it(name, () => {
      // Fails, printing the thrown message: what is missing and how to provide it.
      expect(() => {
        throw new Error(msg);
      }).not.toThrow();
    });
    return;
  }
  logSkip(name, msg);
  // A visible skip outside CI: its reason was just logged, and scripts/test.mjs lists it with that reason.
  it.skip(name, fn, timeout);
}
