/**
 * Hostile-selector benchmark (issue 14, finding 4): 20 catastrophic patterns (exponential for a backtracking
 * engine on a 36-character runtime id), planned
 *
 * 1. from the shell: `istio-migrate plan stage <pattern> --json`, one process each, its wall time measured
 *    (goal: each under 1 s of planning; the process start is reported apart);
 * 2. in a running bot (a child process, HTTP receiver, fake Slack): as signed slash commands, one a second, from two
 *    users in turn (each stays within the chat limit of 10 plans a minute), while `/healthz` is polled every 50 ms —
 *    its worst latency and failures are reported (goal: always answers, well under a second).
 *
 * Prints one JSON document; goals are reported next to the figures, nothing fails.
 * Run: `npm run build && npm run bench:selector`. BENCH_QUICK=1: 5 patterns.
 * `planMs` is a process's wall time less the median start of `istio-migrate help` (loading the CLI), an estimate.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { startSim } from '../src/sim/run-sim.js';
import { FakeSlack, postSigned, slashPayload } from '../test/helpers/fake-slack.js';

const QUICK = process.env.BENCH_QUICK === '1';
const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/istio-migrate.js');
const SECRET = 'bench-signing-secret';

/** Each is exponential for a backtracking engine on a runtime id (36 characters, no `x`); RE2 is linear. */
const PATTERNS = [
  'runtime-id=(.*)*x',
  'runtime-id=(.*.*)*x',
  'runtime-id=(.|.?)*x',
  'runtime-id=(\\w|-|.)*x',
  'runtime-id=([0-9a-f-]+)*x',
  'runtime-id=(.*){1,30}x',
  'runtime-id=((.*)*)*x',
  'runtime-id=(.+)+x',
  'runtime-id=(.*-)*.*x',
  'runtime-id=([^x]*)*x',
  'instance-id=(.*)*x',
  'instance-id=(.|.?)*x',
  'account=(.*)*x',
  'account=([0-9a-f-]+)*x',
  'subaccount=(.*)*x',
  'subaccount=(.*){1,30}x',
  'runtime-id=(.*)*x,account=(.*)*x',
  'runtime-id=(.*)*x|instance-id=(.*)*x',
  'runtime-id=(a|.)*x',
  'runtime-id=(.*?)*x',
].slice(0, QUICK ? 5 : 20);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; ms: number; stdout: string; stderr: string }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, ms: performance.now() - t0, stdout, stderr })));
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : 0;
};
const round = (n: number) => Math.round(n);

async function main(): Promise<void> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'bench-selector-'));
  const sim = await startSim({ out: path.join(out, 'sim'), port: 0, seed: 3, profile: 'mixed', runtimes: 300, timeScale: 0.01 });
  const fake = await FakeSlack.start({ limits: { 'chat.postMessage': null, 'chat.postEphemeral': null } });
  try {
    const cfg = YAML.parse(readFileSync(path.join(sim.out, 'config.yaml'), 'utf8')) as Record<string, unknown>;
    cfg.journal = { sqlite: { file: path.join(out, 'journal.db') } };
    const configFile = path.join(out, 'config.yaml');
    writeFileSync(configFile, YAML.stringify(cfg));

    // 1. The shell. The cost of starting a process (`help`) is measured apart from the plan itself.
    const starts: number[] = [];
    for (let i = 0; i < 3; i++) starts.push((await cli(['help'])).ms);
    const startMs = quantile(starts, 0.5);
    const shell: { pattern: string; ms: number; planMs: number; exit: number | null; runtimes: number; answered: boolean }[] = [];
    for (const pattern of PATTERNS) {
      const r = await cli(['plan', 'stage', pattern, '--json', '--config', configFile]);
      let runtimes = -1;
      try {
        runtimes = (JSON.parse(r.stdout) as { runtimes: unknown[] }).runtimes.length;
      } catch {
        /* reported as -1 */
      }
      // Answered: a plan (exit 0), or the refusal of an empty selection (exit 1, "nothing to plan …"), never a hang or crash.
      const answered = r.code === 0 || (r.code === 1 && r.stdout.includes('nothing to plan'));
      shell.push({ pattern, ms: round(r.ms), planMs: round(Math.max(0, r.ms - startMs)), exit: r.code, runtimes, answered });
    }

    // 2. A running bot: plans from Slack while /healthz is polled.
    const bot = spawn(process.execPath, [BIN, 'bot', '--config', configFile], {
      cwd: ROOT,
      env: { ...process.env, SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: fake.apiUrl, PORT: '0', HEALTH_PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    bot.stderr.on('data', (d: Buffer) => (log += d.toString()));
    let ports: { port: number; healthPort: number } | undefined;
    for (let i = 0; i < 600 && !ports; i++) {
      const line = log.split('\n').find((l) => l.includes('listening for Slack'));
      if (line) ports = JSON.parse(line) as { port: number; healthPort: number };
      else await sleep(50);
    }
    if (!ports) throw new Error(`the bot did not start: ${log.slice(-2000)}`);
    const health: number[] = [];
    let healthFailures = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const t0 = performance.now();
        try {
          const res = await fetch(`http://127.0.0.1:${ports.healthPort}/healthz`, { signal: AbortSignal.timeout(10_000) });
          if (res.status !== 200) healthFailures++;
          await res.text();
        } catch {
          healthFailures++;
        }
        health.push(performance.now() - t0);
        await sleep(50);
      }
    })();
    const botPlans: number[] = [];
    let answered = 0;
    for (const [i, pattern] of PATTERNS.entries()) {
      const before = fake.calls.length;
      const t0 = performance.now();
      await postSigned(`http://127.0.0.1:${ports.port}/slack/events`, slashPayload(`plan stage ${pattern}`, { user: `U-BENCH-${i % 2}` }), SECRET);
      const reply = await Promise.race([fake.waitFor((c) => fake.calls.indexOf(c) >= before && ['chat.postMessage', 'chat.postEphemeral'].includes(c.method)), sleep(30_000).then(() => undefined)]);
      botPlans.push(performance.now() - t0);
      if (reply && /Plan [0-9a-f]{12}/.test(JSON.stringify(reply.body))) answered++;
      await sleep(1000);
    }
    polling = false;
    await poller;
    bot.kill('SIGTERM');
    await new Promise((r) => bot.on('close', r));

    const planMs = shell.map((s) => s.planMs);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'selector',
        patterns: PATTERNS.length,
        landscape: { runtimes: 300, stage: 'about 90' },
        shell: {
          processStartMs: round(startMs),
          planMs: { p50: quantile(planMs, 0.5), max: Math.max(...planMs) },
          wallMs: { p50: quantile(shell.map((s) => s.ms), 0.5), max: Math.max(...shell.map((s) => s.ms)) },
          allAnswered: shell.every((s) => s.answered),
          goal: 'each plan under 1000 ms',
          met: Math.max(...planMs) < 1000 && shell.every((s) => s.answered),
          each: shell,
        },
        bot: {
          plans: PATTERNS.length,
          answered,
          replyMs: { p50: round(quantile(botPlans, 0.5)), max: round(Math.max(...botPlans)) },
          healthz: { checks: health.length, failures: healthFailures, p50Ms: round(quantile(health, 0.5)), p99Ms: round(quantile(health, 0.99)), maxMs: round(Math.max(...health)) },
          goal: '/healthz answers throughout (no failure, max well under 1000 ms)',
          met: healthFailures === 0 && Math.max(...health) < 1000 && answered === PATTERNS.length,
        },
      })}\n`,
    );
  } finally {
    await fake.close();
    await sim.close();
    rmSync(out, { recursive: true, force: true });
  }
}

await main();
