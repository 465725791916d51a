/**
 * A runtime a wave finds `already-migrated` may have been patched by an earlier wave of the bot that stopped before
 * it verified the runtime (aborted, or interrupted and never resumed): that wave's record stays at its checkpoint
 * (`before-patch`, `patched`), and without a word here no record would say the bot made the change. The result
 * names that wave in its notes. Read only for `already-migrated` results (one journal read each).
 */
import type { Journal } from '../journal/journal.js';
import type { MigrationResult } from '../migration/result.js';

export async function withEarlierPatch(journal: Pick<Journal, 'runtimeHistory' | 'getWave'>, waveId: string, result: MigrationResult): Promise<MigrationResult> {
  if (result.outcome !== 'already-migrated' || !result.runtimeId) return result;
  const earlier = (await journal.runtimeHistory(result.runtimeId)).filter((r) => r.waveId !== waveId && (r.state === 'before-patch' || r.state === 'patched')).at(-1);
  if (!earlier) return result;
  const wave = await journal.getWave(earlier.waveId);
  const how = wave ? `, ${wave.state}` : '';
  const note =
    earlier.state === 'patched'
      ? `wave ${earlier.waveId} patched this runtime (istio added to spec.modules) and stopped before it verified it (its record: patched${how})`
      : `wave ${earlier.waveId} was about to patch this runtime when it stopped (its record: before-patch${how}): istio in spec.modules is likely its patch`;
  return { ...result, notes: [...(result.notes ?? []), note] };
}
