/**
 * A chat command line (`/istio-migrate plan stage "kyma-test" --sample 5`) into a command name and argv for
 * `dispatch`. Shared by Slack and the console. Knows the grammar only: which commands exist and what they do is
 * the registry's business (commands/index.ts).
 *
 * - Quotes: "double", 'single' and the typographic ones Slack clients substitute (“…”, ‘…’); `\` escapes inside
 *   double quotes. Slack's escaping of `&`, `<`, `>` is undone first.
 * - `<env> <target>…` without a verb (`stage kyma-test`) means plan-then-run: `plan` with buttons to run it.
 * - An empty line asks for help.
 */

/** Longer inputs are refused before anything else (Slack allows more; no command needs it). */
export const MAX_COMMAND_LENGTH = 1000;

export const ENV_NAMES = ['dev', 'stage', 'prod'] as const;

export type CommandLine =
  /** Run `name` with `argv`; `planThenRun`: the `<env> <target>` shorthand (reply with Run/Cancel buttons). */
  | { kind: 'command'; name: string; argv: string[]; planThenRun: boolean }
  /** Nothing but the prefix: answer with help. */
  | { kind: 'empty' }
  /** Not even tokenisable: what was wrong and an example. */
  | { kind: 'invalid'; problem: string; example: string };

export type Tokens = { ok: true; tokens: string[] } | { ok: false; problem: string };

const OPEN_CLOSE: Record<string, string> = { '"': '"', "'": "'", '\u201c': '\u201d', '\u201d': '\u201d', '\u2018': '\u2019', '\u2019': '\u2019', '\u201e': '\u201c' };

/** Splits a command line into tokens, respecting quotes. */
export function tokenize(input: string): Tokens {
  const text = input.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const tokens: string[] = [];
  let cur = '';
  let inToken = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      if (inToken) tokens.push(cur);
      cur = '';
      inToken = false;
      continue;
    }
    const close = OPEN_CLOSE[ch];
    if (close !== undefined) {
      const start = i;
      inToken = true;
      i++;
      while (i < text.length && text[i] !== close && !(close === '"' && text[i] === '\u201d')) {
        if (text[i] === '\\' && (close === '"' || close === '\u201d') && i + 1 < text.length) i++;
        cur += text[i];
        i++;
      }
      if (i >= text.length) return { ok: false, problem: `unterminated quote ${ch} at position ${start + 1}` };
      continue;
    }
    cur += ch;
    inToken = true;
  }
  if (inToken) tokens.push(cur);
  return { ok: true, tokens };
}

/** Interprets the text after the slash command (or a console line; the `/istio-migrate` prefix is optional). */
export function parseCommandLine(input: string, envs: readonly string[] = ENV_NAMES): CommandLine {
  if (input.length > MAX_COMMAND_LENGTH) {
    return { kind: 'invalid', problem: `the command is too long (${input.length} characters, at most ${MAX_COMMAND_LENGTH})`, example: 'plan stage kyma-test --sample 5' };
  }
  const t = tokenize(input);
  if (!t.ok) return { kind: 'invalid', problem: t.problem, example: 'plan stage "kyma-test" --sample 5' };
  const tokens = t.tokens[0] === '/istio-migrate' ? t.tokens.slice(1) : t.tokens;
  if (!tokens.length) return { kind: 'empty' };
  if (envs.includes(tokens[0])) return { kind: 'command', name: 'plan', argv: tokens, planThenRun: true };
  return { kind: 'command', name: tokens[0], argv: tokens.slice(1), planThenRun: false };
}
