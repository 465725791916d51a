/**
 * What the one SQL store needs from a database: a session that runs statements written with `$1…` placeholders,
 * transactions, and the few SQL fragments in which SQLite and PostgreSQL differ.
 */

export interface Rows<R> {
  rows: R[];
  /** Rows changed (or returned, for a statement with RETURNING). */
  changes: number;
}

export interface Session {
  /**
   * Runs one statement. `name` (when given) lets the driver prepare it once per connection: one name, one SQL text.
   * Parameters are strings, numbers, null, or a dialect's `list(…)`.
   */
  query<R = Record<string, unknown>>(name: string | undefined, sql: string, params?: readonly unknown[]): Promise<Rows<R>>;
}

export interface Driver extends Session {
  /** Runs `fn` in one transaction (committed when it resolves, rolled back when it throws). */
  tx<T>(fn: (s: Session) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface Dialect {
  /** The current time as a stored timestamp. */
  readonly now: string;
  /** `column` is one of the values of the list parameter `param`. */
  inList(column: string, param: string): string;
  /** The list parameter `param` is null (no filter). */
  listIsNull(param: string): string;
  /** A list of strings as a parameter for `inList` (null: none). */
  list(values: readonly string[] | null | undefined): unknown;
  /** The text of key `key` of JSON column `column`. */
  jsonText(column: string, key: string): string;
  /** Key `key` of JSON column `column` is true. */
  jsonTrue(column: string, key: string): string;
  /** The LIMIT parameter meaning "no limit". */
  readonly noLimit: number | null;
  /**
   * Serialises transactions on one key until the transaction ends (PostgreSQL: an advisory lock on
   * `istio-migrate:<prefix><schema><suffix>`); SQLite's BEGIN IMMEDIATE holds the write lock already.
   */
  lock(s: Session, prefix: string, suffix: string): Promise<void>;
}

/** Column types of the schema, so that each migration is written once for both stores. */
export interface DdlTypes {
  /** An identity primary key. */
  readonly id: string;
  readonly text: string;
  readonly int: string;
  readonly json: string;
  readonly ts: string;
  /** A NOT NULL timestamp column that PostgreSQL defaults to now() (SQLite: always given). */
  readonly tsNow: string;
  /** Lease and seen-once expiry: SQLite epoch milliseconds in `expires_at_ms`, PostgreSQL timestamptz `expires_at`. */
  readonly expiry: { readonly column: string; readonly type: string };
}
