/**
 * Starting a plan's wave from Slack (the Run button, an approved request): `run --plan HASH --yes` as the user, in
 * the background so that no handler (and no ack) waits for the wave. The wave's parent message and thread (the
 * reporter) tell how it goes; only a refusal is told, to the one who asked. Limitation: the guard against two
 * clicks starting one plan at once is per process; across replicas the journal's one wave per plan hash holds.
 */
import type { CommandResult } from '../../../commands/index.js';
import type { WaveEvent } from '../../rollout/wave-runner.js';
import { inlineCode } from '../message.js';
import { planRanText, problemReply } from '../replies.js';
import { waveOfPlan } from '../../rollout/plan-runs.js';
import type { SlackContext } from './context.js';

export interface StartRun {
  hash: string;
  user: string;
  channel: string;
  /** The run's arguments (default `--plan HASH --yes`; an approved forced run adds `--force`). */
  argv?: string[];
  onStarted?: (waveId: string) => Promise<void>;
  /**
   * An approved request's run: on-call approved running the plan again as a new wave (the approval, used up as the
   * wave is created, is what keeps it to one), so a wave the plan already had does not refuse it, as a Run click's
   * second wave would be.
   */
  approved?: boolean;
  /** Told the refusal (exit 1 or 2) besides the user: an approved run's thread, where the approval was announced. */
  onRefused?: (text: string) => Promise<void>;
}

/** Starts a plan's wave as `o.user`; a reason (to tell the user) when it does not. */
export type StartWave = (o: StartRun) => Promise<string | undefined>;

export function waveStarter(ctx: SlackContext): StartWave {
  const { services, poster, reporter } = ctx;
  const startingPlans = new Set<string>();
  return async (o) => {
    const j = await services.journal();
    const plan = await j.getPlan(o.hash);
    const short = inlineCode(o.hash.slice(0, 12));
    if (!plan) return `no stored plan ${short}: plan again (e.g. ${inlineCode('/istio-migrate stage kyma-test')})`;
    if (startingPlans.has(plan.hash)) return `plan ${short} is already starting`;
    // Claimed before the next await: a second click arriving meanwhile hears "already starting", not the one-wave-
    // per-environment refusal of a run that raced this one.
    startingPlans.add(plan.hash);
    let ran: Awaited<ReturnType<typeof waveOfPlan>>;
    try {
      ran = o.approved ? undefined : await waveOfPlan(j, plan);
    } catch (e) {
      startingPlans.delete(plan.hash);
      throw e;
    }
    if (ran) {
      startingPlans.delete(plan.hash);
      return planRanText(plan.hash, ran);
    }
    reporter.expectWave(o.user, o.channel);
    const onEvent = (e: WaveEvent) => {
      if (e.type !== 'wave-started' || e.start !== 'new' || !o.onStarted) return;
      ctx.track(
        (async () => {
          const wave = await j.getWave(e.waveId);
          if (wave?.planHash === plan.hash) await o.onStarted!(e.waveId);
        })(),
      );
    };
    services.events.on('event', onEvent);
    ctx.track(
      (async () => {
        let result: CommandResult;
        try {
          result = await ctx.dispatchAs(o.user, 'run', o.argv ?? ['--plan', plan.hash, '--yes']);
        } catch (e) {
          result = { exitCode: 1, text: `failed: ${(e as Error).message}`, json: null };
        } finally {
          services.events.off('event', onEvent);
          startingPlans.delete(plan.hash);
        }
        if (result.exitCode === 1 || result.exitCode === 2) {
          await poster.ephemeral(o.channel, o.user, problemReply(`run ${(o.argv ?? ['--plan', o.hash.slice(0, 12)]).join(' ')}`, result.text));
          await o.onRefused?.(result.text);
        }
      })(),
    );
    return undefined;
  };
}
