import type { Migration } from './migration.js';

export const approvalsUsed: Migration = {
  version: 2,
  description: 'approvals are used up: when and by whom',
  ddl: (t) => [`ALTER TABLE approvals ADD COLUMN used_at ${t.ts}`, `ALTER TABLE approvals ADD COLUMN used_by ${t.text}`],
};
