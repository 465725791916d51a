/** One numbered schema migration of the journal (see index.ts for how they are applied). */
import type { DdlTypes, Dialect, Session } from '../sql/dialect.js';

export interface Migration {
  version: number;
  description: string;
  ddl(t: DdlTypes): string[];
  /** Moves rows after the DDL, in the same transaction. */
  move?(s: Session, d: Dialect): Promise<void>;
}
