/**
 * Platform-neutral chat messages: what the bot says, independent of Slack or the terminal. Adapters render them
 * (slack/blocks.ts → Block Kit, console/text.ts → plain text) and never add meaning of their own (STYLE.md §2).
 *
 * Markdown is Slack's mrkdwn subset: `*bold*`, `_italic_`, `` `code` ``, ``` fenced blocks ```, and user
 * mentions `<@U123>` (made with `mention`). Text that comes from elsewhere (command output, user input) goes
 * through `plain` or `codeBlock`, which escape `&`, `<` and `>` as Slack requires; the console undoes that.
 */

/** A confirmation dialog shown before a button's action is sent. */
export interface ChatConfirm {
  title: string;
  text: string;
  confirm: string;
  deny: string;
}

/**
 * A button. `actionId` names what it does (`im:run:<planHash>`); buttons carry ids, not state: the handler
 * re-reads the journal and re-checks the clicker (DESIGN.md §7).
 */
export interface ChatButton {
  actionId: string;
  label: string;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: ChatConfirm;
}

export type ChatBlock =
  | { type: 'header'; text: string }
  | { type: 'section'; markdown: string; fields?: string[] }
  | { type: 'context'; elements: string[] }
  | { type: 'divider' }
  | { type: 'actions'; buttons: ChatButton[] };

export interface ChatMessage {
  /** The plain fallback (notifications, screen readers); also what the console prints when there are no blocks. */
  text: string;
  blocks: ChatBlock[];
}

/** Escapes text for mrkdwn (Slack needs `&`, `<`, `>` escaped; everything else is literal). */
export function plain(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The inverse of `plain`, for renderers that show raw text. */
export function unescapeMarkdown(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Text shown verbatim in a fenced block (escaped; a fence inside the text is broken up so it cannot close the block). */
export function codeBlock(text: string): string {
  return '```' + plain(text.replace(/```/g, '`\u200b``')) + '```';
}

/** Inline code (escaped; backticks inside become quotes). */
export function inlineCode(text: string): string {
  return '`' + plain(text.replace(/`/g, "'")) + '`';
}

/** A user mention: `<@U123>` in Slack, `@U123` in the console. */
export function mention(userId: string): string {
  return `<@${userId.replace(/[<>|]/g, '')}>`;
}

/** Every button of a message, in order (the console numbers them 1…n; `/click N` presses one). */
export function buttonsOf(msg: ChatMessage): ChatButton[] {
  return msg.blocks.flatMap((b) => (b.type === 'actions' ? b.buttons : []));
}
