/**
 * HTTP exchanges on an undici dispatcher through its handler interface (`dispatcher.dispatch`), the layer that
 * undici's own `request` is built on. kube-client.ts sends every custom-object request and every watch this way.
 *
 * Why not `request`: for each call it wraps the answer in a node Readable stream and, given a stop signal, adds
 * and removes an abort listener on it. For the small JSON answers of a migration that plumbing cost more CPU than
 * reading the answer (bench/wave.bench.ts), so the calls other than POST and watches went without the stop signal.
 * Here an answer is collected as Buffers, and a stop reaches every exchange in flight through one listener per
 * signal, shared while any exchange is in flight (`followStop`, stop-followers.ts): every request can be cut off by a stop, and while
 * a wave keeps requests in flight that costs a Set insertion each.
 *
 * Only transport lives here: status codes and errors are the caller's (errors.ts classifies them).
 */
import { StringDecoder } from 'node:string_decoder';
import { util, type Dispatcher } from 'undici';
import { followStop, type Stoppable } from './stop-followers.js';

/** What an exchange sends: the dispatcher's own options (origin, path with query, method, headers, body, timeouts). */
export type ExchangeRequest = Dispatcher.DispatchOptions;

/** A whole answer. */
export interface Answer {
  statusCode: number;
  text: string;
  /** The answer's headers, lower-case names (parsed on demand: only error answers need them). */
  headers: () => Record<string, string>;
}

function noop(): void {}

/**
 * Runs `fn` with V8's stack traces off. Cutting an exchange off makes undici build (and format the stack of) an
 * error nobody reads, and a wave stops a watch for every runtime. `fn` must be synchronous.
 */
function withoutStackTraces(fn: () => void): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    fn();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function headersOf(raw: Buffer[] | string[] | null): () => Record<string, string> {
  return () => {
    const out: Record<string, string> = {};
    if (!raw) return out;
    for (const [k, v] of Object.entries(util.parseHeaders(raw))) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    return out;
  };
}

/** The common part of both handlers: the abort undici hands over, and a stop that may come before it. */
abstract class Handler implements Stoppable {
  protected status = 0;
  private raw: Buffer[] | string[] | null = null;
  private cut?: (reason: unknown) => void;
  private stopReason: { reason: unknown } | undefined;
  protected unfollow: () => void = noop;

  onConnect(abort: (reason?: unknown) => void): void {
    if (this.stopReason) abort(this.stopReason.reason);
    else this.cut = abort;
  }

  stop(reason: unknown): void {
    if (this.stopReason) return;
    this.stopReason = { reason };
    const cut = this.cut;
    if (cut) withoutStackTraces(() => cut(reason));
  }

  onHeaders(statusCode: number, raw: Buffer[] | string[] | null): boolean {
    this.status = statusCode;
    this.raw = raw;
    return true;
  }

  /** The whole answer, from its body's chunks. */
  protected answer(chunks: Buffer[]): Answer {
    const text = chunks.length === 0 ? '' : chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
    return { statusCode: this.status, text, headers: headersOf(this.raw) };
  }

  /** Stopped with `signal`; one already stopped stops this exchange before it is sent. */
  protected follow(signal: AbortSignal | undefined): void {
    this.unfollow = followStop(signal, this);
  }

  onUpgrade(): void {}
}

/** Collects a whole answer. */
class Collect extends Handler {
  private readonly chunks: Buffer[] = [];

  constructor(
    private readonly resolve: (a: Answer) => void,
    private readonly reject: (e: unknown) => void,
    signal: AbortSignal | undefined,
  ) {
    super();
    this.follow(signal);
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    this.unfollow();
    this.resolve(this.answer(this.chunks));
  }

  onError(e: unknown): void {
    this.unfollow();
    this.reject(e);
  }
}

/** Sends one request and reads its whole answer; a stop of `signal` cuts it off (the promise rejects with the reason). */
export function exchange(dispatcher: Dispatcher, req: ExchangeRequest, signal?: AbortSignal): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    dispatcher.dispatch(req, new Collect(resolve, reject, signal) as unknown as Dispatcher.DispatchHandler);
  });
}

/** An open stream of lines (a watch). */
export interface LineStream {
  /** Settles when the stream ends: `null` on a clean close, an idle timeout, a stop or `close()`; the error otherwise. */
  done: Promise<unknown>;
  close: () => void;
}

/** A 200 answer opens the stream; any other status is read whole and returned for the caller to classify. */
export type Opened = { open: true; stream: LineStream } | { open: false; answer: Answer };

/** Streams an answer's lines to `onLine` as they arrive; `onLine` throwing ends the stream with that error. */
class Lines extends Handler {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private refusal: Buffer[] | undefined;
  private ended = false;
  private settle: (v: unknown) => void = noop;
  private readonly done = new Promise<unknown>((resolve) => (this.settle = resolve));

  constructor(
    private readonly resolve: (o: Opened) => void,
    private readonly reject: (e: unknown) => void,
    private readonly onLine: (line: string) => void,
    signal: AbortSignal | undefined,
  ) {
    super();
    this.follow(signal);
  }

  private end(v: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.unfollow();
    this.settle(v);
  }

  override stop(reason: unknown): void {
    this.end(null);
    super.stop(reason);
  }

  override onHeaders(statusCode: number, raw: Buffer[] | string[] | null): boolean {
    super.onHeaders(statusCode, raw);
    if (statusCode === 200) this.resolve({ open: true, stream: { done: this.done, close: () => this.stop(null) } });
    else this.refusal = [];
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.refusal) {
      this.refusal.push(chunk);
      return true;
    }
    if (this.ended) return true;
    this.pending += this.decoder.write(chunk);
    for (let nl = this.pending.indexOf('\n'); nl >= 0 && !this.ended; nl = this.pending.indexOf('\n')) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      try {
        this.onLine(line);
      } catch (e) {
        this.end(e);
        super.stop(e);
      }
    }
    return true;
  }

  onComplete(): void {
    if (this.refusal) {
      this.unfollow();
      this.resolve({ open: false, answer: this.answer(this.refusal) });
    } else this.end(null);
  }

  onError(e: unknown): void {
    if (this.status === 0 || this.refusal) {
      this.unfollow();
      this.reject(e);
    } else this.end((e as { code?: string } | null)?.code === 'UND_ERR_BODY_TIMEOUT' ? null : e);
  }
}

/**
 * Opens a stream (a watch) and hands each line of its answer to `onLine`. A stop of `signal` or `close()` ends it
 * with `null` and closes its connection (over HTTP/1.1 the only way to end an answer early).
 */
export function openLines(dispatcher: Dispatcher, req: ExchangeRequest, onLine: (line: string) => void, signal?: AbortSignal): Promise<Opened> {
  return new Promise<Opened>((resolve, reject) => {
    dispatcher.dispatch(req, new Lines(resolve, reject, onLine, signal) as unknown as Dispatcher.DispatchHandler);
  });
}
