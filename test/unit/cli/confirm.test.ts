import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { confirmChange } from '../../../commands/shared.js';
import type { CommandContext, CommandError } from '../../../commands/types.js';
import { askToProceed } from '../../../src/cli/confirm.js';

function ask(input: string | null): Promise<{ answer: boolean; shown: string }> {
  const stdin = new PassThrough();
  const stderr = new PassThrough();
  let shown = '';
  stderr.on('data', (c: Buffer) => (shown += c.toString('utf8')));
  const p = askToProceed('run dev all: migrate 3 runtimes', stdin, stderr);
  if (input === null) stdin.end();
  else stdin.write(input);
  return p.then((answer) => ({ answer, shown }));
}

describe('src/cli/confirm.ts — the shell asks "Proceed? [y/N]"', () => {
  it('says what will happen and proceeds only on y or yes', async () => {
    for (const yes of ['y\n', 'yes\n', 'Y\n', ' YES \n']) expect((await ask(yes)).answer).toBe(true);
    for (const no of ['n\n', '\n', 'yep\n', 'no\n']) expect((await ask(no)).answer).toBe(false);
    expect((await ask(null)).answer).toBe(false); // end of input
    expect((await ask('y\n')).shown).toBe('run dev all: migrate 3 runtimes\nProceed? [y/N] ');
  });
});

describe('commands/shared.ts confirmChange — C5: neither a TTY nor --yes refuses', () => {
  const base = { user: 'u', via: 'shell', services: {} } as unknown as CommandContext;
  const refusal = (p: Promise<void>) => p.then(() => null, (e: CommandError) => e.message);

  it('--yes goes ahead without asking', async () => {
    const asked: string[] = [];
    await confirmChange({ ...base, interactive: true, confirm: (q) => (asked.push(q), Promise.resolve(false)) }, true, 'q', 'refused');
    expect(asked).toEqual([]);
  });
  it('without a terminal (or without a way to ask) it refuses', async () => {
    expect(await refusal(confirmChange({ ...base, interactive: false }, false, 'q', 'run changes clusters: confirm with --yes'))).toBe('run changes clusters: confirm with --yes (no terminal to ask)');
    expect(await refusal(confirmChange({ ...base, interactive: true }, false, 'q', 'refused'))).toBe('refused (no terminal to ask)');
  });
  it('at a terminal it asks the question and goes ahead only when confirmed', async () => {
    const asked: string[] = [];
    const ctx = (answer: boolean): CommandContext => ({ ...base, interactive: true, confirm: (q) => (asked.push(q), Promise.resolve(answer)) });
    expect(await refusal(confirmChange(ctx(true), false, 'run dev all: migrate 3 runtimes', 'refused'))).toBeNull();
    expect(await refusal(confirmChange(ctx(false), false, 'run dev all: migrate 3 runtimes', 'refused'))).toBe('not confirmed');
    expect(asked).toEqual(['run dev all: migrate 3 runtimes', 'run dev all: migrate 3 runtimes']);
  });
});
