/**
 * Landscape text on its way to a terminal (src/text/terminal-safe.ts): a KEB global account name carrying terminal
 * control sequences — OSC 52 (write the clipboard), erase-line and a carriage return that hide what came before, a
 * right-to-left override — reaches the shell's and the console's output escaped, never raw. `--json` escapes by
 * being JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { terminalSafe } from '../../src/text/terminal-safe.js';
import { runBin } from '../helpers/built-bin.js';
import { outsideRunbook, runtimeOf, startTestSim, writeSimConfig, type TestSim } from '../helpers/sim.js';

const HOSTILE = 'ga-1\u001b]52;c;ZWNobyBwd25lZAo=\u0007\u001b[2K\rga-looks-fine\u202e';
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('terminal output of landscape text (shell and console)', () => {
  let sim: TestSim;
  let cfg: string;
  let id: string;
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
    cfg = writeSimConfig(sim, 'hostile-text', outsideRunbook);
    id = runtimeOf(sim.out, 'stage', 'fresh').runtimeId;
    sim.sim.runtimesById.get(id)!.globalAccountId = HOSTILE; // what KEB answers for this runtime
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('plan in the shell: escaped in the text, exact in --json', async () => {
    const text = await runBin(['plan', 'stage', `runtime-id=${id}`, '--config', cfg]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('ga-1\\x1b]52;c;ZWNobyBwd25lZAo=\\x07\\x1b[2K\\x0dga-looks-fine\\u202e');
    expect(text.stdout + text.stderr).not.toMatch(RAW);
    const json = await runBin(['plan', 'stage', `runtime-id=${id}`, '--json', '--config', cfg]);
    expect((JSON.parse(json.stdout) as { runtimes: { globalAccountId: string }[] }).runtimes[0].globalAccountId).toBe(HOSTILE);
  });

  it('plan in the console: escaped', async () => {
    const r = await runBin(['console', '--config', cfg], { stdin: `plan stage runtime-id=${id}\n` });
    expect(r.stdout).toContain('ga-1\\x1b]52;c;');
    expect(r.stdout + r.stderr).not.toMatch(RAW);
  });

  it.each([
    ['plain text', 'plain text'],
    ['line\nand\ttab', 'line\nand\ttab'],
    ['\u001b[31mred', '\\x1b[31mred'],
    ['a\rb', 'a\\x0db'],
    ['\u009b2J', '\\x9b2J'],
    ['abc\u2067def', 'abc\\u2067def'],
  ])('terminalSafe(%j) is %j', (input, output) => {
    expect(terminalSafe(input)).toBe(output);
  });
});
