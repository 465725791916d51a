/**
 * The shell's confirmation (C5): `run`, `resume`, `retry-failed` and `task … rename` at a terminal without `--yes`
 * say what they will do and ask "Proceed? [y/N]" on stderr, then read one line; only y or yes goes ahead.
 * End of input, anything else, or an empty line is a no.
 */
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export function askToProceed(question: string, input: Readable, output: Writable): Promise<boolean> {
  output.write(`${question}\nProceed? [y/N] `);
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input, terminal: false });
    let answered = false;
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      resolve(/^\s*(y|yes)\s*$/i.test(line));
    });
    rl.once('close', () => {
      if (!answered) {
        output.write('\n');
        resolve(false);
      }
    });
  });
}
