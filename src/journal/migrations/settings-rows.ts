/**
 * Moves the rows that older versions kept under prefixed keys of `settings` into their typed tables (migration 4),
 * through the typed store's own statements; a moved row leaves `settings`. A value that cannot be read (not the
 * JSON or number it should be) stays where it was, so nothing is lost. Safe to run again: the typed row written
 * last wins, which is the one the settings row held.
 */
import type { ApprovalRequest, ChatMessageKind, LandscapeClaim } from '../typed-records.js';
import type { Dialect, Session } from '../sql/dialect.js';
import { isoOf, type Stamp } from '../sql/rows.js';
import { SqlTypedRecords } from '../sql/typed-store.js';

type Mover = (r: SqlTypedRecords, rest: string, value: string, at: string) => Promise<boolean>;

const asJson = (value: string): unknown => JSON.parse(value) as unknown;

const chat =
  (kind: ChatMessageKind): Mover =>
  async (r, subject, value) => {
    const ref = asJson(value) as { channel?: unknown; ts?: unknown };
    if (typeof ref?.channel !== 'string' || typeof ref.ts !== 'string') return false;
    await r.setChatMessage(kind, subject, { channel: ref.channel, ts: ref.ts });
    return true;
  };

const REQUIRED: (keyof ApprovalRequest)[] = ['id', 'planHash', 'action', 'env', 'target', 'requester', 'channel', 'ts', 'requestedAt', 'expiresAt', 'state'];

/** Checked before the insert: a NOT NULL violation would abort the whole migration's transaction (PostgreSQL). */
function isApprovalRequest(v: unknown): boolean {
  const r = v as Record<string, unknown> | null;
  return !!r && REQUIRED.every((k) => typeof r[k] === 'string') && typeof r.then === 'object' && r.then !== null;
}

/** Key prefix → how its rows move. Longer prefixes first (`slack:wave-final:` before `slack:wave:`). */
const MOVERS: [prefix: string, move: Mover][] = [
  ['freeze:', async (r, scope, value, at) => (value === 'true' && (await r.freeze(scope, null, new Date(at))), true)],
  [
    'budget:',
    async (r, waveId, value) => {
      const n = Number(value);
      if (Number.isInteger(n) && n > 0) await r.setRaisedBudget(waveId, n);
      return true;
    },
  ],
  ['verified:', async (r, waveId, value) => (value === 'ok' || value === 'failed') && (await r.setWaveVerdict(waveId, value), true)],
  ['wave-limit-history:', async (r, waveId, value) => Array.isArray(asJson(value)) && (await r.setWaveLimitHistory(waveId, asJson(value) as never), true)],
  ['wave-limit:', async (r, waveId, value) => (await r.setWaveLimit(waveId, asJson(value) as never), true)],
  ['slack:wave-final:', async (r, waveId, value) => typeof (asJson(value) as { state?: unknown })?.state === 'string' && (await r.setWaveFinal(waveId, asJson(value) as never), true)],
  ['slack:approval:', async (r, _id, value) => isApprovalRequest(asJson(value)) && (await r.saveApprovalRequest(asJson(value) as ApprovalRequest), true)],
  ['slack:wave:', chat('wave')],
  ['slack:task:', chat('task')],
  ['slack:plan:', chat('plan')],
];

/** The landscape claim: `{ id, description, recordedAt }` JSON, or (older) the bare id. */
async function moveLandscape(r: SqlTypedRecords, value: string, at: string): Promise<boolean> {
  let v: Partial<LandscapeClaim>;
  try {
    v = asJson(value) as Partial<LandscapeClaim>;
  } catch {
    v = { id: value, description: value };
  }
  if (typeof v?.id !== 'string') return false;
  await r.claimLandscape({ id: v.id, description: v.description ?? v.id, recordedAt: v.recordedAt ?? at });
  return true;
}

export async function moveSettingsRows(s: Session, d: Dialect): Promise<void> {
  const records = new SqlTypedRecords(s, d);
  const { rows } = await s.query<{ key: string; value: string; updated_at: Stamp }>(undefined, 'SELECT key, value, updated_at FROM settings ORDER BY key');
  for (const row of rows) {
    const at = isoOf(row.updated_at);
    let moved: boolean;
    try {
      if (row.key === 'landscape') moved = await moveLandscape(records, row.value, at);
      else {
        const hit = MOVERS.find(([prefix]) => row.key.startsWith(prefix));
        moved = !!hit && (await hit[1](records, row.key.slice(hit[0].length), row.value, at));
      }
    } catch {
      moved = false; // not the JSON it should be: left in settings
    }
    if (moved) await s.query(undefined, 'DELETE FROM settings WHERE key = $1', [row.key]);
  }
}
