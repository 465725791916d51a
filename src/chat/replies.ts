/**
 * The bot's replies as platform-neutral messages (message.ts): command results, problems, help, the plan with
 * its buttons. Rendering only: what the text says comes from the command (commands/), never from here.
 */
import type { ChatBlock, ChatButton, ChatMessage } from './message.js';
import { codeBlock, inlineCode, mention, plain } from './message.js';
import { count } from '../text/words.js';

/** Command output longer than this many sections of ~2,900 characters is cut (Slack rejects ~13 k of blocks). */
const MAX_OUTPUT_SECTIONS = 4;
const SECTION_CHARS = 2900;

/** Text as fenced sections of at most ~2,900 characters, cut at line boundaries, with a note when cut. */
export function outputSections(text: string): ChatBlock[] {
  const lines = text.split('\n');
  const chunks: string[][] = [[]];
  let size = 0;
  let i = 0;
  for (; i < lines.length; i++) {
    const len = plain(lines[i]).length + 1;
    if (size + len > SECTION_CHARS && chunks[chunks.length - 1].length) {
      if (chunks.length === MAX_OUTPUT_SECTIONS) break;
      chunks.push([]);
      size = 0;
    }
    chunks[chunks.length - 1].push(lines[i]);
    size += len;
  }
  const blocks: ChatBlock[] = chunks.map((c) => ({ type: 'section', markdown: codeBlock(c.join('\n') || ' ') }));
  if (i < lines.length) blocks.push({ type: 'context', elements: [`… (${lines.length - i} more lines, see \`status\`/export)`] });
  return blocks;
}

/** The command as the caller wrote it, cut for echoing; a console directive (`/click 1`) is no slash command. */
function echo(commandLine: string): string {
  const line = (commandLine.startsWith('/') ? commandLine : `/istio-migrate ${commandLine}`).trim();
  return inlineCode(line.length > 120 ? `${line.slice(0, 119)}…` : line);
}

/** A command's first line as a notification's fallback: its text is escaped, as everything from a command is. */
function firstLine(text: string): string {
  return plain(text.split('\n', 1)[0].slice(0, 300));
}

/** A command's answer, shown to the channel: its output and who asked. */
export function commandReply(commandLine: string, user: string, text: string): ChatMessage {
  return {
    text: firstLine(text),
    blocks: [...outputSections(text), { type: 'context', elements: [`${echo(commandLine)} by ${mention(user)}`] }],
  };
}

/** A refusal or usage error, for the caller only. `text` already says what was wrong and gives an example. */
export function problemReply(commandLine: string, text: string): ChatMessage {
  return {
    text: `:warning: ${firstLine(text)}`,
    blocks: [
      { type: 'section', markdown: `:warning: ${echo(commandLine)} was not run` },
      ...outputSections(text),
    ],
  };
}

/** A refusal by chat itself (permissions), for the caller only; `markdown` may mention people. */
export function refusalReply(commandLine: string, markdown: string): ChatMessage {
  return {
    text: `:no_entry: ${markdown.split('\n', 1)[0]}`,
    blocks: [{ type: 'section', markdown: `:no_entry: ${echo(commandLine)} was not run: ${markdown}` }],
  };
}

/** A short note for one person (e.g. "already running as stage-20261125-1"). */
export function noteReply(markdown: string): ChatMessage {
  return { text: markdown, blocks: [{ type: 'section', markdown }] };
}

/** The generated command list (from the specs' `help`), with the shorthand explained. */
export function helpReply(helpText: string): ChatMessage {
  return {
    text: 'istio-migrate commands',
    blocks: [
      { type: 'header', text: 'istio-migrate commands' },
      ...outputSections(helpText),
      {
        type: 'context',
        elements: [
          `${inlineCode('/istio-migrate <env> <target>')} plans a wave and offers Run (e.g. ${inlineCode('/istio-migrate stage kyma-test')}); ${inlineCode('/istio-migrate help <command>')} for one command`,
        ],
      },
    ],
  };
}

export interface PlanSummary {
  hash: string;
  env: string;
  target: string;
  runtimes: number;
}

export const ACTION = {
  run: 'im:run:',
  cancel: 'im:cancel',
  requestApproval: 'im:request-approval:',
} as const;

/**
 * The plan with its buttons: Run and Cancel, or — where the environment needs an approval — Request approval
 * and Cancel. Buttons carry the plan hash only; the click handler re-checks everything.
 */
export function planMessage(plan: PlanSummary, text: string, user: string, approvalRequired: boolean): ChatMessage {
  const short = plan.hash.slice(0, 12);
  const buttons: ChatButton[] = [];
  if (plan.runtimes > 0) {
    buttons.push(
      approvalRequired
        ? { actionId: `${ACTION.requestApproval}${plan.hash}`, label: 'Request approval', value: plan.hash, style: 'primary' }
        : {
            actionId: `${ACTION.run}${plan.hash}`,
            label: 'Run',
            value: plan.hash,
            style: 'primary',
            confirm: { title: `Run plan ${short}?`, text: `Migrate ${count(plan.runtimes, 'runtime')} in ${plan.env} (${plan.target}).`, confirm: 'Run', deny: 'Not yet' },
          },
    );
  }
  buttons.push({ actionId: ACTION.cancel, label: 'Cancel', value: plan.hash });
  return {
    text: `Plan ${short} — ${plan.env}, ${plan.target}: ${count(plan.runtimes, 'runtime')}`,
    blocks: [
      { type: 'header', text: `Plan ${short} — ${plan.env}, ${plan.target}` },
      ...outputSections(text),
      { type: 'context', elements: [`planned by ${mention(user)}${approvalRequired ? ` · ${plan.env} needs an on-call approval of this plan hash` : ''}`] },
      { type: 'actions', buttons },
    ],
  };
}

/** Whether a command's JSON is a plan document (what `plan` answers), to show it as the plan message. */
export function isPlanDocument(j: unknown): j is { hash: string; env: string; target: string; title?: string; runtimes: unknown[] } {
  const d = j as { hash?: unknown; env?: unknown; target?: unknown; runtimes?: unknown };
  return !!d && typeof d.hash === 'string' && typeof d.env === 'string' && typeof d.target === 'string' && Array.isArray(d.runtimes);
}

/** Why a plan's button does nothing: the plan already started a wave (`waveOfPlan`). */
export function planRanText(hash: string, ran: { wave: { waveId: string; state: string }; active: boolean }): string {
  const w = inlineCode(ran.wave.waveId);
  const plan = `plan ${inlineCode(hash.slice(0, 12))}`;
  // Planning again gives the same hash while the landscape is the same: say how to run it again, and how to carry on.
  return ran.active
    ? `${plan} already started ${w}, still ${ran.wave.state}`
    : `${plan} already ran as ${w} (${ran.wave.state}): carry that wave on (${inlineCode(`/istio-migrate retry-failed ${ran.wave.waveId}`)}, ${inlineCode(`/istio-migrate resume ${ran.wave.waveId}`)}), or run the plan again as a new wave with ${inlineCode(`/istio-migrate run --plan ${hash.slice(0, 12)} --yes`)}`;
}
