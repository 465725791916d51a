/** The journal's errors: what a caller may catch and tell apart by `code`. */
import type { WaveState } from './journal.js';
import path from 'node:path';

/** `createWave({ exclusive: true })` refused: the environment already has an active wave. */
export class WaveActiveError extends Error {
  readonly code = 'wave-active';
  constructor(
    readonly env: string,
    readonly waveId: string,
    readonly state: WaveState,
  ) {
    super(`environment ${env} already has an active wave: ${waveId} (${state}); one wave per environment at a time`);
    this.name = 'WaveActiveError';
  }
}

/** A write addressed a wave, runtime or task the journal does not hold. */
export class JournalNotFoundError extends Error {
  readonly code = 'journal-not-found';
  constructor(what: string) {
    super(`journal has no ${what}`);
    this.name = 'JournalNotFoundError';
  }
}

/** `createWave({ consumeApproval })` refused: the approval was used by another wave (or command) in the meantime. */
export class ApprovalUsedError extends Error {
  readonly code = 'approval-used';
  constructor(readonly approvalId: number) {
    super(`approval ${approvalId} was used already: each wave needs an approval of its own`);
    this.name = 'ApprovalUsedError';
  }
}

/**
 * A runner's write to a runtime of a wave was refused: `not-lease-holder` — the writer does not hold the wave's lease
 * (it lost it, or another runner holds it); `finished` — the runtime has a final result, which is never overwritten.
 */
export class RuntimeWriteRefusedError extends Error {
  readonly code = 'runtime-write-refused';
  constructor(
    readonly waveId: string,
    readonly runtimeId: string,
    readonly reason: 'not-lease-holder' | 'finished',
    readonly holder?: string,
  ) {
    super(
      reason === 'finished'
        ? `runtime ${runtimeId} of wave ${waveId} is already finished: its result is never overwritten`
        : holder
          ? `runner ${holder} does not hold the lease of wave ${waveId}: its write to runtime ${runtimeId} is refused`
          : `wave ${waveId} has a lease: a write to runtime ${runtimeId} without its holder is refused (pass the lease holder, e.g. "host:1234:ab12")`,
    );
    this.name = 'RuntimeWriteRefusedError';
  }
}

/**
 * The journal cannot be reached (connection refused, lost or timed out; the server shutting down). Nothing is known
 * to have been written by the statement that failed. `reason` says which, in a few words (never a raw driver
 * message); `waveId`: the wave whose runner stopped because of it.
 */
export class JournalUnavailableError extends Error {
  readonly code = 'journal-unavailable';
  constructor(
    readonly reason: string,
    cause: unknown,
    readonly waveId?: string,
    readonly store: JournalStore = POSTGRES_STORE,
  ) {
    super(
      waveId
        ? `the journal (${store.name}) ${store.trouble} (${reason}): wave ${waveId} stopped — it started nothing more, and its runtimes in flight were left at their last checkpoints (re-checked by state on resume, never patched twice). Once the journal ${store.again}: istio-migrate resume ${waveId} --yes`
        : `the journal (${store.name}) ${store.trouble} (${reason}); ${store.check}, then try again`,
      { cause },
    );
    this.name = 'JournalUnavailableError';
  }

  /** The same failure, as the reason wave `waveId` stopped. */
  forWave(waveId: string): JournalUnavailableError {
    return new JournalUnavailableError(this.reason, this.cause, waveId, this.store);
  }
}

/** How a JournalUnavailableError names its store and what is wrong with it. */
export interface JournalStore {
  name: string;
  trouble: string;
  /** "Once the journal …" */
  again: string;
  check: string;
}

const POSTGRES_STORE: JournalStore = { name: 'PostgreSQL', trouble: 'is unreachable', again: 'answers again', check: 'check the database and the network to it' };

/** A SQLite journal file that stopped taking writes (disk full, read-only, I/O error, locked too long). */
export function sqliteStore(file: string): JournalStore {
  return { name: `SQLite file ${file}`, trouble: 'cannot be written', again: 'can be written again', check: 'free disk space or fix the file and its directory' };
}

/**
 * The journal's file cannot serve as a journal (code `config`: exit 2): not a database, another program's database,
 * read-only, or not creatable. The message names the file and what to do.
 */
export class JournalFileError extends Error {
  readonly code = 'config';
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'JournalFileError';
  }
}

/** Where a journal was looked for, as the configuration names it. */
export type JournalPlace =
  /** A SQLite file (`journal.sqlite.file`), and whether its directory exists. */
  | { kind: 'sqlite'; file: string; dirExists: boolean }
  /** A PostgreSQL schema (`journal.postgres.schema`; none: the search path's, normally `public`), and whether it exists. */
  | { kind: 'postgres'; schema?: string; schemaExists: boolean };

/**
 * No journal where the configuration says (code `config`: exit 2), met by a command that only reads or amends what a
 * journal holds: nothing was created, so that a mistyped path or schema, or an unmounted volume, never starts a
 * second, empty history beside the real one. `absent`: no file (or no schema); `empty`: the file or schema exists
 * but holds no journal. `configFile`: the configuration that names the journal, when there is one.
 */
export class JournalMissingError extends Error {
  readonly code = 'config';
  constructor(
    readonly place: JournalPlace,
    readonly state: 'absent' | 'empty',
    readonly configFile?: string,
  ) {
    super(`${missingWhat(place, state)}, and nothing was created. ${checkHint(place, configFile)}. A journal is created by the first plan or run`);
    this.name = 'JournalMissingError';
  }
}

function missingWhat(p: JournalPlace, state: 'absent' | 'empty'): string {
  if (p.kind === 'sqlite') {
    const dir = path.dirname(p.file);
    if (state === 'empty') return `no journal at ${p.file}: the file exists but holds no journal`;
    return `no journal at ${p.file}: the file does not exist (${p.dirExists ? `its directory ${dir} exists` : `its directory ${dir} does not exist either — a volume not mounted?`})`;
  }
  const schema = p.schema ? `PostgreSQL schema ${p.schema}` : 'the PostgreSQL search path (schema public)';
  if (state === 'absent') return `no journal: ${schema} does not exist`;
  return `no journal: ${schema} holds none (no schema_version table)`;
}

/** What to check: the configuration key (and file) that names the journal. */
export function checkHint(p: JournalPlace, configFile?: string): string {
  const where = configFile ? ` in ${configFile}` : ' in the configuration';
  return p.kind === 'sqlite'
    ? `Check journal.sqlite.file${where} (a relative path is read from the configuration file's directory)`
    : `Check journal.postgres.schema${where} and the database its URL names`;
}

/** How a person finds a journal: `at FILE` or `in PostgreSQL schema S`. */
export function journalPlaceText(p: JournalPlace): string {
  return p.kind === 'sqlite' ? `at ${p.file}` : p.schema ? `in PostgreSQL schema ${p.schema}` : 'in the PostgreSQL search path (schema public)';
}
