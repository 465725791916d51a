/**
 * `help` is generated from the command definitions (commands as data): it lists every command with its summary,
 * `help X` shows X's usage and examples, and every example a definition shows parses with that definition's own
 * options — so a renamed flag cannot leave a stale example behind.
 */
import { describe, expect, it } from '@jest/globals';
import { parseArgs } from 'node:util';
import { COMMANDS, dispatch } from '../../../commands/index.js';
import { optionLines } from '../../../commands/help-text.js';
import type { CommandContext } from '../../../commands/types.js';

/** help reads no landscape: a context without services. */
const ctx = { user: 'sre-1', via: 'shell', interactive: false, services: undefined } as unknown as CommandContext;

/** An example line as argv: whitespace-separated, double quotes grouping. */
const argvOf = (line: string) => (line.match(/"[^"]*"|\S+/g) ?? []).map((t) => t.replace(/^"(.*)"$/, '$1'));

describe('help (commands/index.ts)', () => {
  it('lists every command of COMMANDS, each with its summary, in order', async () => {
    const res = await dispatch(ctx, 'help', []);
    expect(res.exitCode).toBe(0);
    const lines = res.text.split('\n');
    expect(lines).toHaveLength(COMMANDS.length);
    COMMANDS.forEach((c, i) => {
      expect(lines[i].startsWith(c.name)).toBe(true);
      expect(lines[i]).toContain(c.summary);
    });
    expect((res.json as { name: string }[]).map((c) => c.name)).toEqual(COMMANDS.map((c) => c.name));
  });

  it.each(COMMANDS.map((c) => [c.name]))('help %s shows its usage and examples', async (name) => {
    const spec = COMMANDS.find((c) => c.name === name)!;
    const res = await dispatch(ctx, 'help', [name]);
    expect(res.exitCode).toBe(0);
    expect(res.text).toContain(spec.usage);
    for (const e of spec.examples) expect(res.text).toContain(e);
  });

  it('every option of every command says what it does (an empty meaning column was how --for shipped)', () => {
    const blank = COMMANDS.flatMap((spec) => optionLines(spec).filter(([, text]) => !text).map(([flag]) => `${spec.name} ${flag}`));
    expect(blank).toEqual([]);
  });

  it('every example starts with its command and parses with its options', () => {
    for (const spec of COMMANDS) {
      expect(spec.usage.split(' ')[0]).toBe(spec.name);
      expect(spec.examples.length).toBeGreaterThan(0);
      for (const example of spec.examples) {
        const [name, ...argv] = argvOf(example);
        expect({ example, name }).toEqual({ example, name: spec.name });
        expect(() => parseArgs({ args: argv, options: spec.options, allowPositionals: true, strict: true })).not.toThrow();
      }
    }
  });

  it('answers an unknown command with the list and an example', async () => {
    const res = await dispatch(ctx, 'help', ['frobnicate']);
    expect(res.exitCode).toBe(2);
    expect(res.text).toContain('unknown command "frobnicate"');
    expect(res.text).toContain('example: help run');
  });
});
