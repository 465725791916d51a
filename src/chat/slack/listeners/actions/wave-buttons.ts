/**
 * Pause / Drain / Abort / Resume on a wave's parent message: the control commands as the clicker. Resume drives the
 * wave here until it ends (in the background); a Resume refused for want of an approval (an aborted wave in Prod)
 * asks on-call instead of only saying no.
 */
import type { EnvName } from '../../../../config/config.js';
import { inlineCode } from '../../../message.js';
import { problemReply } from '../../../replies.js';
import { WAVE_ACTION } from '../../../wave-message.js';
import type { SlackApprovals } from '../../approvals.js';
import type { ButtonHandler, SlackContext } from '../../context.js';

export function waveButtons(actions: Map<string, ButtonHandler>, ctx: SlackContext, approvals: SlackApprovals): void {
  for (const [kind, prefix] of Object.entries(WAVE_ACTION) as [keyof typeof WAVE_ACTION, string][]) {
    actions.set(prefix, async (click) => {
      const waveId = click.value;
      const wave = await (await ctx.services.journal()).getWave(waveId);
      if (!wave) return ctx.tell(click.channel, click.user, `no wave ${inlineCode(waveId)}`);
      const argv = kind === 'resume' ? [waveId, '--yes'] : [waveId];
      const why = await ctx.refusal(kind, argv, click.user, [wave.env as EnvName]);
      if (why) return ctx.tell(click.channel, click.user, why);
      if (kind === 'resume') ctx.reporter.expectWave(click.user, click.channel);
      const work = (async () => {
        const res = await ctx.dispatchAs(click.user, kind, argv);
        if (res.approvalNeeded) await approvals.ask(res.approvalNeeded, { user: click.user, channel: click.channel, commandLine: `${kind} ${waveId}`, problem: res.text });
        else if (res.exitCode === 1 || res.exitCode === 2) await ctx.poster.ephemeral(click.channel, click.user, problemReply(`${kind} ${waveId}`, res.text));
      })();
      if (kind === 'resume') ctx.track(work);
      else await work;
    });
  }
}
