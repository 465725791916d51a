/**
 * The bot against a migrate.sh-like script (issue 16): 60 migratable Stage runtimes (BENCH_PROFILE), a budget of 16 (the
 * blast radius of a script under `-P 16`), the bot's `run … --concurrency 16` path (the real runner with the budget
 * guard at Stage's α and the LM limiter) against a bash script under `xargs -P 16` — what `kcp taskrun -p 16` did.
 *
 * The script is this benchmark's own (SCRIPT below), written for it, with the steps of the original: check the Istio
 * ModuleTemplate, find the Kyma, read its modules (istio there: done), initialise and extend `spec.modules` with
 * kubectl, sleep a fixed 15 s, then every 5 s read the Istio CR's state and count the Istio CRs until Ready (at most
 * 100 times). Left out: taskrun's kubeconfig download per runtime (one HTTP request before the script starts). Its
 * sleeps are scaled by the simulator's time scale, like every delay of the simulator; kubectl's own start-up time is
 * not (it is real), so at small time scales it weighs more than it would on a real landscape — `kubectlCallMs` and
 * the script's own per-runtime times (`meanPrePatchMs`, `meanPatchToReadySeenMs`, next to the bot's LM latency) are
 * printed to judge that; BENCH_TIME_SCALE=1 gives the real proportions (about 3 minutes for `existing-default`, 13 for `fresh`).
 *
 * Goals, reported: the bot keeps 16 in flight, and takes ≤ 0.7 × the script's time. Run: `npm run build && npm run
 * bench:script` (needs kubectl and xargs). BENCH_TIME_SCALE (default 0.1), BENCH_PROFILE (below). Noisy on a shared machine.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { benchLandscape, benchWave, meanByTenth, percentile } from './harness.js';

const TIME_SCALE = Number(process.env.BENCH_TIME_SCALE ?? 0.1);
/**
 * BENCH_PROFILE: the runtimes' scenario. `existing-default` (default): the common case of the rollout (DESIGN.md
 * C2), the old reconciler's Istio with its `default` CR, which LM takes over in about 11 s. `fresh`: no Istio yet,
 * LM installs it (about a minute).
 */
const PROFILE = process.env.BENCH_PROFILE ?? 'existing-default';
const RUNTIMES = 60;
const PARALLEL = 16;

const SCRIPT = `#!/usr/bin/env bash
# Written for bench:script: the steps of a taskrun migration script (template check, Kyma discovery, idempotency,
# patch, fixed sleep, polls of the CR's state and the CR count), not its text. Prints its own timestamps (ms).
set -u
kc="$1"; first="$2"; poll="$3"; cache="$4"
now() { date +%s%3N; }
t0=$(now)
k() { kubectl --kubeconfig "$kc" --cache-dir "$cache" --request-timeout=30s "$@"; }
kinds=$(k get moduletemplates.operator.kyma-project.io -A -o jsonpath='{.items[*].spec.data.kind}') || { echo "rc=1"; exit 1; }
case " $kinds " in *" Istio "*) ;; *) echo "rc=1 template missing"; exit 1 ;; esac
name=$(k -n kyma-system get kymas.operator.kyma-project.io -o custom-columns=:metadata.name --no-headers) || { echo "rc=1"; exit 1; }
modules=$(k -n kyma-system get kymas.operator.kyma-project.io "$name" -o jsonpath='{.spec.modules}') || { echo "rc=1"; exit 1; }
case "$modules" in *'"istio"'*) echo "rc=0 already"; exit 0 ;; esac
if [ -z "$modules" ] || [ "$modules" = "null" ]; then
  k -n kyma-system patch kymas.operator.kyma-project.io "$name" --type json -p '[{"op":"add","path":"/spec/modules","value":[]}]' >/dev/null || { echo "rc=1"; exit 1; }
fi
k -n kyma-system patch kymas.operator.kyma-project.io "$name" --type json -p '[{"op":"add","path":"/spec/modules/-","value":{"name":"istio"}}]' >/dev/null || { echo "rc=1"; exit 1; }
tp=$(now)
sleep "$first"
for _ in $(seq 1 100); do
  state=$(k -n kyma-system get istios.operator.kyma-project.io default -o jsonpath='{.status.state}' 2>/dev/null)
  count=$(k -n kyma-system get istios.operator.kyma-project.io --no-headers 2>/dev/null | wc -l) || { echo "rc=1"; exit 1; }
  if [ "$state" = "Ready" ]; then echo "rc=0 t=$t0,$tp,$(now)"; exit 0; fi
  if [ "$state" = "Error" ] && [ "$count" -gt 1 ]; then echo "rc=1 multiple"; exit 1; fi
  sleep "$poll"
done
echo "rc=2"
exit 2
`;

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

interface ScriptRun {
  wallMs: number;
  exit: number | null;
  rcs: Record<string, number>;
  /** Per migrated runtime, from the script's own timestamps: start → patched, patched → Ready seen, start → end. */
  perRuntime: { prePatchMs: number; patchToReadySeenMs: number; totalMs: number }[];
  inFlightByTenth: number[];
}

async function runScript(kubeconfigs: string[], dir: string): Promise<ScriptRun> {
  const script = path.join(dir, 'migrate-like.sh');
  writeFileSync(script, SCRIPT, { mode: 0o700 });
  const cache = path.join(dir, 'kube-cache');
  const t0 = performance.now();
  const epoch0 = Date.now();
  const child = spawn('xargs', ['-P', String(PARALLEL), '-I{}', 'bash', script, '{}', String(15 * TIME_SCALE), String(5 * TIME_SCALE), cache], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin.end(`${kubeconfigs.join('\n')}\n`);
  const exit = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const wallMs = performance.now() - t0;
  const rcs: Record<string, number> = {};
  for (const m of out.matchAll(/rc=(\d)/g)) rcs[m[1]] = (rcs[m[1]] ?? 0) + 1;
  const spans = [...out.matchAll(/t=(\d+),(\d+),(\d+)/g)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])]);
  const changes = spans.flatMap(([a, , c]) => [[a, 1] as const, [c, -1] as const]).sort((x, y) => x[0] - y[0]);
  let n = 0;
  const steps = changes.map(([t, d]) => [t, (n += d)] as [number, number]);
  return {
    wallMs,
    exit,
    rcs,
    perRuntime: spans.map(([a, b, c]) => ({ prePatchMs: b - a, patchToReadySeenMs: c - b, totalMs: c - a })),
    inFlightByTenth: meanByTenth(steps, epoch0, epoch0 + wallMs),
  };
}

const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'istio-migrate-bench-script-'));
  // Stage is 30 %: 2 × 60 Stage runtimes (one set each), plus a few to time one kubectl call.
  const l = await benchLandscape({ profile: PROFILE, runtimes: Math.ceil((2 * RUNTIMES + 5) / 0.3), timeScale: TIME_SCALE, budget: 16 });
  try {
    const stage = l.runtimes.filter((r) => r.env === 'stage' && r.kubeconfig);
    const forBot = stage.slice(0, RUNTIMES);
    const forScript = stage.slice(RUNTIMES, 2 * RUNTIMES);
    const probe = stage[2 * RUNTIMES];
    const t0 = performance.now();
    await promisify(execFile)('kubectl', ['--kubeconfig', probe.kubeconfig!, '--cache-dir', path.join(dir, 'kube-cache'), '-n', 'kyma-system', 'get', 'kymas.operator.kyma-project.io', 'default', '-o', 'name']);
    const kubectlCallMs = Math.round(performance.now() - t0);

    const script = process.env.BENCH_SKIP_SCRIPT === '1' ? { wallMs: NaN, exit: null, rcs: {}, perRuntime: [], inFlightByTenth: [] } : await runScript(forScript.map((r) => r.kubeconfig!), dir);
    process.stderr.write(`script-bench: script ${Math.round(script.wallMs)} ms\n`);
    const bot = await benchWave(l, 'stage', forBot, PARALLEL, await l.services.guardDeps('stage', 'none'));
    process.stderr.write(`script-bench: bot ${Math.round(bot.wallMs)} ms\n`);
    const ratio = bot.wallMs / script.wallMs;
    process.stdout.write(
      `${JSON.stringify({
        bench: 'script',
        profile: PROFILE,
        runtimes: RUNTIMES,
        parallel: PARALLEL,
        budget: l.services.budget('stage', RUNTIMES),
        alpha: l.services.alpha('stage'),
        timeScale: TIME_SCALE,
        kubectlCallMs,
        script: {
          wallMs: Math.round(script.wallMs),
          xargsExit: script.exit,
          exitCodes: script.rcs,
          sleepFirstS: 15 * TIME_SCALE,
          pollS: 5 * TIME_SCALE,
          meanInFlight: round(script.perRuntime.reduce((a, r) => a + r.totalMs, 0) / script.wallMs, 1),
          inFlightByTenth: script.inFlightByTenth,
          meanRuntimeMs: mean(script.perRuntime.map((r) => r.totalMs)),
          meanPrePatchMs: mean(script.perRuntime.map((r) => r.prePatchMs)),
          meanPatchToReadySeenMs: mean(script.perRuntime.map((r) => r.patchToReadySeenMs)),
          p95PatchToReadySeenMs: Math.round(percentile(script.perRuntime.map((r) => r.patchToReadySeenMs), 95)),
        },
        bot: {
          wallMs: Math.round(bot.wallMs),
          state: bot.state,
          maxInFlight: bot.maxInFlight,
          meanInFlight: round(bot.meanInFlight, 1),
          inFlightByTenth: bot.inFlightByTenth,
          meanRuntimeMs: Math.round(bot.meanRuntimeMs),
          meanPatchToReadyMs: mean(bot.latenciesMs),
          p95PatchToReadyMs: Math.round(percentile(bot.latenciesMs, 95)),
          limitCauses: bot.causes,
          outcomes: bot.outcomes,
        },
        ratio: round(ratio),
        goals: { keeps16InFlight: bot.maxInFlight === PARALLEL, ratioLe07: ratio <= 0.7 },
      })}\n`,
    );
  } finally {
    await l.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
