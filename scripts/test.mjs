#!/usr/bin/env node
// `npm test`: type-check (and build, in the same tsc pass), lint (eslint and the layer check), then jest with a JSON report.
// Prints the suite count, then the C8 line last: `tests: P passed, F failed, S skipped` (see scripts/test-count.mjs:
// passed = numPassedTests; failed = numFailedTests + numRuntimeErrorTestSuites, +1 when type-checking fails, +1
// when lint fails, +1 when test/skips.json is malformed; skipped = numPendingTests + numTodoTests — and under
// CI=true a skip not listed with its reason in test/skips.json counts as failed). Exits non-zero exactly when F > 0.
// Extra arguments go to jest (e.g. `npm test -- test/unit/chat/render.test.ts`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkSkipList, countReport, isCi } from './test-count.mjs';

const started = Date.now();
const dir = path.resolve('.test-results');
mkdirSync(dir, { recursive: true });
const report = path.join(dir, 'jest.json');
const skipLog = path.join(dir, 'skip-reasons.jsonl');
rmSync(report, { force: true });
rmSync(skipLog, { force: true });
const ci = isCi();

function step(name, cmd, args, env = {}) {
  process.stderr.write(`\n== ${name}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

let skips = [];
let skipListProblems;
try {
  skips = JSON.parse(readFileSync('test/skips.json', 'utf8'));
  skipListProblems = checkSkipList(skips);
} catch (e) {
  skipListProblems = [`test/skips.json: ${e.message} (it must hold a JSON array, [] when nothing may skip)`];
}
if (skipListProblems.length) skips = [];

const typecheck = step('type-check and build', 'npx', ['tsc', '-p', 'tsconfig.json']);
const lint = step('lint', 'npx', ['eslint', '.']) && step('layers', 'node', ['scripts/check-layers.mjs']);
// --forceExit: the report is written before jest exits; a stray keep-alive socket or timer left by a library in
// some suite must not keep CI waiting after every test has finished.
step('jest', 'npx', ['jest', '--json', `--outputFile=${report}`, '--forceExit', ...process.argv.slice(2)], {
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --no-warnings`.trim(),
  ISTIO_MIGRATE_TEST_SKIP_LOG: skipLog,
});

/** Why each describe/test skipped, as test/helpers/needs.ts logged it: { file, title, reason } lines. */
const reasons = existsSync(skipLog)
  ? readFileSync(skipLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
  : [];
const reasonOf = (t) =>
  t.reason ?? reasons.find((r) => r.file === t.file && t.name.includes(r.title))?.reason ?? 'no reason given (a bare .skip?)';

let c;
try {
  c = countReport(JSON.parse(readFileSync(report, 'utf8')), { skips, ci, root: process.cwd() });
} catch {
  process.stderr.write('jest wrote no report: counting the run as one failure\n');
  c = { suites: 0, failedSuiteCount: 0, passed: 0, failed: 1, skipped: 0, failedTests: [], failedSuites: [], unlistedSkips: [], skippedTests: [] };
}
let failed = c.failed;
if (!typecheck) failed += 1;
if (!lint) failed += 1;
if (skipListProblems.length) failed += 1;

const out = (s) => process.stdout.write(`${s}\n`);
out('');
if (!typecheck) out('FAILED: type-check (tsc -p tsconfig.json)');
if (!lint) out('FAILED: lint (eslint . and scripts/check-layers.mjs)');
for (const p of skipListProblems) out(`FAILED: ${p}`);
for (const s of c.failedSuites) out(`FAILED suite: ${s.file}: ${s.message}`);
for (const t of c.failedTests) out(`FAILED: ${t.file} › ${t.name}`);
for (const t of c.unlistedSkips) out(`FAILED (skipped under CI=true, not listed in test/skips.json): ${t.file} › ${t.name} — ${reasonOf(t)}`);
for (const t of c.skippedTests) out(`SKIPPED: ${t.file} › ${t.name} — ${reasonOf(t)}`);
const seconds = Math.round((Date.now() - started) / 1000);
writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ passed: c.passed, failed, skipped: c.skipped, suites: c.suites, typecheck, lint, ci, seconds }));
out(`suites: ${c.suites} (${c.failedSuiteCount} failed), ${seconds} s${ci ? ', CI=true' : ''}`);
out(`tests: ${c.passed} passed, ${failed} failed, ${c.skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
