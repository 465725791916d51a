/** `show`: every wave's record for one runtime, found by runtime id, shoot or subaccount. */
import { CommandError, ok, type CommandSpec } from './types.js';

export const show: CommandSpec = {
  name: 'show',
  summary: "every wave's record for a runtime (by runtime id, shoot or subaccount)",
  usage: 'show <runtime-id|shoot|subaccount> [--json]',
  examples: ['show c-3f2a9c1', 'show 5a7f0e12-…'],
  permission: 'read',
  mutates: false,
  journal: 'existing',
  options: { json: { type: 'boolean' } },
  async run(ctx, args) {
    const key = args.positionals[0];
    if (!key) throw new CommandError('name a runtime id, shoot or subaccount', 2, show.examples[0]);
    const journal = await ctx.services.journal();
    const records = [];
    for (const w of await journal.listWaves()) {
      for (const r of await journal.listWaveRuntimes(w.waveId)) {
        if ([r.runtimeId, r.runtime.shootName, r.runtime.subaccountId].includes(key)) records.push(r);
      }
    }
    if (!records.length) return ok(`no wave touched ${key}`, { records });
    const text = records.map((r) => `${r.waveId} ${r.runtimeId} (${r.runtime.shootName}): ${r.state}${r.result ? ` ${r.result.outcome}${r.result.reason ? `/${r.result.reason}` : ''} — ${r.result.message}${r.result.detail ? ` (${r.result.detail})` : ''}` : ''}`).join('\n');
    return ok(text, { records });
  },
};
