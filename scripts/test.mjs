#!/usr/bin/env node
// `npm test`: type-check (and build, in the same tsc pass), lint, then jest with a JSON report.
// Prints the C8 line last: passed = numPassedTests; failed = numFailedTests + numRuntimeErrorTestSuites
// (+1 when type-checking fails, +1 when lint fails). Exits non-zero exactly when failed > 0.
// Extra arguments go to jest (e.g. `npm test -- test/unit`).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const dir = '.test-results';
mkdirSync(dir, { recursive: true });
const report = `${dir}/jest.json`;
rmSync(report, { force: true });

function step(name, cmd, args, env = {}) {
  process.stderr.write(`\n== ${name}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

const typecheck = step('type-check and build', 'npx', ['tsc', '-p', 'tsconfig.json']);
const lint = step('lint', 'npx', ['eslint', '.']);
// --forceExit: the report is written before jest exits; a stray keep-alive socket or timer left by a library in
// some suite must not keep CI waiting after every test has finished.
step('jest', 'npx', ['jest', '--json', `--outputFile=${report}`, '--forceExit', ...process.argv.slice(2)], {
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --no-warnings`.trim(),
});

let passed = 0;
let failed = 0;
try {
  const j = JSON.parse(readFileSync(report, 'utf8'));
  passed = j.numPassedTests;
  failed = j.numFailedTests + j.numRuntimeErrorTestSuites;
} catch {
  process.stderr.write('jest wrote no report: counting the run as one failure\n');
  failed += 1;
}
if (!typecheck) failed += 1;
if (!lint) failed += 1;
writeFileSync(`${dir}/summary.json`, JSON.stringify({ passed, failed, typecheck, lint }));
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
