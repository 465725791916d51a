/**
 * The C8 count (scripts/test-count.mjs) on hand-written jest reports: passed = numPassedTests; failed =
 * numFailedTests + numRuntimeErrorTestSuites; skipped = numPendingTests + numTodoTests; under CI a skip not
 * listed in test/skips.json moves from skipped to failed.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { checkSkipList, countReport, isCi } from '../../../scripts/test-count.mjs';

const root = '/repo';
const assertion = (title: string, status: string, ancestors: string[] = ['block']) => ({
  title,
  status,
  ancestorTitles: ancestors,
  fullName: [...ancestors, title].join(' '),
});
const report = {
  numTotalTestSuites: 3,
  numFailedTestSuites: 2,
  numPassedTests: 4,
  numFailedTests: 1,
  numRuntimeErrorTestSuites: 1,
  numPendingTests: 2,
  numTodoTests: 1,
  testResults: [
    { name: '/repo/test/a.test.ts', status: 'failed', assertionResults: [assertion('one', 'passed'), assertion('two', 'failed'), assertion('three', 'pending')] },
    { name: '/repo/test/b.test.ts', status: 'passed', assertionResults: [assertion('four', 'passed'), assertion('five', 'pending'), assertion('six', 'todo'), assertion('seven', 'passed'), assertion('eight', 'passed')] },
    { name: '/repo/test/c.test.ts', status: 'failed', message: '\n  ● Test suite failed to run\n\n  SyntaxError', assertionResults: [] },
  ],
};

describe('scripts/test-count.mjs', () => {
  it('counts outside CI: skips stay skipped', () => {
    const c = countReport(report, { root, ci: false });
    expect(c).toMatchObject({ suites: 3, failedSuiteCount: 2, passed: 4, failed: 2, skipped: 3 });
    expect(c.failedTests).toEqual([{ file: 'test/a.test.ts', name: 'block two' }]);
    expect(c.failedSuites).toEqual([{ file: 'test/c.test.ts', message: 'SyntaxError' }]);
    expect(c.unlistedSkips).toEqual([]);
    expect(c.skippedTests.map((t) => t.name)).toEqual(['block three', 'block five', 'block six']);
  });

  it('under CI counts every skip the list does not name as failed', () => {
    const c = countReport(report, { root, ci: true });
    expect(c).toMatchObject({ passed: 4, failed: 5, skipped: 0 });
    expect(c.unlistedSkips).toEqual([
      { file: 'test/a.test.ts', name: 'block three' },
      { file: 'test/b.test.ts', name: 'block five' },
      { file: 'test/b.test.ts', name: 'block six' },
    ]);
  });

  it('under CI keeps the listed skips skipped: by full name, or a whole file', () => {
    const skips = [
      { file: 'test/a.test.ts', test: 'block three', reason: 'r1' },
      { file: 'test/b.test.ts', reason: 'r2' },
    ];
    const c = countReport(report, { root, ci: true, skips });
    expect(c).toMatchObject({ failed: 2, skipped: 3 });
    expect(c.skippedTests).toEqual([
      { file: 'test/a.test.ts', name: 'block three', reason: 'r1' },
      { file: 'test/b.test.ts', name: 'block five', reason: 'r2' },
      { file: 'test/b.test.ts', name: 'block six', reason: 'r2' },
    ]);
    // A listed name in another file does not cover a skip here.
    expect(countReport(report, { root, ci: true, skips: [{ file: 'test/b.test.ts', test: 'block three', reason: 'r' }] })).toMatchObject({ failed: 5, skipped: 0 });
  });

  it('rejects a skip list entry without a file or a reason', () => {
    expect(checkSkipList([])).toEqual([]);
    expect(checkSkipList([{ file: 'test/a.test.ts', reason: 'why' }])).toEqual([]);
    expect(checkSkipList({})).toHaveLength(1);
    expect(checkSkipList([{ file: 'test/a.test.ts' }])).toEqual(['test/skips.json[0] has no "reason": say why this test may skip in CI']);
    expect(checkSkipList([{ reason: 'why' }])[0]).toMatch(/has no "file"/);
  });

  it('reads CI from CI=true or CI=1 only', () => {
    expect(isCi({ CI: 'true' })).toBe(true);
    expect(isCi({ CI: '1' })).toBe(true);
    expect(isCi({ CI: 'false' })).toBe(false);
    expect(isCi({})).toBe(false);
  });

  it('the checked-in skip list is valid', () => {
    expect(checkSkipList(JSON.parse(readFileSync('test/skips.json', 'utf8')))).toEqual([]);
  });
});
