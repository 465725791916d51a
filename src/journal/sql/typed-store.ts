/**
 * The typed records (typed-records.ts) in SQL, for both stores: one small table each, upserted by key. Written
 * against a `Session`, so migration 4 moves old settings rows through the same statements.
 */
import type { ApprovalRequest, ChatMessageKind, ChatMessageRef, Freeze, LandscapeClaim, LimitPoint, TypedRecords, WaveFinal, WaveLimit } from '../typed-records.js';
import type { Dialect, Session } from './dialect.js';
import { iso, isoOf, json, parse, type Stamp } from './rows.js';

/** The per-wave records that are one value under a wave id: table, value column, how it is stored and read. */
const WAVE_VALUES = {
  budget: { table: 'wave_budgets', column: 'budget' },
  verdict: { table: 'wave_verdicts', column: 'verdict' },
  limit: { table: 'wave_limits', column: 'current_limit' },
  history: { table: 'wave_limit_history', column: 'points' },
} as const;

type WaveValue = keyof typeof WAVE_VALUES;

export class SqlTypedRecords implements TypedRecords {
  constructor(
    protected readonly db: Session,
    protected readonly d: Dialect,
  ) {}

  async frozenScopes(): Promise<string[]> {
    return (await this.listFreezes()).map((f) => f.scope);
  }

  async listFreezes(): Promise<Freeze[]> {
    const { rows } = await this.db.query<{ scope: string; frozen_by: string | null; frozen_at: Stamp }>('list-freezes', 'SELECT scope, frozen_by, frozen_at FROM freezes ORDER BY scope');
    return rows.map((r) => ({ scope: r.scope, frozenBy: r.frozen_by, frozenAt: isoOf(r.frozen_at) }));
  }

  async freeze(scope: string, by: string | null, now = new Date()): Promise<void> {
    await this.db.query('freeze', 'INSERT INTO freezes (scope, frozen_by, frozen_at) VALUES ($1, $2, $3) ON CONFLICT (scope) DO NOTHING', [scope, by, now.toISOString()]);
  }

  async unfreeze(scope: string): Promise<boolean> {
    return (await this.db.query('unfreeze', 'DELETE FROM freezes WHERE scope = $1', [scope])).changes > 0;
  }

  private async waveValue(kind: WaveValue, waveId: string): Promise<unknown> {
    const { table, column } = WAVE_VALUES[kind];
    const { rows } = await this.db.query<{ v: unknown }>(`get-${table}`, `SELECT ${column} AS v FROM ${table} WHERE wave_id = $1`, [waveId]);
    return rows[0]?.v;
  }

  private async setWaveValue(kind: WaveValue, waveId: string, value: string | number | null): Promise<void> {
    const { table, column } = WAVE_VALUES[kind];
    if (value === null) await this.db.query(`delete-${table}`, `DELETE FROM ${table} WHERE wave_id = $1`, [waveId]);
    else
      await this.db.query(
        `set-${table}`,
        `INSERT INTO ${table} (wave_id, ${column}, updated_at) VALUES ($1, $2, ${this.d.now})
         ON CONFLICT (wave_id) DO UPDATE SET ${column} = excluded.${column}, updated_at = excluded.updated_at`,
        [waveId, value],
      );
  }

  async raisedBudget(waveId: string): Promise<number | undefined> {
    const v = await this.waveValue('budget', waveId);
    return v === undefined ? undefined : Number(v);
  }

  async setRaisedBudget(waveId: string, budget: number): Promise<void> {
    await this.setWaveValue('budget', waveId, budget);
  }

  async waveVerdict(waveId: string): Promise<'ok' | 'failed' | undefined> {
    return (await this.waveValue('verdict', waveId)) as 'ok' | 'failed' | undefined;
  }

  async setWaveVerdict(waveId: string, verdict: 'ok' | 'failed'): Promise<void> {
    await this.setWaveValue('verdict', waveId, verdict);
  }

  async waveLimit(waveId: string): Promise<WaveLimit | undefined> {
    const v = await this.waveValue('limit', waveId);
    return v === undefined ? undefined : parse<WaveLimit>(v as string);
  }

  async setWaveLimit(waveId: string, limit: WaveLimit | null): Promise<void> {
    await this.setWaveValue('limit', waveId, limit && json(limit));
  }

  async waveLimitHistory(waveId: string): Promise<LimitPoint[]> {
    const v = await this.waveValue('history', waveId);
    return v === undefined ? [] : parse<LimitPoint[]>(v as string);
  }

  async setWaveLimitHistory(waveId: string, history: LimitPoint[]): Promise<void> {
    await this.setWaveValue('history', waveId, json(history));
  }

  async landscapeClaim(): Promise<LandscapeClaim | undefined> {
    const { rows } = await this.db.query<{ landscape_id: string; description: string; recorded_at: Stamp }>(
      'landscape-claim',
      'SELECT landscape_id, description, recorded_at FROM landscape_claim WHERE id = 1',
    );
    const r = rows[0];
    return r && { id: r.landscape_id, description: r.description, recordedAt: isoOf(r.recorded_at) };
  }

  async claimLandscape(claim: LandscapeClaim): Promise<LandscapeClaim> {
    await this.db.query(
      'claim-landscape',
      'INSERT INTO landscape_claim (id, landscape_id, description, recorded_at) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING',
      [claim.id, claim.description, iso(claim.recordedAt)],
    );
    return (await this.landscapeClaim())!;
  }

  async chatMessage(kind: ChatMessageKind, subject: string): Promise<ChatMessageRef | undefined> {
    const { rows } = await this.db.query<ChatMessageRef>('chat-message', 'SELECT channel, ts FROM chat_messages WHERE kind = $1 AND subject = $2', [kind, subject]);
    return rows[0] && { channel: rows[0].channel, ts: rows[0].ts };
  }

  async setChatMessage(kind: ChatMessageKind, subject: string, ref: ChatMessageRef): Promise<void> {
    await this.db.query(
      'set-chat-message',
      `INSERT INTO chat_messages (kind, subject, channel, ts) VALUES ($1, $2, $3, $4)
       ON CONFLICT (kind, subject) DO UPDATE SET channel = excluded.channel, ts = excluded.ts`,
      [kind, subject, ref.channel, ref.ts],
    );
  }

  async waveFinal(waveId: string): Promise<WaveFinal | undefined> {
    const { rows } = await this.db.query<{ state: WaveFinal['state']; final: string | null }>('wave-final', 'SELECT state, final FROM wave_finals WHERE wave_id = $1', [waveId]);
    const r = rows[0];
    return r && { state: r.state, ...(r.final === null ? {} : { final: parse<unknown>(r.final) }) };
  }

  async setWaveFinal(waveId: string, final: WaveFinal): Promise<void> {
    await this.db.query(
      'set-wave-final',
      'INSERT INTO wave_finals (wave_id, state, final) VALUES ($1, $2, $3) ON CONFLICT (wave_id) DO UPDATE SET state = excluded.state, final = excluded.final',
      [waveId, final.state, final.final === undefined ? null : json(final.final)],
    );
  }

  async claimWaveFinal(waveId: string): Promise<boolean> {
    return (await this.db.query('claim-wave-final', "INSERT INTO wave_finals (wave_id, state, final) VALUES ($1, 'started', NULL) ON CONFLICT (wave_id) DO NOTHING", [waveId])).changes === 1;
  }

  async approvalRequest(id: string): Promise<ApprovalRequest | undefined> {
    const { rows } = await this.db.query<{ request: string }>('approval-request', 'SELECT request FROM approval_requests WHERE id = $1', [id]);
    return rows[0] && parse<ApprovalRequest>(rows[0].request);
  }

  async saveApprovalRequest(r: ApprovalRequest): Promise<void> {
    await this.db.query(
      'save-approval-request',
      `INSERT INTO approval_requests (id, plan_hash, action, state, expires_at, request) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET plan_hash = excluded.plan_hash, action = excluded.action, state = excluded.state, expires_at = excluded.expires_at, request = excluded.request`,
      [r.id, r.planHash, r.action, r.state, iso(r.expiresAt), json(r)],
    );
  }

  async ping(): Promise<void> {
    await this.db.query('ping', 'SELECT 1 AS ok');
  }
}
