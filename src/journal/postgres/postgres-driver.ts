/**
 * PostgreSQL (pg) behind the SQL store's `Driver`: a pool, named statements (each pooled connection prepares them
 * once), transactions on one pooled connection, and every failure to reach the database rethrown as
 * `JournalUnavailableError`. json/jsonb columns come back as text, as from SQLite: the store's mappers parse them.
 */
import pg from 'pg';
import { JournalUnavailableError } from '../errors.js';
import type { Driver, Rows, Session } from '../sql/dialect.js';

export interface PostgresJournalOptions {
  /** A schema of its own (created if absent, first on every connection's search_path); tests isolate with it. */
  schema?: string;
  /** Never create `schema`: a command that only reads a journal must not start one (open-journal.ts says what is missing). */
  mustExist?: boolean;
  /** Pool size (default 20): the wave runner's concurrency is served by this many connections. */
  poolMax?: number;
  /** Errors of idle pooled connections (the pool drops such a connection); ignored unless given. */
  onError?: (err: Error) => void;
  /** How long to wait for a connection (default 5 s; $ISTIO_MIGRATE_PG_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
  /**
   * How long one statement may take, judged by the client (no answer: the connection is dropped) and by the server
   * (statement_timeout) — default 10 s; $ISTIO_MIGRATE_PG_QUERY_TIMEOUT_MS.
   */
  queryTimeoutMs?: number;
}

/**
 * Why a pg error means the database cannot be reached (rather than that a statement is wrong), in a few words; or
 * undefined when it does not. pg gives most connection failures no code, so its fixed messages are matched here —
 * the one place that does.
 */
export function connectionLost(e: unknown): string | undefined {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === 'string' ? err.code : '';
  const msg = typeof err?.message === 'string' ? err.message : '';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (['ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) return 'host unreachable';
  // SQLSTATE 57014: statement timeout (the server's limit).
  if (code === 'ETIMEDOUT' || code === '57014' || /timeout exceeded when trying to connect|Query read timeout|connection timeout/i.test(msg)) return 'no answer in time';
  // SQLSTATE 08: connection exception; 57P01–57P03: the server is shutting down or not accepting connections.
  if (/^08/.test(code) || ['57P01', '57P02', '57P03'].includes(code)) return 'the server closed the connection';
  if (['ECONNRESET', 'EPIPE'].includes(code) || /Connection terminated|connection error|Client was closed|not queryable/i.test(msg)) return 'connection lost';
  return undefined;
}

export function isConnectionLost(e: unknown): boolean {
  return connectionLost(e) !== undefined;
}

/** Rethrows a lost connection as JournalUnavailableError; anything else as it is. */
export function classify(e: unknown): never {
  const reason = e instanceof JournalUnavailableError ? undefined : connectionLost(e);
  if (!reason) throw e;
  throw new JournalUnavailableError(reason, e);
}

const CLOSE_TIMEOUT_MS = 3_000;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const JSON_OIDS = new Set([114, 3802]);

/** json and jsonb as text; everything else as pg parses it. */
const types = {
  getTypeParser: ((oid: number): ((v: string) => unknown) => (JSON_OIDS.has(oid) ? (v: string) => v : (pg.types.getTypeParser(oid) as (v: string) => unknown))) as typeof pg.types.getTypeParser,
};

type Queryable = pg.Pool | pg.PoolClient;

async function query<R>(on: Queryable, name: string | undefined, text: string, values: readonly unknown[] = []): Promise<Rows<R>> {
  const res = await on.query<R & pg.QueryResultRow>(name === undefined ? { text, values: [...values] } : { name, text, values: [...values] }).catch(classify);
  return { rows: res.rows, changes: res.rowCount ?? 0 };
}

export class PostgresDriver implements Driver {
  private closed = false;

  private constructor(private readonly pool: pg.Pool) {}

  /** Connects a pool (and creates `opts.schema` if given, unless `mustExist`); fails fast when the server cannot be reached. */
  static async connect(url: string, opts: PostgresJournalOptions = {}): Promise<PostgresDriver> {
    const { schema } = opts;
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new Error(`invalid journal schema name ${JSON.stringify(schema)} (lower-case letters, digits, _)`);
    const connectTimeoutMs = opts.connectTimeoutMs ?? (Number(process.env.ISTIO_MIGRATE_PG_CONNECT_TIMEOUT_MS) || 5_000);
    const queryTimeoutMs = opts.queryTimeoutMs ?? (Number(process.env.ISTIO_MIGRATE_PG_QUERY_TIMEOUT_MS) || 10_000);
    // A lost database must fail statements within seconds, never hang them: a connect timeout, a client-side query
    // timeout (an answer that never comes), the same limit on the server, idle connections closed, and TCP keepalive
    // so that a dead peer is noticed on idle connections too.
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.poolMax ?? 20,
      options: [schema ? `-c search_path=${schema}` : '', `-c statement_timeout=${queryTimeoutMs}`, `-c idle_in_transaction_session_timeout=${queryTimeoutMs * 3}`].filter(Boolean).join(' '),
      connectionTimeoutMillis: connectTimeoutMs,
      query_timeout: queryTimeoutMs + 1_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 5_000,
      types,
    });
    pool.on('error', (err) => opts.onError?.(err));
    try {
      if (schema && !opts.mustExist) {
        try {
          await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        } catch (e) {
          // Two processes creating the same schema at once: the loser gets a unique violation; the schema exists.
          if ((e as { code?: string }).code !== '23505') throw e;
        }
      } else {
        await pool.query('SELECT 1');
      }
    } catch (e) {
      await pool.end();
      classify(e);
    }
    return new PostgresDriver(pool);
  }

  query<R>(name: string | undefined, sql: string, params?: readonly unknown[]): Promise<Rows<R>> {
    return query<R>(this.pool, name, sql, params);
  }

  async tx<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    const c = await this.pool.connect().catch(classify);
    let lost = false;
    try {
      await c.query('BEGIN');
      const out = await fn({ query: (name, sql, params) => query(c, name, sql, params) });
      await c.query('COMMIT');
      return out;
    } catch (e) {
      lost = isConnectionLost(e) || e instanceof JournalUnavailableError;
      if (!lost) await c.query('ROLLBACK').catch(() => undefined);
      classify(e);
    } finally {
      // A connection that was lost is not given back to the pool for reuse.
      c.release(lost);
    }
  }

  /** Ends the pool after `before` (pending writes), bounded: with the database unreachable, a goodbye may never be answered. */
  async close(before: () => Promise<void> = () => Promise.resolve()): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)));
    await Promise.race([(async () => {
      await before();
      await this.pool.end();
    })(), late]).finally(() => clearTimeout(timer));
  }
}
