// The C8 count from jest's JSON report, kept apart from scripts/test.mjs so a unit test can check it.
//   passed  = numPassedTests
//   failed  = numFailedTests + numRuntimeErrorTestSuites (+1 when type-checking fails, +1 when lint fails)
//   skipped = numPendingTests + numTodoTests
// Under CI=true a skipped test that test/skips.json does not list (with its reason) moves from skipped to failed:
// CI has PostgreSQL, kubectl and ../shared/fixtures, so nothing may skip there unless the list says why.
import path from 'node:path';

/** Whether `CI` says this is a CI run (`true` or `1`, as CI services set it). */
export function isCi(env = process.env) {
  return env.CI === 'true' || env.CI === '1';
}

/**
 * Checks the skip list: an array of `{ file, test?, reason }` (file relative to the project, e.g.
 * `test/integration/sim/kubectl.test.ts`; test = the full name, i.e. the describe titles and the test title
 * joined by single spaces; without it the entry covers every test of the file). Returns problems, empty if fine.
 */
export function checkSkipList(list) {
  if (!Array.isArray(list)) return ['test/skips.json must hold a JSON array, e.g. [{ "file": "test/unit/x.test.ts", "test": "x does y", "reason": "why it may skip in CI" }]'];
  const problems = [];
  list.forEach((e, i) => {
    if (!e || typeof e !== 'object') problems.push(`test/skips.json[${i}] is not an object`);
    else {
      if (typeof e.file !== 'string' || !e.file) problems.push(`test/skips.json[${i}] has no "file" (e.g. "test/unit/x.test.ts")`);
      if (e.test !== undefined && typeof e.test !== 'string') problems.push(`test/skips.json[${i}].test must be the test's full name (a string)`);
      if (typeof e.reason !== 'string' || !e.reason.trim()) problems.push(`test/skips.json[${i}] has no "reason": say why this test may skip in CI`);
    }
  });
  return problems;
}

const SKIPPED = new Set(['pending', 'todo', 'skipped', 'disabled']);

/**
 * Counts one jest JSON report. `root` is the project directory (jest reports absolute file paths).
 * Returns the C8 figures and the tests behind them: `failedTests` (failed in jest), `unlistedSkips` (skipped
 * tests CI counts as failed), `skippedTests` (the skips that stay skipped).
 */
export function countReport(report, { skips = [], ci = false, root = process.cwd() } = {}) {
  const failedTests = [];
  const unlistedSkips = [];
  const skippedTests = [];
  const failedSuites = [];
  for (const suite of report.testResults ?? []) {
    const file = path.relative(root, suite.name ?? suite.testFilePath ?? '').split(path.sep).join('/');
    if (suite.status === 'failed' && !(suite.assertionResults ?? []).some((a) => a.status === 'failed')) {
      // eslint-disable-next-line no-control-regex -- jest colours its messages
      const lines = (suite.message ?? '').replace(/\u001b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim());
      failedSuites.push({ file, message: lines.find((l) => l && !l.startsWith('●')) ?? 'failed to run' });
    }
    for (const a of suite.assertionResults ?? []) {
      const name = a.fullName ?? [...(a.ancestorTitles ?? []), a.title].join(' ');
      if (a.status === 'failed') failedTests.push({ file, name });
      else if (SKIPPED.has(a.status)) {
        const listed = skips.find((s) => s.file === file && (s.test === undefined || s.test === name));
        if (ci && !listed) unlistedSkips.push({ file, name });
        else skippedTests.push({ file, name, reason: listed?.reason });
      }
    }
  }
  const skippedInJest = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  return {
    suites: report.numTotalTestSuites ?? 0,
    failedSuiteCount: report.numFailedTestSuites ?? 0,
    passed: report.numPassedTests ?? 0,
    failed: (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0) + unlistedSkips.length,
    skipped: Math.max(0, skippedInJest - unlistedSkips.length),
    failedTests,
    failedSuites,
    unlistedSkips,
    skippedTests,
  };
}
