/**
 * Slack benchmark (issue 7 §7): a ≈ 10,000-runtime Prod wave driven through the bot — slash command, plan
 * message, on-call approval, `run` — with the simulator AND the fake Slack Web API in other processes than the
 * bot (the fake answers 429 with Retry-After above Slack's tiers). The bot runs with its production budgets and
 * pacing (40 chat.update/min over all waves, ≤ 1 post/s per channel). While the wave runs, a slash command
 * (`status WAVE`) and a button click (Pause by a non-operator, refused ephemerally) are sent every second each,
 * signed, to the HTTP receiver from a process of their own (Slack's side), which times each ack. Prints one JSON
 * document; goals are reported next to the figures, nothing fails.
 *
 * Why an ack is slow is printed next to it: the bot's event-loop delay during the wave (perf_hooks histogram), the
 * spans of 100 ms or more the loop was held and how much of each was this process's own CPU (the rest it waited
 * for a core), the bot's and the simulator's CPU time, and the load average. BENCH_PRIORITY (below) shows the
 * figures with the bot and the sender ahead of other processes.
 *
 * Figures: total Web API calls, calls per method, the busiest minute of each method (vs its tier budget), 429s
 * received (goal 0), ack latency p50/p95/p99 for commands and clicks (goal p99 ≤ 300 ms), the wave's wall time, and the
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
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import YAML from 'yaml';
import { dispatch } from '../commands/index.js';
import { Services } from '../src/app/services.js';
import { createSlackApp } from '../src/chat/slack/app.js';
import { FakeSlack, buttonPayload, postSigned, slashPayload, type FakeSlackStats, type FakeSlackThreads, type Json } from '../test/helpers/fake-slack.js';

const QUICK = process.env.BENCH_QUICK === '1';
const LANDSCAPE_RUNTIMES = QUICK ? 1_670 : 16_700;
const TIME_SCALE = Number(process.env.BENCH_TIME_SCALE ?? 0.01);
/**
 * BENCH_PRIORITY (e.g. -10, needs the privilege): the scheduling priority of the bot and of the ack sender (the
 * simulator and the fake Web API keep theirs). On a shared machine it shows what the ack would be with a core of its
 * own: without it, the figures include the time the bot waited for a core behind other processes.
 */
const PRIORITY = process.env.BENCH_PRIORITY === undefined ? undefined : Number(process.env.BENCH_PRIORITY);
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

/**
 * The bot's event-loop delay while the wave runs (the bot runs in this process): perf_hooks' histogram (ms), and
 * the synchronous spans that held the loop for 100 ms or more (a 10 ms ticker's lateness), counted and the longest.
 */
function watchEventLoop(): { stop(): Json; cpu(): { botProcessMs: number; botUtilization: number } } {
  const cpuAt = process.cpuUsage();
  const wallAt = performance.now();
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  // Each span: how late the ticker was, and how much CPU this process used meanwhile. A span with little CPU of its
  // own was spent waiting for a core (other processes), not in this process's synchronous work.
  const spans: { lateMs: number; ownCpuMs: number; atSeconds: number }[] = [];
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  const ticker = setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const late = now - last - 10;
    if (late >= 100) spans.push({ lateMs: Math.round(late), ownCpuMs: Math.round((cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000), atSeconds: Math.round(now - wallAt) / 1000 });
    last = now;
    lastCpu = cpu;
  }, 10);
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;
  return {
    cpu() {
      const used = process.cpuUsage(cpuAt);
      const ms = (used.user + used.system) / 1000;
      return { botProcessMs: Math.round(ms), botUtilization: Math.round((ms / (performance.now() - wallAt)) * 100) / 100 };
    },
    stop() {
      clearInterval(ticker);
      h.disable();
      return {
        delayMs: { p50: ms(h.percentile(50)), p95: ms(h.percentile(95)), p99: ms(h.percentile(99)), max: ms(h.max) },
        blockedSpans: {
          atLeast100Ms: spans.length,
          atLeast250Ms: spans.filter((x) => x.lateMs >= 250).length,
          longestMs: Math.round(Math.max(0, ...spans.map((x) => x.lateMs))),
          totalMs: Math.round(spans.reduce((a, x) => a + x.lateMs, 0)),
          ownCpuMs: Math.round(spans.reduce((a, x) => a + x.ownCpuMs, 0)),
          mostlyOwnCpu: spans.filter((x) => x.ownCpuMs >= 0.8 * x.lateMs).length,
          mostOwnCpu: [...spans].sort((a, b) => b.ownCpuMs - a.ownCpuMs).slice(0, 3),
        },
      };
    },
  };
}

/** A child process whose first stdout line is a JSON ready line. */
function startChild(args: string[], stdin: 'ignore' | 'pipe' = 'ignore'): Promise<{ child: ChildProcess; ready: Json }> {
  const child = spawn(process.execPath, args, { stdio: [stdin, 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before it was ready`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve({ child, ready: JSON.parse(line) }));
  });
}

/** CPU time (user + system, ms) a child has used so far (Linux /proc; NaN elsewhere). */
function childCpuMs(child: ChildProcess): number {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return NaN;
  }
}

/**
 * `--sender EVENTS WAVE`: Slack's side of the ack measurement. Every second, a slash command (`status WAVE`, from
 * five channels in turn) and, half a second later, a click (Pause by a non-operator, refused ephemerally), signed,
 * to the receiver; each ack's latency is timed here. On a `stop` line on stdin, prints `{commands, clicks}` (ms) and exits.
 */
async function senderMain(events: string, waveId: string): Promise<void> {
  const CHANNELS = 5;
  const commands: number[] = [];
  const clicks: number[] = [];
  let stopped = false;
  createInterface({ input: process.stdin }).once('line', () => (stopped = true));
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  const message = { channel: PROD, ts: '1.0', text: '', blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: `im:wave-pause:${waveId}`, value: waveId, text: { type: 'plain_text', text: 'Pause' } }] }] };
  // `status` answers in the channel, and the bot posts at most one message per 1.5 s into one channel (Slack's
  // ~1/s): one command a second into one channel would queue replies faster than they may go out, and the queue
  // would still drain long after the wave ended. So the commands come from CHANNELS channels, in turn.
  for (let n = 0; !stopped; n++) {
    commands.push((await postSigned(events, slashPayload(`status ${waveId}`, { user: 'U-X', channel: `C-BENCH-${n % CHANNELS}` }), SECRET)).ms);
    await sleep(500);
    if (stopped) break;
    clicks.push((await postSigned(events, { payload: JSON.stringify(buttonPayload(message, `im:wave-pause:${waveId}`, 'U-X')) }, SECRET)).ms);
    await sleep(500);
  }
  process.stdout.write(`${JSON.stringify({ commands, clicks })}\n`);
  process.exit(0);
}

/** Stops the sender and reads its ack latencies. */
function stopSender(child: ChildProcess): Promise<{ commands: number[]; clicks: number[] }> {
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the ack sender exited (${code}) without its figures`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line)));
    child.stdin!.write('stop\n');
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

    if (PRIORITY !== undefined) os.setPriority(PRIORITY);
    const services = await Services.create({ configFile: writeConfig(sim.ready.out, dir), env: {}, journalUse: 'create' }); // as the bot opens it
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

    const loop = watchEventLoop();
    const simCpuBefore = childCpuMs(sim.child);
    const runAt = Date.now();
    const run = await postSigned(events, slashPayload(`run --plan ${plan.hash} --yes`, { user: 'U-OP', channel: PROD }), SECRET);
    const runAckMs = run.ms;
    let waveId: string | undefined;
    let sender: { child: ChildProcess; ready: Json } | undefined;
    for (;;) {
      waveId ??= (await journal.listWaves({ env: 'prod' }))[0]?.waveId;
      if (!waveId && Date.now() - runAt > 180_000) throw new Error('no wave 3 minutes after `run --plan`: the run was refused (see the fake Slack\'s replies) or never started');
      if (waveId && !sender) {
        // Slack's side: commands and clicks are sent, and their acks timed, from a process of their own (as Slack
        // does): timing them here would add this process's own event-loop turns to every figure.
        sender = await startChild([import.meta.filename, '--sender', events, waveId], 'pipe');
        children.push(sender.child);
        if (PRIORITY !== undefined) os.setPriority(sender.child.pid!, PRIORITY);
      }
      const wave = waveId ? await journal.getWave(waveId) : undefined;
      if (wave && ['finished', 'aborted', 'budget-stopped'].includes(wave.state)) break;
      await sleep(500);
    }
    const acks = sender ? await stopSender(sender.child) : { commands: [], clicks: [] };
    const { commands: commandAcks, clicks: clickAcks } = acks;
    const cpu = { ...loop.cpu(), simProcessMs: childCpuMs(sim.child) - simCpuBefore, loadAverage1m: Math.round(os.loadavg()[0] * 100) / 100, cores: os.availableParallelism() };
    const eventLoop = loop.stop();
    const waveSeconds = (Date.now() - runAt) / 1000;
    log(`wave ${waveId} ended after ${waveSeconds.toFixed(1)} s; waiting for the final summary and the queued posts`);
    // What the bot still sends after the wave ended (the final summary's verify, export and uploads, queued posts):
    // the Web API calls between the wave's end and quiet, by method.
    const statsAt = async () => (await (await fetch(`http://127.0.0.1:${fakeProc.ready.port}/fake/stats`)).json()) as FakeSlackStats;
    const atEnd = await statsAt();
    await bot.idle();
    const drainedSeconds = (Date.now() - runAt) / 1000;
    const stats = await statsAt();
    const afterEnd = Object.fromEntries(Object.entries(stats.byMethod).map(([m, n]) => [m, n - (atEnd.byMethod[m] ?? 0)]).filter(([, n]) => Number(n) > 0));
    const wave = (await journal.getWave(waveId))!;
    const counts: Record<string, number> = {};
    const waveRuntimes = await journal.listWaveRuntimes(wave.waveId);
    for (const r of waveRuntimes) counts[r.result?.outcome ?? r.state] = (counts[r.result?.outcome ?? r.state] ?? 0) + 1;
    // The wave's thread (issue 21): every failure (platform or customer class) must be counted in a digest and be in the export.
    const threads = (await (await fetch(`http://127.0.0.1:${fakeProc.ready.port}/fake/threads`)).json()) as FakeSlackThreads;
    const parentRef = ((await journal.chatMessage('wave', wave.waveId)) ?? {}) as { ts?: string };
    const threadPosts = threads.posts.filter((p) => p.threadTs === parentRef.ts);
    const digests = threadPosts.filter((p) => / since the last digest /.test(p.text));
    const digestFailures = digests.reduce((n, p) => n + [...p.blocksText.matchAll(/^• `[a-z-]+` × (\d+):/gm)].reduce((m, x) => m + Number(x[1]), 0), 0);
    const failed = waveRuntimes.filter((r) => r.result?.class === 'platform' || r.result?.class === 'customer');
    const csv = threads.uploads.find((u) => u.includes(failed[0]?.runtimeId ?? wave.waveId)) ?? threads.uploads.at(-1) ?? '';
    const inExport = failed.filter((r) => csv.includes(r.runtimeId)).length;
    await bot.stop();
    await services.close();
    const rateLimited = Object.values(stats.rateLimited).reduce((a, b) => a + b, 0);
    const ack = (xs: number[]) => ({ n: xs.length, p50: percentile(xs, 50), p95: percentile(xs, 95), p99: percentile(xs, 99), max: Math.max(...xs) });
    const out = {
      bench: 'slack',
      runtimes,
      concurrency: CONCURRENCY,
      timeScale: TIME_SCALE,
      priority: PRIORITY ?? os.getPriority(),
      wave: { waveId: wave.waveId, state: wave.state, counts, wallSeconds: Math.round(waveSeconds * 10) / 10, untilSlackQuietSeconds: Math.round(drainedSeconds * 10) / 10, callsAfterWaveEnd: afterEnd },
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
      eventLoop,
      cpuDuringWave: cpu,
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
else if (process.argv[2] === '--sender') await senderMain(process.argv[3], process.argv[4]);
else {
  await main();
  process.exit(0);
}
