/**
 * test/helpers/needs.ts through a jest of its own on test/fixtures/needs/missing.sample.ts (a missing fixture
 * folder, no PostgreSQL on port 1), counted by scripts/test-count.mjs: under CI=true every test behind a missing
 * need fails or counts as failed, with a message naming it; outside CI they skip and say why.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countReport } from '../../../scripts/test-count.mjs';

function runSample(ci: boolean) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'istio-migrate-needs-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '--experimental-vm-modules --no-warnings', ISTIO_MIGRATE_TEST_SKIP_LOG: path.join(dir, 'skips.jsonl') };
    delete env.CI;
    if (ci) env.CI = 'true';
    const r = spawnSync('npx', ['jest', '--ci', '--testMatch', '<rootDir>/test/fixtures/needs/missing.sample.ts', '--json', `--outputFile=${path.join(dir, 'r.json')}`], { env, encoding: 'utf8', timeout: 120_000 });
    const report = JSON.parse(readFileSync(path.join(dir, 'r.json'), 'utf8'));
    let log = '';
    try {
      log = readFileSync(path.join(dir, 'skips.jsonl'), 'utf8');
    } catch {
      log = '';
    }
    return { status: r.status, stderr: r.stderr, report, log, count: countReport(report, { ci, root: process.cwd() }) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('test/helpers/needs.ts', () => {
  it('under CI=true: a missing need fails, naming it, and the tests behind it count as failed', () => {
    const r = runSample(true);
    expect(r.status).not.toBe(0);
    expect(r.count).toMatchObject({ passed: 1, failed: 4, skipped: 0 });
    expect(r.count.failedTests.map((t) => t.name).sort()).toEqual(['block needing a fixture needs fixtures ../shared/fixtures/no-such-fixture-folder', 'test needing PostgreSQL']);
    expect(r.count.unlistedSkips.map((t) => t.name)).toEqual(['block needing a fixture a', 'block needing a fixture b']);
    expect(r.stderr).toContain('needs PostgreSQL at postgres://postgres@127.0.0.1:1/test: ECONNREFUSED');
    expect(r.stderr).toContain('needs fixtures ../shared/fixtures/no-such-fixture-folder');
  }, 120_000);

  it('outside CI: the tests skip visibly, each with its reason logged', () => {
    const r = runSample(false);
    expect(r.status).toBe(0);
    expect(r.count).toMatchObject({ passed: 1, failed: 0, skipped: 3 });
    const logged = r.log.trim().split('\n').map((l) => JSON.parse(l) as { file: string; title: string; reason: string });
    expect(logged.map((l) => [l.file, l.title])).toEqual([
      ['test/fixtures/needs/missing.sample.ts', 'block needing a fixture'],
      ['test/fixtures/needs/missing.sample.ts', 'test needing PostgreSQL'],
    ]);
    expect(logged[1].reason).toMatch(/^needs PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test: ECONNREFUSED.*ISTIO_MIGRATE_TEST_PG_URL=/);
    expect(r.stderr).toContain('SKIPPED test/fixtures/needs/missing.sample.ts › block needing a fixture — needs fixtures');
  }, 120_000);
});
