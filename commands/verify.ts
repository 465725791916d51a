import { leftoverOf } from '../src/rollout/runbook.js';
import { verifyEnv } from '../src/rollout/verify.js';
import { waveCounts } from '../src/rollout/wave-status.js';
import { count } from '../src/text/words.js';
import { envArg, intOption } from './shared.js';
import { CommandError, ok, type CommandSpec } from './types.js';

export const verify: CommandSpec = {
  name: 'verify',
  summary: "the doc's checks: istio Manifests per state, runtimes vs Manifests, the non-Ready list, Istio CRs on a sample",
  usage: 'verify <env> [target…] [--wave WAVE] [--sample N] [--json]',
  examples: ['verify stage kyma-test', 'verify prod', 'verify stage --wave stage-20261207-1', 'verify stage canary --sample 10'],
  permission: 'read',
  mutates: false,
  journal: 'existing',
  options: { wave: { type: 'string' }, sample: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx, args) {
    const env = envArg(args.positionals[0], verify);
    // At least one SKR: a verify that looked at no Istio CR would pass every wave on the Manifests alone.
    const sampleSize = intOption(args.values.sample, '--sample', verify) ?? 5;
    const journal = await ctx.services.journal();
    // --wave: exactly the wave's runtimes (a `--sample` or `--exclude` wave is not its whole target).
    const waveId = args.values.wave as string | undefined;
    let scope: { runtimeIds: Set<string>; label: string } | undefined;
    if (waveId !== undefined) {
      const w = await journal.getWave(waveId);
      if (!w) throw new CommandError(`no wave ${waveId} (see status), e.g. verify ${env} --wave ${env}-20261207-1`, 1);
      if (w.env !== env) throw new CommandError(`wave ${waveId} is a ${w.env} wave, not ${env}: verify ${w.env} --wave ${waveId}`, 1);
      scope = { runtimeIds: new Set((await journal.listWaveRuntimes(waveId)).map((r) => r.runtimeId)), label: `wave ${waveId}` };
    }
    const report = await verifyEnv(ctx.services, env, args.positionals.slice(1), sampleSize, scope);
    // A finished wave of this environment counts as verified when nothing of it is left (none never started — a
    // drained wave —, none unfinished, no platform failure: runbook.ts leftoverOf), every runtime it reported as
    // migrated (or already migrated) has a Ready Manifest, and the sampled Istio CRs are Ready (the runbook reads
    // this). Only waves this check covers are marked: the wave's target is the verified one, or every runtime the
    // wave did not skip was among those checked (so `verify stage kyma-test` never marks the Canary wave).
    const bad = new Set([...report.missing, ...report.nonReady.map((n) => n.runtimeId)]);
    const checked = new Set(report.runtimeIds);
    const notReadySample = report.sample.filter((s) => s.istio !== 'Ready').length;
    const marked: string[] = [];
    for (const w of await journal.listWaves({ env, states: ['finished'] })) {
      const rts = await journal.listWaveRuntimes(w.waveId);
      const judged = rts.filter((r) => r.result?.outcome !== 'skipped');
      const covered = w.waveId === waveId || w.target === report.target || (judged.length > 0 && judged.every((r) => checked.has(r.runtimeId)));
      if (!covered) continue;
      const good = rts.filter((r) => r.result && ['migrated', 'already-migrated'].includes(r.result.outcome));
      const unhealthy = good.filter((r) => bad.has(r.runtimeId)).length;
      const why = [
        leftoverOf(w, (await waveCounts(journal, w.waveId)).counts),
        unhealthy ? `${count(unhealthy, 'migrated runtime')} without a Ready Manifest` : null,
        notReadySample ? `${count(notReadySample, 'sampled Istio CR')} not Ready` : null,
      ].filter((x): x is string => x !== null);
      const verdict = why.length ? 'failed' : 'ok';
      await journal.setWaveVerdict(w.waveId, verdict);
      marked.push(`${w.waveId}=${verdict}${why.length ? ` (${why.join(', ')})` : ''}`);
    }
    await journal.audit({ actor: ctx.user, action: 'verify', subject: env, detail: { ok: report.ok, manifests: report.manifests, missing: report.missing.length, nonReady: report.nonReady.length } });
    const states = Object.entries(report.manifests.byState).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
    const text = [
      `verify ${env} (${report.target}): ${report.ok ? 'OK' : 'ATTENTION'}`,
      `  runtimes ${report.runtimes}, istio Manifests ${report.manifests.total} (${states})`,
      `  without a Manifest: ${report.missing.length}${report.missing.length ? ` — ${report.missing.slice(0, 10).join(' ')}${report.missing.length > 10 ? ' …' : ''}` : ''}`,
      `  not Ready: ${report.nonReady.length}${report.nonReady.length ? `\n${report.nonReady.slice(0, 20).map((n) => `    ${n.manifest} ${n.state}`).join('\n')}` : ''}`,
      `  Istio CR on a sample of SKRs: ${report.sample.map((s) => `${s.runtimeId.slice(0, 8)} ${s.istio}`).join(', ') || 'none'}`,
      // A wave's verdict is about the runtimes it migrated; the ATTENTION above is about the whole target.
      ...(marked.length ? [`  waves (the runtimes each migrated): ${marked.join(', ')}`] : []),
    ].join('\n');
    return ok(text, report);
  },
};
