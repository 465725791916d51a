/**
 * The interactive console's "Proceed? [y/N]" (a person at a terminal; scripts keep needing `--yes`, C7): a command
 * that changes clusters, given without `--yes`, is answered with a message saying what would happen and Proceed /
 * Cancel buttons. A `run` from a target is planned first and Proceed runs exactly that plan (`run --plan HASH`),
 * so what runs is what was shown. Whoever may not run it is told so at once, never asked.
 */
import { askAhead, dispatch, type CommandContext } from '../../../commands/index.js';
import { waveStatus } from '../../rollout/wave-status.js';
import { codeBlock, inlineCode, type ChatMessage } from '../message.js';
import { isPlanDocument, problemReply, refusalReply } from '../replies.js';

/** Proceed / Cancel of a confirmation asked in an interactive console; the value is the pending command's number. */
export const CONFIRM_ACTION = { proceed: 'im:confirm:proceed:', cancel: 'im:confirm:cancel:' } as const;

/** Commands that drive a wave in this process until it ends: the console runs them in the background. */
export const WAVE_DRIVERS = new Set(['run', 'resume', 'retry-failed']);

/** What an interactive console asks about before running: the commands that change clusters. */
export function needsConfirmation(name: string, argv: string[]): boolean {
  if (argv.includes('--yes') || argv.includes('--json')) return false;
  if (name === 'task') return argv[1] === 'rename';
  return WAVE_DRIVERS.has(name);
}

/** A command waiting for Proceed / Cancel. */
export interface PendingConfirm {
  shown: string;
  name: string;
  argv: string[];
}

export type Question =
  /** Refused or not runnable: told at once (a failed input). */
  | { problem: ChatMessage }
  /** The question (its buttons carry `id`), what Proceed runs, and the plan shown for it (a `run` from a target). */
  | { question: ChatMessage; pending: PendingConfirm; planHash?: string };

/** The question for `shown` (`name argv`), as `ctx.user`; `id` numbers its answer buttons. */
export async function proceedQuestion(ctx: CommandContext, shown: string, name: string, argv: string[], id: string): Promise<Question> {
  // Who may run it first (the dispatcher's rule): never ask someone whose Proceed would be refused anyway.
  const asked = await askAhead(ctx, name, argv);
  // An argument error: the dispatcher's answer (usage and an example) without asking anything.
  if (asked.kind === 'bad-args') return { problem: problemReply(shown, (await dispatch(ctx, name, argv)).text) };
  if (asked.kind === 'denied') return { problem: refusalReply(shown, asked.reason) };
  let what = `${inlineCode(shown)} changes clusters`;
  let pending: PendingConfirm = { shown, name, argv };
  let planHash: string | undefined;
  const journal = await ctx.services.journal();
  if (name === 'run' && !argv.includes('--plan')) {
    const runOnly = new Set(['--force', '--yes']);
    const planned = await dispatch(ctx, 'plan', argv.filter((a) => !runOnly.has(a)));
    if (planned.exitCode !== 0 || !isPlanDocument(planned.json)) return { problem: problemReply(shown, planned.text) };
    const doc = planned.json;
    planHash = doc.hash;
    pending = { shown, name: 'run', argv: ['--plan', doc.hash, ...(argv.includes('--force') ? ['--force'] : [])] };
    what = `${inlineCode(shown)} migrates ${doc.runtimes.length} runtimes of ${doc.env} as a new wave:\n${codeBlock(planned.text)}`;
  } else if (name === 'run') {
    const plan = await journal.getPlan(String(argv[argv.indexOf('--plan') + 1] ?? ''));
    if (plan) what = `${inlineCode(shown)} runs plan ${inlineCode(plan.hash.slice(0, 12))} (${plan.env}, ${plan.target}) as a new wave`;
  } else if (name === 'resume' || name === 'retry-failed') {
    const wave = argv[0] ? await journal.getWave(argv[0]) : undefined;
    if (wave) {
      const s = await waveStatus(journal, wave);
      const counts = Object.entries(s.counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
      what = `${inlineCode(shown)} runs ${name === 'resume' ? 'the unfinished runtimes' : 'the runtimes that failed on the platform side'} of ${inlineCode(s.waveId)} here (${s.state}: ${counts || 'no runtimes'})`;
    }
  } else if (name === 'task') {
    what = `${inlineCode(shown)} runs the safe rename-to-default on the task's runtime (the customer's Istio CR becomes ${inlineCode('default')})`;
  }
  const question: ChatMessage = {
    text: `${shown}: proceed?`,
    blocks: [
      { type: 'section', markdown: `${what}\nProceed? (${inlineCode('/click Proceed')} or ${inlineCode('/click Cancel')}; ${inlineCode('--yes')} skips this question)` },
      {
        type: 'actions',
        buttons: [
          { actionId: `${CONFIRM_ACTION.proceed}${id}`, label: 'Proceed', value: id, style: 'primary' },
          { actionId: `${CONFIRM_ACTION.cancel}${id}`, label: 'Cancel', value: id },
        ],
      },
    ],
  };
  return { question, pending, planHash };
}
