/**
 * Renders platform-neutral messages as plain terminal text: the console adapter's output and the deterministic
 * form tests compare (C7). Buttons become numbered choices `[1] Run  [2] Cancel`, numbered across the message
 * in order (the same order as `buttonsOf`), so `/click 1` or `/click Run` can press them.
 */
import { buttonsOf, unescapeMarkdown, type ChatMessage } from '../message.js';

/** The Slack emoji the bot's messages use, as a terminal shows them. */
const EMOJI: Readonly<Record<string, string>> = {
  warning: '⚠',
  no_entry: '⛔',
  white_check_mark: '✔',
  x: '✘',
  arrow_forward: '▶',
  double_vertical_bar: '⏸',
  octagonal_sign: '■',
  repeat: '↻',
  hourglass_flowing_sand: '⏳',
  raising_hand: '✋',
  hammer_and_wrench: '⚒',
  busts_in_silhouette: '👥',
};

/** Emoji codes outside code blocks (command output is shown as it is). */
function emojiToText(md: string): string {
  return md
    .split('```')
    .map((part, i) => (i % 2 ? part : part.replace(/:([a-z_]+):/g, (code, name: string) => EMOJI[name] ?? code)))
    .join('```');
}

/** mrkdwn to terminal text: fences dropped, mentions as @user, Slack's emoji codes as characters, escapes undone. */
export function markdownToText(md: string): string {
  return unescapeMarkdown(
    emojiToText(md)
      .replace(/```\n?/g, '')
      .replace(/<@([A-Za-z0-9._-]+)>/g, '@$1')
      .replace(/<!subteam\^([A-Za-z0-9]+)(\|[^>]*)?>/g, '@$1')
      .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)'),
  );
}

export function renderText(msg: ChatMessage): string {
  if (!msg.blocks.length) return markdownToText(msg.text);
  const out: string[] = [];
  let n = 0;
  for (const b of msg.blocks) {
    switch (b.type) {
      case 'header':
        out.push(`== ${b.text} ==`);
        break;
      case 'section':
        out.push(markdownToText(b.markdown));
        for (const f of b.fields ?? []) out.push(`  ${markdownToText(f)}`);
        break;
      case 'context':
        out.push(b.elements.map(markdownToText).join('  ·  '));
        break;
      case 'divider':
        out.push('---');
        break;
      case 'actions':
        out.push(b.buttons.map((btn) => `[${++n}] ${btn.label}`).join('  '));
        break;
    }
  }
  return out.join('\n');
}

/** The button a console `/click` names: its number (1-based) or its label (case-insensitive). */
export function findChoice(msg: ChatMessage, choice: string) {
  const buttons = buttonsOf(msg);
  const i = /^\d+$/.test(choice.trim()) ? Number(choice) - 1 : buttons.findIndex((b) => b.label.toLowerCase() === choice.trim().toLowerCase());
  return buttons[i];
}
