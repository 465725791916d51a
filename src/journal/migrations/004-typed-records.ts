import type { Migration } from './migration.js';
import { moveSettingsRows } from './settings-rows.js';

/** Tables of the records that were prefixed keys of `settings`; the rows move over (settings-rows.ts). */
export const typedRecords: Migration = {
  version: 4,
  description: 'typed records instead of settings keys: freezes, wave budgets, verdicts, limits, landscape, chat messages, wave finals, approval requests',
  ddl: (t) => [
    `CREATE TABLE freezes (
      scope ${t.text} PRIMARY KEY,
      frozen_by ${t.text},
      frozen_at ${t.ts} NOT NULL
    )`,
    `CREATE TABLE wave_budgets (wave_id ${t.text} PRIMARY KEY, budget ${t.int} NOT NULL, updated_at ${t.ts} NOT NULL)`,
    `CREATE TABLE wave_verdicts (wave_id ${t.text} PRIMARY KEY, verdict ${t.text} NOT NULL, updated_at ${t.ts} NOT NULL)`,
    `CREATE TABLE wave_limits (wave_id ${t.text} PRIMARY KEY, current_limit ${t.json} NOT NULL, updated_at ${t.ts} NOT NULL)`,
    `CREATE TABLE wave_limit_history (wave_id ${t.text} PRIMARY KEY, points ${t.json} NOT NULL, updated_at ${t.ts} NOT NULL)`,
    `CREATE TABLE landscape_claim (
      id ${t.int} PRIMARY KEY CHECK (id = 1),
      landscape_id ${t.text} NOT NULL,
      description ${t.text} NOT NULL,
      recorded_at ${t.ts} NOT NULL
    )`,
    `CREATE TABLE chat_messages (
      kind ${t.text} NOT NULL,
      subject ${t.text} NOT NULL,
      channel ${t.text} NOT NULL,
      ts ${t.text} NOT NULL,
      PRIMARY KEY (kind, subject)
    )`,
    `CREATE TABLE wave_finals (wave_id ${t.text} PRIMARY KEY, state ${t.text} NOT NULL, final ${t.json})`,
    // The request as one document; its key, what it approves, its state and expiry also as columns (to query by).
    `CREATE TABLE approval_requests (
      id ${t.text} PRIMARY KEY,
      plan_hash ${t.text} NOT NULL,
      action ${t.text} NOT NULL,
      state ${t.text} NOT NULL,
      expires_at ${t.ts} NOT NULL,
      request ${t.json} NOT NULL
    )`,
  ],
  move: moveSettingsRows,
};
