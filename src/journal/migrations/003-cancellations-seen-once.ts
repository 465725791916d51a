import type { Migration } from './migration.js';

export const cancellationsSeenOnce: Migration = {
  version: 3,
  description: 'plan cancellations (lifted by a new plan); requests seen once (Slack replay protection across replicas)',
  ddl: (t) => [
    `CREATE TABLE plan_cancellations (
      id ${t.id},
      plan_hash ${t.text} NOT NULL,
      cancelled_by ${t.text} NOT NULL,
      cancelled_at ${t.ts} NOT NULL,
      cleared_by ${t.text},
      cleared_at ${t.ts}
    )`,
    `CREATE INDEX plan_cancellations_plan ON plan_cancellations (plan_hash, id)`,
    `CREATE TABLE seen_once (
      key ${t.text} PRIMARY KEY,
      ${t.expiry.column} ${t.expiry.type} NOT NULL
    )`,
    `CREATE INDEX seen_once_expiry ON seen_once (${t.expiry.column})`,
  ],
};
