/**
 * Slack benchmark (issue 7 §7): a ≈ 10,000-runtime Prod wave driven through the bot — slash command, plan
 * message, on-call approval, `run` — with the simulator AND the fake Slack Web API in other processes than the
 * bot (the fake answers 429 with Retry-After above Slack's tiers). The bot runs with its production budgets and
 * pacing (40 chat.update/min over all waves, ≤ 1 post/s per channel). While the wave runs, a slash command
 * (`status WAVE`) and a button click (Pause by a non-operator, refused ephemerally) are sent every second each,
 * signed, to the HTTP receiver; their ack latency is measured. Prints one JSON document; goals are reported next
 * to the figures, nothing fails.
 *
 * Figures: total Web API calls, calls per method, the busiest minute of each method (vs its tier budget), 429s
 * received (goal 0), ack latency p50/p99 for commands and clicks (goal p99 ≤ 300 ms), the wave's wall time, and the
 * wave's thread (issue 21): posts in it (goal ≤ 60), digests, the immediate posts, and whether every failure is
 * reachable from it — the digests' `× n` counts add up to the failures and the CSV file lists each one.
 *
 * Run: `npm run build && npm run bench:slack`. BENCH_QUICK=1: ≈ 1,000 runtimes. BENCH_TIME_SCALE (default 0.01).
 * The approval is recorded by dispatching `approve` as the on-call user (the button path with its `--preview` of
 * 10,000 SKRs is what the e2e tests cover); everything else goes through Slack payloads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import YAML from 'yaml';
import { dispatch } from '../commands/index.js';
import { Services } from '../src/app/services.js';
import { createSlackApp } from '../src/chat/slack/app.js';
import { FakeSlack, buttonPayload, postSigned, slashPayload, type FakeSlackStats, type FakeSlackThreads, type Json } from '../test/helpers/fake-slack.js';

const QUICK = process.env.BENCH_QUICK === '1';
const LANDSCAPE_RUNTIMES = QUICK ? 1_670 : 16_700;
const TIME_SCALE = Number(process.env.BENCH_TIME_SCALE ?? 0.01);
const CONCURRENCY = 100;
const PROFILE = 'fresh=98,custom-cr=0.3,istio-error=0.85,manifest-error=0.85';
const SECRET = 'bench-signing-secret';
const PROD = 'C-PROD';
/** Slack's tiers per minute (SLACK.md), what the busiest minute is judged against. */
const TIERS: Record<string, number> = { 'chat.update': 50, 'chat.postEphemeral': 100, 'usergroups.users.list': 20, 'files.getUploadURLExternal': 100, 'files.completeUploadExternal': 100 };
const GOALS = { ackP99Ms: 300, rateLimited: 0, postsPerMinutePerChannel: 60, threadPostsPerWave: 60 };
const BIN = path.resolve(import.meta.dirname, '..', ...(import.meta.dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []), 'bin', 'istio-migrate.js');

const log = (line: string) => process.stderr.write(`slack-bench: ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** A child process whose first stdout line is a JSON ready line. */
function startChild(args: string[]): Promise<{ child: ChildProcess; ready: Json }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before it was ready`)));
    createInterface({ input: child.stdout }).once('line', (line) => resolve({ child, ready: JSON.parse(line) }));
  });
}

/** `--fake-slack`: this file as the fake Slack process. */
async function fakeSlackMain(): Promise<void> {
  const fake = await FakeSlack.start({ usergroups: { SONCALL: ['U-ONCALL'] } });
  process.stdout.write(`${JSON.stringify({ ready: true, port: fake.port })}\n`);
  process.once('SIGTERM', () => void fake.close().then(() => process.exit(0)));
}

function writeConfig(simOut: string, dir: string): string {
  const cfg = YAML.parse(readFileSync(path.join(simOut, 'config.yaml'), 'utf8')) as Record<string, Json>;
  for (const env of Object.values(cfg.environments as Record<string, Json>)) {
    env.limits = { concurrency: CONCURRENCY, requestsPerSecond: {} };
    env.budgets = { wave: 1_000_000 };
    // Outside the runbook (its order is judged on the runtimes a wave touches): the runbook's named sets select
    // nothing, so a wave of all of Prod is not an out-of-order Factory step. The bench is about Slack, not the runbook.
    for (const name of ['kyma-test', 'kyma-integration', 'canary', 'trial', 'factory']) if (env.targets?.[name]) env.targets[name] = ['runtime-id=none'];
  }
  cfg.environments.prod.approval = { approverGroup: 'SONCALL', operators: ['U-OP'] };
  cfg.chat = { channels: { prod: PROD }, customerContactChannel: 'C-CUSTOMER' };
  cfg.journal = { sqlite: { file: path.join(dir, 'journal.db') } };
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, YAML.stringify(cfg), { mode: 0o600 });
  return file;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slack-bench-'));
  const children: ChildProcess[] = [];
  try {
    log(`starting the simulator (${LANDSCAPE_RUNTIMES} runtimes, time scale ${TIME_SCALE}) and the fake Slack, each in its own process`);
    const sim = await startChild([BIN, 'sim', '--out', path.join(dir, 'sim'), '--profile', PROFILE, '--runtimes', String(LANDSCAPE_RUNTIMES), '--time-scale', String(TIME_SCALE), '--seed', '1']);
    children.push(sim.child);
    const fakeProc = await startChild([import.meta.filename, '--fake-slack']);
    children.push(fakeProc.child);
    const apiUrl = `http://127.0.0.1:${fakeProc.ready.port}/api/`;

    const services = await Services.create({ configFile: writeConfig(sim.ready.out, dir), env: {} });
    const bot = await createSlackApp({ services, env: { SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: apiUrl, PORT: '0', HEALTH_PORT: '0' } });
    const started = await bot.start();
    const events = `http://127.0.0.1:${started.port}/slack/events`;
    const journal = await services.journal();

    const planned = Date.now();
    await postSigned(events, slashPayload('plan prod region=.*', { user: 'U-OP', channel: PROD }), SECRET);
    await bot.idle();
    const plan = await (async () => {
      for (;;) {
        const raw = (await journal.listAudit({ limit: 5 })).find((a) => a.action === 'plan');
        if (raw) return (await journal.getPlan(raw.subject))!;
        await sleep(100);
      }
    })();
    const runtimes = (plan.document as { runtimes: unknown[] }).runtimes.length;
    log(`plan ${plan.hash.slice(0, 12)}: ${runtimes} runtimes (${Date.now() - planned} ms)`);
    const approved = await dispatch({ user: 'U-ONCALL', via: 'slack', interactive: false, services, isInApproverGroup: () => Promise.resolve(true) }, 'approve', [plan.hash]);
    if (approved.exitCode !== 0) throw new Error(approved.text);

    const runAt = Date.now();
    const run = await postSigned(events, slashPayload(`run --plan ${plan.hash} --yes`, { user: 'U-OP', channel: PROD }), SECRET);
    const runAckMs = run.ms;
    const commandAcks: number[] = [];
    const clickAcks: number[] = [];
    let waveId: string | undefined;
    for (;;) {
      waveId ??= (await journal.listWaves({ env: 'prod' }))[0]?.waveId;
      if (!waveId && Date.now() - runAt > 180_000) throw new Error('no wave 3 minutes after `run --plan`: the run was refused (see the fake Slack\'s replies) or never started');
      const wave = waveId ? await journal.getWave(waveId) : undefined;
      if (wave && ['finished', 'aborted', 'budget-stopped'].includes(wave.state)) break;
      if (waveId) {
        commandAcks.push((await postSigned(events, slashPayload(`status ${waveId}`, { user: 'U-X', channel: 'C-BENCH' }), SECRET)).ms);
        await sleep(500);
        const message = { channel: PROD, ts: '1.0', text: '', blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: `im:wave-pause:${waveId}`, value: waveId, text: { type: 'plain_text', text: 'Pause' } }] }] };
        clickAcks.push((await postSigned(events, { payload: JSON.stringify(buttonPayload(message, `im:wave-pause:${waveId}`, 'U-X')) }, SECRET)).ms);
      }
      await sleep(500);
    }
    const waveSeconds = (Date.now() - runAt) / 1000;
    log(`wave ${waveId} ended after ${waveSeconds.toFixed(1)} s; waiting for the final summary and the queued posts`);
    await bot.idle();
    const drainedSeconds = (Date.now() - runAt) / 1000;
    const stats = (await (await fetch(`http://127.0.0.1:${fakeProc.ready.port}/fake/stats`)).json()) as FakeSlackStats;
    const wave = (await journal.getWave(waveId))!;
    const counts: Record<string, number> = {};
    const waveRuntimes = await journal.listWaveRuntimes(wave.waveId);
    for (const r of waveRuntimes) counts[r.result?.outcome ?? r.state] = (counts[r.result?.outcome ?? r.state] ?? 0) + 1;
    // The wave's thread (issue 21): every failure (platform or customer class) must be counted in a digest and be in the export.
    const threads = (await (await fetch(`http://127.0.0.1:${fakeProc.ready.port}/fake/threads`)).json()) as FakeSlackThreads;
    const parentRef = JSON.parse((await journal.getSetting(`slack:wave:${wave.waveId}`)) ?? '{}') as { ts?: string };
    const threadPosts = threads.posts.filter((p) => p.threadTs === parentRef.ts);
    const digests = threadPosts.filter((p) => / since the last digest /.test(p.text));
    const digestFailures = digests.reduce((n, p) => n + [...p.blocksText.matchAll(/^• `[a-z-]+` × (\d+):/gm)].reduce((m, x) => m + Number(x[1]), 0), 0);
    const failed = waveRuntimes.filter((r) => r.result?.class === 'platform' || r.result?.class === 'customer');
    const csv = threads.uploads.find((u) => u.includes(failed[0]?.runtimeId ?? wave.waveId)) ?? threads.uploads.at(-1) ?? '';
    const inExport = failed.filter((r) => csv.includes(r.runtimeId)).length;
    await bot.stop();
    await services.close();
    const rateLimited = Object.values(stats.rateLimited).reduce((a, b) => a + b, 0);
    const ack = (xs: number[]) => ({ n: xs.length, p50: percentile(xs, 50), p99: percentile(xs, 99), max: Math.max(...xs) });
    const out = {
      bench: 'slack',
      runtimes,
      concurrency: CONCURRENCY,
      timeScale: TIME_SCALE,
      wave: { waveId: wave.waveId, state: wave.state, counts, wallSeconds: Math.round(waveSeconds * 10) / 10, untilSlackQuietSeconds: Math.round(drainedSeconds * 10) / 10 },
      slack: {
        totalCalls: stats.total,
        byMethod: stats.byMethod,
        busiestMinute: stats.maxPerMinute,
        tierPerMinute: TIERS,
        busiestMinutePostsPerChannel: stats.maxPostsPerMinutePerChannel,
        rateLimitedReceived: rateLimited,
        rateLimitedByMethod: stats.rateLimited,
        unexpectedCalls: stats.unexpected,
        fileUploads: stats.uploads,
      },
      thread: {
        postsPerWave: threadPosts.length,
        digests: digests.length,
        immediate: threadPosts.filter((p) => !digests.includes(p)).map((p) => p.text.slice(0, 80)),
        failures: failed.length,
        failuresCountedInDigests: digestFailures,
        failuresInExport: inExport,
      },
      ack: { runCommandMs: runAckMs, commands: ack(commandAcks), clicks: ack(clickAcks) },
      goals: GOALS,
      met: {
        zero429: rateLimited === GOALS.rateLimited,
        underTiers: Object.entries(TIERS).every(([m, n]) => (stats.maxPerMinute[m] ?? 0) <= n) && stats.maxPostsPerMinutePerChannel <= GOALS.postsPerMinutePerChannel,
        chatUpdateAtMost40PerMinute: (stats.maxPerMinute['chat.update'] ?? 0) <= 45,
        ackP99: Math.max(ack(commandAcks).p99, ack(clickAcks).p99) <= GOALS.ackP99Ms,
        threadPosts: threadPosts.length <= GOALS.threadPostsPerWave,
        everyFailureReachable: digestFailures === failed.length && inExport === failed.length,
      },
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--fake-slack') await fakeSlackMain();
else {
  await main();
  process.exit(0);
}
