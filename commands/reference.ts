/**
 * The per-command part of docs/commands.md, generated from the specs (`npm run docs:commands` writes it; a test
 * keeps the file current). One section per command: summary, usage, options, examples, who may run it, exit codes.
 */
import { COMMANDS } from './index.js';
import { exitCodeLines, optionLines } from './help-text.js';

export const REFERENCE_BEGIN = '<!-- generated from commands/: npm run docs:commands -->';
export const REFERENCE_END = '<!-- end of generated part -->';

const PERMISSION = { read: 'anyone', operate: 'operators of the environment', approve: 'approvers (on-call) of the environment' } as const;

export function commandReference(): string {
  const out: string[] = [];
  for (const spec of COMMANDS) {
    out.push(`### ${spec.name}`, '', `${spec.summary[0].toUpperCase()}${spec.summary.slice(1)}.`, '', '```', spec.usage, '```', '');
    out.push('| option | meaning |', '|---|---|');
    for (const [flag, text] of optionLines(spec)) out.push(`| \`${flag}\` | ${text.replace(/\|/g, '\\|')} |`);
    out.push('', 'Examples:', '', '```', ...spec.examples.map((e) => `istio-migrate ${e}`), '```', '');
    out.push(`Who may run it: ${PERMISSION[spec.permission]}.${spec.mutates ? ' It changes clusters.' : ''} Exit codes: ${exitCodeLines(spec).join('; ')}.`, '');
  }
  return [REFERENCE_BEGIN, '', ...out, REFERENCE_END].join('\n');
}
