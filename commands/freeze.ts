/** `freeze` and `unfreeze`: no new starts in an environment (or all) until lifted. */
import { envArg } from './shared.js';
import { ok, type CommandSpec } from './types.js';
import { FREEZE_SCOPES } from '../src/rollout/freeze.js';

function freezeCommand(name: 'freeze' | 'unfreeze'): CommandSpec {
  const spec: CommandSpec = {
    name,
    summary: name === 'freeze' ? 'no new starts anywhere in an environment (or all)' : 'lift a freeze (no argument or all: every freeze)',
    usage: `${name} [env|all]`,
    examples: [`${name} prod`, `${name} all`],
    permission: 'operate',
    mutates: false,
    journal: name === 'freeze' ? 'create' : 'existing',
    options: { json: { type: 'boolean' } },
    async run(ctx, args) {
      const scope = args.positionals[0] ?? 'all';
      if (scope !== 'all') envArg(scope, spec);
      const journal = await ctx.services.journal();
      const frozenNow = async () => (await journal.frozenScopes()).sort((a, b) => FREEZE_SCOPES.indexOf(a) - FREEZE_SCOPES.indexOf(b));
      if (name === 'freeze') {
        await journal.freeze(scope, ctx.user);
        await journal.audit({ actor: ctx.user, action: name, subject: scope, detail: {} });
        return ok(`${scope} frozen: no new runtime starts`, { scope, frozen: true, frozenScopes: await frozenNow() });
      }
      // `unfreeze` / `unfreeze all` lifts every freeze (all and each environment): "all unfrozen" must be true.
      // `unfreeze <env>` lifts that environment's and says what still holds it.
      const before = await frozenNow();
      const lift = scope === 'all' ? FREEZE_SCOPES : [scope];
      for (const s of lift) await journal.unfreeze(s);
      const cleared = before.filter((s) => lift.includes(s));
      const remaining = await frozenNow();
      await journal.audit({ actor: ctx.user, action: name, subject: scope, detail: { cleared, remaining } });
      const text =
        scope === 'all'
          ? `all unfrozen${cleared.length ? ` (lifted: ${cleared.join(', ')})` : ' (nothing was frozen)'}`
          : `${scope} unfrozen${cleared.length ? '' : ' (it was not frozen)'}${remaining.length ? `; still frozen: ${remaining.join(', ')}${remaining.includes('all') ? ` — ${scope} stays frozen until \`unfreeze all\`` : ''}` : ''}`;
      return ok(text, { scope, frozen: false, cleared, frozenScopes: remaining });
    },
  };
  return spec;
}
export const freeze = freezeCommand('freeze');
export const unfreeze = freezeCommand('unfreeze');
