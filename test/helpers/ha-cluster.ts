/**
 * Two bot replicas on one PostgreSQL (docs/ha.md), as real child processes (`istio-migrate bot`, HTTP receiver,
 * the fake Slack Web API), running a Prod wave under a global error budget while the replica that runs it is killed
 * (SIGKILL) at seeded random points; after each kill a fresh replica joins, so there are always two. Shared by the HA
 * test (which asserts) and bench/ha.bench.ts (which prints the takeover times).
 *
 * Who runs the wave is read from the journal: the wave's lease holder is `<host>:<pid>:<runner>`, and the pid
 * names the replica to kill. The takeover time is from the kill to the moment another replica holds the wave's lease.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Journal } from '../../src/journal/journal.js';
import { openJournal } from '../../src/journal/open-journal.js';
import { seededRandom } from '../../src/targets/resolve.js';
import { postSigned, slashPayload, type FakeSlack } from './fake-slack.js';
import type { TestSim } from './sim.js';

/** The project root (where package.json names istio-migrate), from the source tree or from dist/. */
function projectRoot(): string {
  let dir = import.meta.dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'istio-migrate') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the istio-migrate project root');
    dir = up;
  }
}

const ROOT = projectRoot();
const BIN = path.join(ROOT, 'bin/istio-migrate.js');
export const HA_SECRET = 'ha-test-signing-secret';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Replica {
  child: ChildProcess;
  pid: number;
  log: () => string;
  /** The HTTP receiver's port once it listens. */
  port: () => Promise<number>;
  exited: Promise<void>;
}

export function startReplica(configFile: string, env: Record<string, string>): Replica {
  const child = spawn(process.execPath, [BIN, 'bot', '--config', configFile], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    pid: child.pid!,
    log: () => log,
    exited,
    async port() {
      for (let i = 0; i < 1200; i++) {
        const line = log.split('\n').find((l) => l.includes('listening for Slack'));
        if (line) return (JSON.parse(line) as { port: number }).port;
        if (done) break;
        await sleep(50);
      }
      throw new Error(`a replica did not start: ${log.slice(-2000)}`);
    },
  };
}

export const pidOf = (holder: string | undefined) => Number(/:(\d+)(?::[0-9a-f]+)?$/.exec(holder ?? '')?.[1] ?? NaN);

export interface HaTrialOptions {
  sim: TestSim;
  fake: FakeSlack;
  configFile: string;
  /** The journal the replicas use (same URL and schema), for reading who runs what. */
  pg: { url: string; schema: string };
  seed: number;
  kills: number;
  /** Runtimes finished before the last kill point (the kill points are spread over them). */
  spread: number;
  env: Record<string, string>;
  deadlineMs: number;
}

export interface HaTrialResult {
  waveId: string;
  /** One line per kill: when, at what progress, how long the takeover took. */
  kills: { finished: number; takeoverMs: number }[];
  state: string;
  journal: Journal;
}

/** Runs the trial; the caller closes `journal` and stops the replicas it got back. */
export async function haTrial(o: HaTrialOptions, replicas: Replica[]): Promise<HaTrialResult> {
  const journal = await openJournal({ kind: 'postgres', url: o.pg.url, schema: o.pg.schema });
  const rand = seededRandom(o.seed);
  const until = Date.now() + o.deadlineMs;
  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; replica logs:\n${replicas.map((r) => r.log().slice(-1500)).join('\n---\n')}`);
      await sleep(25);
    }
  };
  const live = (pid: number) => replicas.find((r) => r.pid === pid && r.child.exitCode === null && r.child.signalCode === null);
  // A leader among the live replicas, and the wave sent to the other one (which hands it over to the leader).
  const leaderPid = await waitFor('a leader', async () => {
    const l = await journal.getLease('leader:waves');
    return l && live(pidOf(l.holder)) && Date.parse(l.expiresAt) > Date.now() ? pidOf(l.holder) : undefined;
  });
  const other = replicas.find((r) => r.pid !== leaderPid)!;
  const res = await postSigned(`http://127.0.0.1:${await other.port()}/slack/events`, slashPayload('run prod all --yes --force', { user: 'U-SRE' }), HA_SECRET);
  if (res.status !== 200) throw new Error(`run was not accepted: ${res.status} ${res.body}`);
  const waveId = await waitFor('the wave', async () => (await journal.listWaves({ env: 'prod' }))[0]?.waveId);
  const finished = async () => (await journal.listWaveRuntimes(waveId)).filter((r) => r.state === 'finished').length;
  const ended = async () => ['finished', 'budget-stopped', 'aborted'].includes((await journal.getWave(waveId))!.state);
  const points = Array.from({ length: o.kills }, () => 1 + Math.floor(rand() * o.spread)).sort((a, b) => a - b);
  const kills: HaTrialResult['kills'] = [];
  for (const point of points) {
    await waitFor(`${point} runtimes finished`, async () => ((await finished()) >= point || (await ended()) ? true : undefined));
    if (await ended()) break;
    // The replica holding the wave's lease runs it: kill it where it stands (a little later than the point, seeded).
    await sleep(rand() * 300);
    const runner = await waitFor('the runner', async () => {
      const l = await journal.getLease(waveId);
      return l && live(pidOf(l.holder)) ? live(pidOf(l.holder)) : (await ended()) ? null : undefined;
    });
    if (!runner) break;
    const at = await finished();
    runner.child.kill('SIGKILL');
    const killedAt = Date.now();
    await runner.exited;
    replicas.push(startReplica(o.configFile, o.env));
    const takeover = await waitFor('another replica to take the wave over', async () => {
      const l = await journal.getLease(waveId);
      if (l && pidOf(l.holder) !== runner.pid && live(pidOf(l.holder))) return Date.now() - killedAt;
      return (await ended()) ? Date.now() - killedAt : undefined;
    });
    kills.push({ finished: at, takeoverMs: takeover });
  }
  const state = await waitFor('the wave to end', async () => ((await ended()) ? (await journal.getWave(waveId))!.state : undefined));
  return { waveId, kills, state, journal };
}

/** The replicas' environment: fast leases and scans, the fake Slack, the PostgreSQL URL. */
export function haEnv(fake: FakeSlack, pgUrlEnv: Record<string, string>, ttlMs = 1500): Record<string, string> {
  return {
    ...pgUrlEnv,
    SLACK_BOT_TOKEN: 'xoxb-ha-test',
    SLACK_SIGNING_SECRET: HA_SECRET,
    SLACK_API_URL: fake.apiUrl,
    PORT: '0',
    HEALTH_PORT: '0',
    ISTIO_MIGRATE_LEASE_TTL_MS: String(ttlMs),
    ISTIO_MIGRATE_LEADER_TTL_MS: String(ttlMs),
    ISTIO_MIGRATE_RESUME_SCAN_MS: String(Math.max(100, Math.floor(ttlMs / 5))),
    SHUTDOWN_TIMEOUT_MS: '5000',
  };
}
