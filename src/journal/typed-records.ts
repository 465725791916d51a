/**
 * The records that were once strings under prefixed keys of a settings table (migration 4 moved them): each has a
 * type and a table of its own. The rollout writes freezes, wave budgets, verdicts and limits; the bot claims the
 * landscape; chat writes message references, wave-final summaries and approval requests.
 */

/** A freeze of `all` or of one environment: no new wave and no new runtime start there while it holds. */
export interface Freeze {
  scope: string;
  /** Who froze it (null: frozen by a version of the bot that did not record it). */
  frozenBy: string | null;
  frozenAt: string;
}

/** What holds a running wave's concurrency now, and why (the runner keeps the latest; `status` shows it). */
export interface WaveLimit {
  /** Runtimes in flight now. */
  inFlight: number;
  /** How many may be in flight now. */
  limit: number;
  /** The requested concurrency. */
  requested: number;
  /** Why the limit is what it is ("held at 3 by the budget guard: …", "backing off: LM latency ×2.1"). */
  cause: string;
  /** Runtimes held by their maintenance window or the freeze calendar, and when the first may start (rollout/start-gate.ts). */
  waiting?: { runtimes: number; nextStart: number | null };
}

/** One change of a wave's limit: from `t` (epoch seconds) on, `limit` of `requested`, for `cause`. */
export interface LimitPoint {
  t: number;
  limit: number;
  requested: number;
  cause: string;
}

/** The landscape a journal belongs to (the first use records it; another landscape is refused). */
export interface LandscapeClaim {
  id: string;
  description: string;
  recordedAt: string;
}

/** A message posted in chat for a wave (its parent message), a task or a plan: where it is, to thread under it. */
export type ChatMessageKind = 'wave' | 'task' | 'plan';

export interface ChatMessageRef {
  channel: string;
  ts: string;
}

/** The end-of-wave summary chat posts once: claimed (`started`) before it is computed, then `done` with it. */
export interface WaveFinal {
  state: 'started' | 'done';
  /** The summary as chat renders it (a document the journal does not look into). */
  final?: unknown;
}

/**
 * What an approved request runs, as the requester: `command` re-dispatches the refused command; `run` and
 * `task-rename` are kept for requests recorded by earlier versions.
 */
export type FollowUp = { kind: 'run' } | { kind: 'task-rename'; taskId: string } | { kind: 'command'; name: string; argv: string[] };

/** What an approval request is about (absent in requests of earlier versions: the plan). */
export type ApprovalSubject = { kind: 'plan' } | { kind: 'wave'; waveId: string } | { kind: 'task'; taskId: string; runtimeId: string };

/** An on-call approval request posted in chat; keyed by plan hash + action (`id`). The approval itself is an `Approval`. */
export interface ApprovalRequest {
  id: string;
  planHash: string;
  action: string;
  env: string;
  target: string;
  requester: string;
  channel: string;
  /** The approval message. */
  ts: string;
  threadTs?: string;
  then: FollowUp;
  subject?: ApprovalSubject;
  requestedAt: string;
  expiresAt: string;
  state: 'pending' | 'approved';
  approvedBy?: string;
  approvedAt?: string;
}

/** The typed records' part of the Journal interface. */
export interface TypedRecords {
  /** The scopes frozen now (`all`, environments), sorted. */
  frozenScopes(): Promise<string[]>;
  listFreezes(): Promise<Freeze[]>;
  /** Freezes a scope; freezing a frozen one keeps who froze it first. */
  freeze(scope: string, by: string, now?: Date): Promise<void>;
  /** Lifts a scope's freeze; true when it was frozen. */
  unfreeze(scope: string): Promise<boolean>;

  /** A wave's error budget raised by `resume --budget` (undefined: the environment's default applies). */
  raisedBudget(waveId: string): Promise<number | undefined>;
  setRaisedBudget(waveId: string, budget: number): Promise<void>;

  /** `verify`'s verdict on a finished wave: `ok` or `failed`. */
  waveVerdict(waveId: string): Promise<'ok' | 'failed' | undefined>;
  setWaveVerdict(waveId: string, verdict: 'ok' | 'failed'): Promise<void>;

  /** A running wave's latest limit (null clears it: the run ended). */
  waveLimit(waveId: string): Promise<WaveLimit | undefined>;
  setWaveLimit(waveId: string, limit: WaveLimit | null): Promise<void>;
  /** A wave's limit history, oldest first (empty: none kept). */
  waveLimitHistory(waveId: string): Promise<LimitPoint[]>;
  setWaveLimitHistory(waveId: string, history: LimitPoint[]): Promise<void>;

  landscapeClaim(): Promise<LandscapeClaim | undefined>;
  /** Records the landscape unless one is recorded; returns the one recorded (the given one when it was first). */
  claimLandscape(claim: LandscapeClaim): Promise<LandscapeClaim>;

  chatMessage(kind: ChatMessageKind, subject: string): Promise<ChatMessageRef | undefined>;
  setChatMessage(kind: ChatMessageKind, subject: string, ref: ChatMessageRef): Promise<void>;

  waveFinal(waveId: string): Promise<WaveFinal | undefined>;
  setWaveFinal(waveId: string, final: WaveFinal): Promise<void>;
  /** Claims the wave's final summary: true for the one caller that recorded `started`, false when it was there. */
  claimWaveFinal(waveId: string): Promise<boolean>;

  approvalRequest(id: string): Promise<ApprovalRequest | undefined>;
  /** Records a request, or replaces the one with its id (pending → approved). */
  saveApprovalRequest(req: ApprovalRequest): Promise<void>;

  /** Answers when the store does (readiness). */
  ping(): Promise<void>;
}
