// Types for scripts/test-count.mjs (imported by test/unit/scripts/test-count.test.ts).
export interface SkipEntry {
  file: string;
  test?: string;
  reason: string;
}
export interface TestRef {
  file: string;
  name: string;
  reason?: string;
}
export interface Count {
  suites: number;
  failedSuiteCount: number;
  passed: number;
  failed: number;
  skipped: number;
  failedTests: TestRef[];
  failedSuites: { file: string; message: string }[];
  unlistedSkips: TestRef[];
  skippedTests: TestRef[];
}
export function isCi(env?: Record<string, string | undefined>): boolean;
export function checkSkipList(list: unknown): string[];
export function countReport(report: unknown, opts?: { skips?: SkipEntry[]; ci?: boolean; root?: string }): Count;
