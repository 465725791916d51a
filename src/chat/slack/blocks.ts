/**
 * Renders platform-neutral messages to Block Kit, always within Slack's limits (SLACK.md): at most 50 blocks,
 * section text ≤ 3,000 characters, header ≤ 150, ≤ 10 fields of ≤ 2,000, ≤ 25 buttons per actions block.
 * What does not fit is cut at a line boundary with a note saying how much more there is and where to see it;
 * a message never fails because it is too long.
 */
import type { types } from '@slack/bolt';
import type { ChatBlock, ChatButton, ChatMessage } from '../message.js';

export const BLOCK_KIT_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  headerText: 150,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  contextText: 2000,
  buttons: 25,
  buttonLabel: 75,
  buttonValue: 2000,
  actionId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** The fallback `text` of a message with blocks: only notifications show it, so keep it short. */
  fallbackText: 3000,
} as const;

const MORE_HINT = 'see `status`/export';

/** Cuts a string to `max` characters without splitting a surrogate pair or an `&amp;`-style escape. */
function cut(s: string, max: number): string {
  let out = s.slice(0, Math.max(0, max));
  if (/[\uD800-\uDBFF]$/.test(out)) out = out.slice(0, -1);
  return out.replace(/&[a-z]{0,4}$/, '');
}

/** Plain text cut to `max` characters with an ellipsis. */
export function truncatePlain(s: string, max: number): string {
  return s.length <= max ? s : `${cut(s, max - 1)}…`;
}

/**
 * Markdown cut to `max` characters at a line boundary, ending with "… (n more, see `status`/export)" where n is
 * the number of lines not shown (in full); an open code fence is closed.
 */
export function truncateMarkdown(text: string, max: number = BLOCK_KIT_LIMITS.sectionText): string {
  if (text.length <= max) return text;
  const lines = text.split('\n');
  const budget = max - 60; // room for the note and a closing fence
  const kept: string[] = [];
  let length = 0;
  for (const line of lines) {
    if (length + line.length + 1 > budget) break;
    kept.push(line);
    length += line.length + 1;
  }
  let omitted = lines.length - kept.length;
  if (!kept.length) kept.push(cut(lines[0], budget)); // one overlong line: show its start, count it as not shown
  else if (omitted === 0) omitted = 1;
  let body = kept.join('\n');
  if ((body.match(/```/g) ?? []).length % 2 === 1) body += '```';
  return `${body}\n… (${omitted} more, ${MORE_HINT})`;
}

function mrkdwn(text: string, max: number): types.MrkdwnElement {
  return { type: 'mrkdwn', text: truncateMarkdown(text || ' ', max) };
}

function plainText(text: string, max: number): types.PlainTextElement {
  return { type: 'plain_text', text: truncatePlain(text || ' ', max), emoji: true };
}

function button(b: ChatButton): types.Button {
  const L = BLOCK_KIT_LIMITS;
  return {
    type: 'button',
    action_id: b.actionId.slice(0, L.actionId),
    text: plainText(b.label, L.buttonLabel),
    value: b.value.slice(0, L.buttonValue),
    ...(b.style ? { style: b.style } : {}),
    ...(b.confirm
      ? {
          confirm: {
            title: plainText(b.confirm.title, L.confirmTitle),
            text: plainText(b.confirm.text, L.confirmText),
            confirm: plainText(b.confirm.confirm, L.confirmButton),
            deny: plainText(b.confirm.deny, L.confirmButton),
          },
        }
      : {}),
  };
}

function renderBlock(b: ChatBlock): types.KnownBlock[] {
  const L = BLOCK_KIT_LIMITS;
  switch (b.type) {
    case 'header':
      return [{ type: 'header', text: plainText(b.text, L.headerText) }];
    case 'section': {
      const fields = b.fields?.slice(0, L.fields).map((f) => mrkdwn(f, L.fieldText));
      return [{ type: 'section', text: mrkdwn(b.markdown, L.sectionText), ...(fields?.length ? { fields } : {}) }];
    }
    case 'context':
      return b.elements.length ? [{ type: 'context', elements: b.elements.slice(0, L.contextElements).map((e) => mrkdwn(e, L.contextText)) }] : [];
    case 'divider':
      return [{ type: 'divider' }];
    case 'actions': {
      const out: types.KnownBlock[] = [];
      for (let i = 0; i < b.buttons.length; i += L.buttons) out.push({ type: 'actions', elements: b.buttons.slice(i, i + L.buttons).map(button) });
      return out;
    }
  }
}

export interface BlockKitMessage {
  text: string;
  blocks: types.KnownBlock[];
}

/**
 * The Block Kit form of a message. Beyond 50 blocks the first 49 are kept (actions blocks are kept in any case,
 * so buttons never disappear) and a context block says how many more there were.
 */
export function toBlockKit(msg: ChatMessage): BlockKitMessage {
  const L = BLOCK_KIT_LIMITS;
  let blocks = msg.blocks.flatMap(renderBlock);
  if (blocks.length > L.blocks) {
    const actions = blocks.filter((b) => b.type === 'actions').slice(0, L.blocks - 1);
    const room = L.blocks - 1 - actions.length;
    const others = blocks.filter((b) => b.type !== 'actions');
    const keptOthers = new Set(others.slice(0, room));
    const omitted = others.length - keptOthers.size;
    blocks = blocks.filter((b) => b.type === 'actions' ? actions.includes(b) : keptOthers.has(b));
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `… (${omitted} more, ${MORE_HINT})` }] });
  }
  return { text: truncatePlain(msg.text || ' ', L.fallbackText), blocks };
}
