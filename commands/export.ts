/** `export`: a wave's per-runtime results as CSV or JSON for the change record, or its timeline chart (SVG, PNG). */
import { writeFile } from 'node:fs/promises';
import { waveArg } from './shared.js';
import { CommandError, ok, type CommandContext, type CommandResult, type CommandSpec } from './types.js';
import { count } from '../src/text/words.js';

/**
 * One CSV cell. Text from the landscape (account ids, messages, a cluster's error text) that a spreadsheet would
 * read as a formula — it starts with = + - @, a tab or a carriage return — is prefixed with ' (OWASP's CSV
 * injection advice), so that opening the change record's file runs nothing; numbers stay numbers.
 */
export function csvCell(v: string | number | null | undefined): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s) && !/^[+-]?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const exportWave: CommandSpec = {
  name: 'export',
  summary: "a wave's per-runtime results for the change record (csv, json), or its timeline chart (svg, png)",
  usage: 'export WAVE --format csv|json|svg|png [--out FILE]',
  examples: ['export prod-20261125-1 --format csv', 'export prod-20261125-1 --format png --out wave.png'],
  permission: 'read',
  mutates: false,
  journal: 'existing',
  options: { format: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx, args) {
    const id = waveArg(args.positionals[0], exportWave);
    const format = (args.values.format as string | undefined) ?? 'csv';
    if (!['csv', 'json', 'svg', 'png'].includes(format)) throw new CommandError(`--format must be csv, json, svg or png, got "${format}"`, 2, exportWave.examples[0]);
    // --json prints the records as one JSON line; with another --format one of the two would be ignored.
    if (args.values.json && args.values.format !== undefined && format !== 'json') throw new CommandError(`--json prints JSON, --format ${format} asks for ${format}: give one of them`, 2, exportWave.examples[0]);
    const journal = await ctx.services.journal();
    if (format === 'svg' || format === 'png') return exportChart(ctx, id, format, args.values.out as string | undefined);
    const rows = await journal.listWaveRuntimes(id);
    if (!rows.length && !(await journal.getWave(id))) throw new CommandError(`no wave ${id}`, 1);
    const records = rows.map((r) => ({
      waveId: id,
      runtimeId: r.runtimeId,
      shootName: r.runtime.shootName,
      globalAccountId: r.runtime.globalAccountId,
      subaccountId: r.runtime.subaccountId,
      plan: r.runtime.plan,
      region: r.runtime.region,
      state: r.state,
      outcome: r.result?.outcome ?? null,
      reason: r.result?.reason ?? null,
      message: r.result?.message ?? null,
      detail: r.result?.detail ?? null,
      finishedAt: r.result?.finishedAt ?? null,
    }));
    const cols = Object.keys(records[0] ?? { waveId: '' }) as (keyof (typeof records)[number])[];
    const text = format === 'json' ? JSON.stringify(records, null, 2) : [cols.join(','), ...records.map((r) => cols.map((c) => csvCell(r[c])).join(','))].join('\n');
    const out = args.values.out as string | undefined;
    if (out) {
      await writeOut(out, `${text}\n`);
      return ok(`wrote the results of ${id} to ${out} (${format}, ${count(records.length, 'runtime')})`, records);
    }
    return ok(text, records);
  },
};

/** Writes `--out`; a path that cannot be written is a refusal naming it, not a crash. */
async function writeOut(file: string, content: string | Buffer): Promise<void> {
  try {
    await writeFile(file, content);
  } catch (e) {
    throw new CommandError(`cannot write ${file}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`, 1, 'export prod-20261125-1 --format png --out wave.png');
  }
}

/** The wave's timeline chart (src/wave-page/timeline-chart.ts), rendered here from the journal. */
async function exportChart(ctx: CommandContext, id: string, format: 'svg' | 'png', out: string | undefined): Promise<CommandResult> {
  const { buildWaveView } = await import('../src/wave-page/wave-view.js');
  const { timelinePng, timelineSvg } = await import('../src/wave-page/timeline-chart.js');
  const view = await buildWaveView({ journal: await ctx.services.journal(), budget: ctx.services }, id);
  if (!view) throw new CommandError(`no wave ${id}`, 1);
  const bytes = format === 'svg' ? Buffer.from(timelineSvg(view)) : await timelinePng(view);
  const json = { waveId: id, format, bytes: bytes.length, file: out ?? null };
  if (out) {
    await writeOut(out, bytes);
    return ok(`wrote the timeline chart of ${id} to ${out} (${format}, ${bytes.length} bytes)`, json);
  }
  return { ...ok(format === 'svg' ? bytes.toString('utf8') : `${format} chart of ${id}`, json), output: bytes };
}
