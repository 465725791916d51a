// Rewrites the generated part of docs/commands.md from the command specs (run `npm run build` first).
import { readFileSync, writeFileSync } from 'node:fs';

const { commandReference, REFERENCE_BEGIN, REFERENCE_END } = await import('../dist/commands/reference.js');
const file = new URL('../docs/commands.md', import.meta.url);
const text = readFileSync(file, 'utf8');
const start = text.indexOf(REFERENCE_BEGIN);
const end = text.indexOf(REFERENCE_END);
if (start < 0 || end < start) {
  console.error(`docs/commands.md has no generated part: put ${REFERENCE_BEGIN} and ${REFERENCE_END} where it goes`);
  process.exit(2);
}
writeFileSync(file, `${text.slice(0, start)}${commandReference()}${text.slice(end + REFERENCE_END.length)}`);
console.log('docs/commands.md: generated part rewritten');
