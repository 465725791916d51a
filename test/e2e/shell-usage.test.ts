/**
 * Usage errors of the shell before anything else (C3: exit 2 with the problem and an example, one JSON line with
 * --json), through the built binary against the simulator:
 * - `run --plan HASH` with a target, an environment, --exclude, --sample or --concurrency: the stored plan runs as it
 *   was planned, so the extra input is refused rather than silently ignored (it ran the plan's environment at the
 *   plan's concurrency);
 * - `run` without a terminal checks its arguments before asking for --yes (a typo is exit 2, not "confirm");
 * - `approve --action` takes only the actions approvals are asked for.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runBin } from '../helpers/built-bin.js';
import { outsideRunbook, runtimeOf, startTestSim, writeSimConfig, type TestSim } from '../helpers/sim.js';

describe('istio-migrate run / approve: usage errors first (commands/run.ts, approve.ts)', () => {
  let sim: TestSim;
  let cfg: string;
  let hash: string;
  const cli = (args: string[]) => runBin([...args, '--config', cfg], { env: { ISTIO_MIGRATE_USER: 'sre-usage' } });
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
    cfg = writeSimConfig(sim, 'shell-usage', outsideRunbook);
    const planned = await cli(['plan', 'stage', 'all', '--json']);
    expect(planned.code).toBe(0);
    hash = (JSON.parse(planned.stdout) as { hash: string }).hash.slice(0, 12);
  });
  afterAll(async () => {
    await sim?.close();
  });

  it.each([
    ['an environment and a target', ['run', 'dev', 'all', '--plan', 'HASH', '--yes', '--json'], '"dev", "all"'],
    ['--concurrency', ['run', '--plan', 'HASH', '--concurrency', '1', '--yes', '--json'], '--concurrency'],
    ['--exclude and --sample', ['run', '--plan', 'HASH', '--exclude', 'region=.*', '--sample', '1', '--yes', '--json'], '--exclude, --sample'],
  ])('run --plan with %s: exit 2, nothing runs', async (_what, args, named) => {
    const r = await cli(args.map((a) => (a === 'HASH' ? hash : a)));
    expect(r.code).toBe(2);
    const error = (JSON.parse(r.stdout) as { error: string }).error;
    expect(error).toContain(`run --plan runs the stored plan as it was planned and reviewed: ${named}`);
    expect(error).toContain('plan again with them');
    const status = await cli(['status', '--json']);
    expect((JSON.parse(status.stdout) as { waves: unknown[] }).waves).toEqual([]);
  });

  it.each([
    ['an unknown environment', ['run', 'qa', 'all'], 'unknown environment "qa"'],
    ['no environment', ['run', '--json'], 'name an environment'],
    ['no target', ['run', 'dev'], 'name a target'],
    ['a bad --sample', ['run', 'dev', 'all', '--sample', 'x'], '--sample must be a whole number'],
  ])('run with %s and no terminal: exit 2 (the usage error), not the --yes refusal', async (_what, args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain(message);
    expect(r.stdout + r.stderr).not.toContain('confirm with --yes');
  });

  it.each([
    ['a mistyped option, --json', ['plan', 'stage', 'kyma-test', '--smaple', '3', '--json'], 'unknown option \'--smaple\' (did you mean "--sample"?)'],
    ['a negative --sample', ['plan', 'dev', 'all', '--sample', '-1', '--json'], '--sample takes a whole number ≥ 1, not a negative one'],
    ['an --exclude starting with -', ['plan', 'dev', 'all', '--exclude', '-canary', '--json'], '--exclude got a value starting with "-": write it as --exclude=VALUE if that is meant'],
    ['a negative N', ['set-concurrency', 'stage-20261207-1', '-2', '--json'], '"-2" is no valid value: numbers here are whole numbers ≥ 1'],
  ])('%s: exit 2, the readable problem and an example in the JSON', async (_what, args, problem) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    const error = (JSON.parse(r.stdout) as { error: string }).error;
    expect(error).toContain(problem);
    expect(error).toContain('(example: ');
    expect(error).not.toMatch(/ambiguous|To specify/);
  });

  it.each(['0', 'abc', '1.5'])('verify --sample %s: exit 2 with an example, as plan --sample (0 would check no SKR and pass every wave)', async (n) => {
    const r = await cli(['verify', 'dev', '--sample', n]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--sample must be a whole number ≥ 1, got "${n}"`);
    expect(r.stderr).toContain('example: verify stage canary --sample 10');
    const json = await cli(['verify', 'dev', '--sample', n, '--json']);
    expect(json.code).toBe(2);
    expect((JSON.parse(json.stdout) as { error: string }).error).toBe(`--sample must be a whole number ≥ 1, got "${n}"`);
  });

  it('--config with no file is refused (exit 2, an example), not dropped; an unknown option names the global --config too', async () => {
    for (const args of [['status', '--config'], ['status', '--config', '--json'], ['status', '--config=']]) {
      const r = await runBin(args, { env: { ISTIO_MIGRATE_USER: 'sre-usage' } });
      expect(r.code).toBe(2);
      expect(r.stdout + r.stderr).toContain('--config needs a file: the configuration to use');
      expect(r.stdout + r.stderr).toContain('example: istio-migrate status --config config.yaml');
    }
    const typo = await cli(['plan', 'dev', 'all', '--confg', 'x']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('unknown option \'--confg\' (did you mean "--config"?)');
    expect(typo.stderr).toContain('(and everywhere: --config FILE)');
  });

  it('one concurrency limit for plan, run and set-concurrency; a too short plan hash; an --out that cannot be written', async () => {
    for (const args of [['plan', 'dev', 'all', '--concurrency', '100000'], ['run', 'dev', 'all', '--concurrency', '100000', '--yes']]) {
      const r = await cli([...args, '--json']);
      expect(r.code).toBe(2);
      expect((JSON.parse(r.stdout) as { error: string }).error).toBe('--concurrency must be at most 1000, got 100000');
    }
    const short = await cli(['run', '--plan', hash.slice(0, 4), '--yes', '--json']);
    expect(short.code).toBe(1);
    expect((JSON.parse(short.stdout) as { error: string }).error).toContain('(4 characters: too short to name one): a plan is named by its hash or a unique prefix of at least 8 characters');
    const ran = await cli(['run', 'dev', `runtime-id=${runtimeOf(sim.out, 'dev', 'fresh').runtimeId}`, '--yes', '--json']);
    const waveId = (JSON.parse(ran.stdout) as { waveId: string }).waveId;
    const out = await cli(['export', waveId, '--format', 'csv', '--out', '/nonexistent-dir/x.csv']);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('export: cannot write /nonexistent-dir/x.csv: no such file or directory');
  });

  it('help --json, help <command> --json and help <unknown>', async () => {
    const all = await runBin(['help', '--json']);
    expect(all.code).toBe(0);
    expect((JSON.parse(all.stdout) as { name: string }[]).map((c) => c.name)).toContain('run');
    const one = await runBin(['help', 'run', '--json']);
    expect(JSON.parse(one.stdout)).toMatchObject({ name: 'run', examples: expect.arrayContaining(['run stage kyma-test --sample 5 --yes']) });
    const unknown = await runBin(['help', 'nosuch']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "nosuch"');
    const near = await runBin(['help', 'statsu', '--json']);
    expect(near.code).toBe(2);
    expect((JSON.parse(near.stdout) as { error: string }).error).toContain('did you mean "status"');
    // The modes' help is commander's, as before.
    expect((await runBin(['help', 'sim'])).stdout).toContain('Usage: istio-migrate sim');
  });

  it('approve --action takes only approval actions', async () => {
    const bad = await cli(['approve', hash, '--as', 'oncall-1', '--action', 'bogus', '--json']);
    expect(bad.code).toBe(2);
    expect((JSON.parse(bad.stdout) as { error: string }).error).toContain('--action "bogus" is no approval action: give one of run, force, resume, retry-failed, rename:<runtime-id>, budget:<wave>:<n>, set-concurrency:<wave>:<n>');
    const good = await cli(['approve', hash, '--as', 'oncall-1', '--action', 'budget:stage-20261207-1:5', '--json']);
    expect(good.code).toBe(0);
  });
});
