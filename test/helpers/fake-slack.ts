/**
 * A strict local fake of Slack for end-to-end tests: the Web API over real HTTP (127.0.0.1, any free port) and a
 * Socket Mode WebSocket on the same port. Every call is recorded with its parsed body and headers; a method it
 * does not know answers `{ok:false, error:'unknown_method'}` and is recorded as unexpected (tests assert none).
 * Per-method budgets answer HTTP 429 with `Retry-After` when exceeded, like Slack's tiers (limits configurable).
 *
 * Payload builders for slash commands and buttons, and a signed-request helper for the HTTP receiver: slack-payloads.ts.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** A parsed JSON value, typed loosely: tests inspect it field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface FakeSlackCall {
  method: string;
  /** Form or JSON fields; form fields holding JSON (`blocks`) are parsed. */
  body: Record<string, Json>;
  headers: http.IncomingHttpHeaders;
  /** The answer's HTTP status (429 when over budget). */
  status: number;
  /** When it arrived (ms since the epoch). */
  at: number;
  /** What the fake answered (a 200 call). */
  answer?: Record<string, Json>;
}

/** What the fake saw, for benchmarks in another process (`GET /fake/stats`). */
export interface FakeSlackStats {
  total: number;
  byMethod: Record<string, number>;
  rateLimited: Record<string, number>;
  /** The most calls of each method in any 60-s window (sliding over the calls). */
  maxPerMinute: Record<string, number>;
  /** Same, per channel, for chat.postMessage (its limit is per channel). */
  maxPostsPerMinutePerChannel: number;
  unexpected: number;
  uploads: number;
}

/** Thread replies and uploaded files, for benchmarks in another process (`GET /fake/threads`). */
export interface FakeSlackThreads {
  /** Every chat.postMessage answered 200 with a `thread_ts`, in order: its fallback text and its blocks' text. */
  posts: { channel: string; threadTs: string; text: string; blocksText: string }[];
  /** The bodies of uploaded files. */
  uploads: string[];
}

/** At most `max` calls per `windowMs` (per channel when `perChannel`). */
export interface FakeLimit {
  max: number;
  windowMs: number;
  perChannel?: boolean;
}

export interface FakeSlackOptions {
  /** Members of user groups, for `usergroups.users.list`. */
  usergroups?: Record<string, string[]>;
  /** Overrides of the default budgets (a method mapped to `null` has none). */
  limits?: Record<string, FakeLimit | null>;
  /** Retry-After to answer instead of the computed one (seconds). */
  retryAfterSeconds?: number;
  /** What `auth.test` says about the bot. */
  bot?: { userId: string; botId: string; teamId: string };
}

/** Roughly Slack's tiers (SLACK.md), with bursts. */
export const DEFAULT_LIMITS: Record<string, FakeLimit> = {
  'chat.postMessage': { max: 5, windowMs: 5_000, perChannel: true },
  'chat.update': { max: 50, windowMs: 60_000 },
  'chat.postEphemeral': { max: 100, windowMs: 60_000 },
  'usergroups.users.list': { max: 20, windowMs: 60_000 },
  'users.info': { max: 100, windowMs: 60_000 },
  'apps.connections.open': { max: 50, windowMs: 60_000 },
};

export interface SocketAck {
  envelope_id: string;
  payload?: Json;
}

interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: Json[];
  threadTs?: string;
}

function parseField(v: string): Json {
  if (/^\s*[[{]/.test(v)) {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v;
}

export class FakeSlack {
  readonly calls: FakeSlackCall[] = [];
  readonly unexpected: FakeSlackCall[] = [];
  readonly acks: SocketAck[] = [];
  /** Messages as posted and updated, by `<channel>/<ts>`. */
  readonly messages = new Map<string, StoredMessage>();
  readonly uploads: { id: string; body: string }[] = [];
  private readonly sockets = new Set<WebSocket>();
  private readonly waitingAcks = new Map<string, (a: SocketAck) => void>();
  private readonly connectWaiters: (() => void)[] = [];
  private readonly callWaiters: { match: (c: FakeSlackCall) => boolean; resolve: (c: FakeSlackCall) => void }[] = [];
  private readonly windows = new Map<string, number[]>();
  private tsCounter = 0;
  /** While set, answers to `apps.connections.open` wait for it (`holdConnections`). */
  private held?: Promise<void>;
  private fileCounter = 0;
  private readonly limits: Record<string, FakeLimit>;

  private constructor(
    private readonly server: http.Server,
    private readonly wss: WebSocketServer,
    readonly port: number,
    private readonly opts: FakeSlackOptions,
  ) {
    this.limits = { ...DEFAULT_LIMITS };
    for (const [m, l] of Object.entries(opts.limits ?? {})) {
      if (l === null) delete this.limits[m];
      else this.limits[m] = l;
    }
  }

  static async start(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
    const server = http.createServer();
    const wss = new WebSocketServer({ server, path: '/link' });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeSlack(server, wss, (server.address() as AddressInfo).port, opts);
    server.on('request', (req, res) => void fake.onRequest(req, res));
    wss.on('connection', (ws) => fake.onSocket(ws));
    return fake;
  }

  /** The Web API base, for SLACK_API_URL (with the trailing slash). */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  callsTo(method: string): FakeSlackCall[] {
    return this.calls.filter((c) => c.method === method && c.status === 200);
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.get(`${channel}/${ts}`);
  }

  /** Resolves with the first call (already recorded or still to come) that matches: waits on events, not time. */
  waitFor(match: (c: FakeSlackCall) => boolean): Promise<FakeSlackCall> {
    const hit = this.calls.find(match);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve) => this.callWaiters.push({ match, resolve }));
  }

  /** Counts per method, 429s, and the busiest minute of each method. */
  stats(): FakeSlackStats {
    const byMethod: Record<string, number> = {};
    const rateLimited: Record<string, number> = {};
    const times: Record<string, number[]> = {};
    const postTimes: Record<string, number[]> = {};
    for (const c of this.calls) {
      byMethod[c.method] = (byMethod[c.method] ?? 0) + 1;
      if (c.status === 429) rateLimited[c.method] = (rateLimited[c.method] ?? 0) + 1;
      (times[c.method] ??= []).push(c.at);
      if (c.method === 'chat.postMessage') (postTimes[String(c.body.channel)] ??= []).push(c.at);
    }
    const busiest = (ts: number[]) => {
      let best = 0;
      for (let i = 0, j = 0; i < ts.length; i++) {
        while (ts[i] - ts[j] >= 60_000) j++;
        best = Math.max(best, i - j + 1);
      }
      return best;
    };
    return {
      total: this.calls.length,
      byMethod,
      rateLimited,
      maxPerMinute: Object.fromEntries(Object.entries(times).map(([m, ts]) => [m, busiest(ts)])),
      maxPostsPerMinutePerChannel: Math.max(0, ...Object.values(postTimes).map(busiest)),
      unexpected: this.unexpected.length,
      uploads: this.uploads.length,
    };
  }

  threads(): FakeSlackThreads {
    const blockText = (b: Json): string[] => [b?.text?.text ?? '', ...(b?.fields ?? []).map((f: Json) => f.text ?? ''), ...(b?.elements ?? []).map((e: Json) => e?.text ?? '')];
    const posts = this.calls
      .filter((c) => c.method === 'chat.postMessage' && c.status === 200 && c.body.thread_ts)
      .map((c) => ({ channel: String(c.body.channel), threadTs: String(c.body.thread_ts), text: String(c.body.text ?? ''), blocksText: (Array.isArray(c.body.blocks) ? c.body.blocks : []).flatMap(blockText).join('\n') }));
    return { posts, uploads: this.uploads.map((u) => u.body) };
  }

  /** Forgets recorded calls (not messages, budgets or sockets). */
  reset(): void {
    this.calls.length = 0;
    this.unexpected.length = 0;
    this.acks.length = 0;
  }

  // ---- Socket Mode ----

  /** Resolves once an app is connected (hello sent). */
  connected(): Promise<void> {
    if (this.sockets.size) return Promise.resolve();
    return new Promise((resolve) => this.connectWaiters.push(resolve));
  }

  get connections(): number {
    return this.sockets.size;
  }

  /** Closes every Socket Mode connection from Slack's side (as when Slack recycles a server); resolves once closed. */
  async dropConnections(): Promise<void> {
    await Promise.all(
      [...this.sockets].map(
        (ws) =>
          new Promise<void>((resolve) => {
            ws.once('close', () => resolve());
            ws.close(1001, 'going away');
          }),
      ),
    );
  }

  /** Holds the answers to `apps.connections.open` — no app can (re)connect — until the returned function is called. */
  holdConnections(): () => void {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    this.held = held;
    return () => {
      if (this.held === held) this.held = undefined;
      release();
    };
  }

  /** Pushes an envelope to the connected app; resolves with its ack. */
  push(type: 'slash_commands' | 'interactive' | 'events_api', payload: Json): Promise<SocketAck> {
    const ws = [...this.sockets][0];
    if (!ws) return Promise.reject(new Error('no Socket Mode connection'));
    const envelope_id = crypto.randomUUID();
    const acked = new Promise<SocketAck>((resolve) => this.waitingAcks.set(envelope_id, resolve));
    ws.send(JSON.stringify({ envelope_id, type, payload, accepts_response_payload: type !== 'events_api' }));
    return acked;
  }

  private onSocket(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (data: Buffer) => {
      let msg: SocketAck;
      try {
        msg = JSON.parse(data.toString('utf8')) as SocketAck;
      } catch {
        return;
      }
      this.acks.push(msg);
      this.waitingAcks.get(msg.envelope_id)?.(msg);
      this.waitingAcks.delete(msg.envelope_id);
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: this.sockets.size, debug_info: { host: 'fake-slack' }, connection_info: { app_id: 'A1' } }));
    for (const w of this.connectWaiters.splice(0)) w();
  }

  // ---- Web API ----

  private overBudget(method: string, body: Record<string, Json>): number | undefined {
    const limit = this.limits[method];
    if (!limit) return undefined;
    const key = limit.perChannel ? `${method}:${String(body.channel)}` : method;
    const now = Date.now();
    const window = (this.windows.get(key) ?? []).filter((t) => now - t < limit.windowMs);
    this.windows.set(key, window);
    if (window.length >= limit.max) return this.opts.retryAfterSeconds ?? Math.max(1, Math.ceil((window[0] + limit.windowMs - now) / 1000));
    window.push(now);
    return undefined;
  }

  private nextTs(): string {
    this.tsCounter += 1;
    return `1700000000.${String(this.tsCounter).padStart(6, '0')}`;
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/fake/stats') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(this.stats()));
      return;
    }
    if (url.pathname === '/fake/threads') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(this.threads()));
      return;
    }
    if (url.pathname.startsWith('/upload/')) {
      this.uploads.push({ id: url.pathname.slice('/upload/'.length), body: raw });
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`OK - ${raw.length}`);
      return;
    }
    const method = url.pathname.startsWith('/api/') ? url.pathname.slice('/api/'.length) : url.pathname;
    let body: Record<string, Json> = {};
    if ((req.headers['content-type'] ?? '').includes('application/json')) {
      try {
        body = JSON.parse(raw || '{}') as Record<string, Json>;
      } catch {
        body = { raw };
      }
    } else {
      for (const [k, v] of new URLSearchParams(raw)) body[k] = parseField(v);
    }
    for (const [k, v] of url.searchParams) body[k] ??= parseField(v);
    const call: FakeSlackCall = { method, body, headers: req.headers, status: 200, at: Date.now() };
    this.calls.push(call);
    const retryAfter = this.overBudget(method, body);
    if (retryAfter !== undefined) {
      call.status = 429;
      res.writeHead(429, { 'Retry-After': String(retryAfter), 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    if (method === 'apps.connections.open' && this.held) await this.held;
    const answer = this.answer(method, body);
    if (!answer) {
      this.unexpected.push(call);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: false, error: 'unknown_method' }));
      return;
    }
    call.answer = answer;
    this.notify(call);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer));
  }

  /** Called after the answer is decided (a 200 call) so waiters see the state it produced. */
  private notify(call: FakeSlackCall): void {
    setImmediate(() => {
      for (const w of [...this.callWaiters]) {
        if (!w.match(call)) continue;
        this.callWaiters.splice(this.callWaiters.indexOf(w), 1);
        w.resolve(call);
      }
    });
  }

  private answer(method: string, b: Record<string, Json>): Record<string, unknown> | undefined {
    const bot = this.opts.bot ?? { userId: 'UBOT', botId: 'BBOT', teamId: 'T1' };
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://fake.slack.test/', team: 'Fake', user: 'istio-migrate', team_id: bot.teamId, user_id: bot.userId, bot_id: bot.botId };
      case 'chat.postMessage': {
        if (!b.channel) return { ok: false, error: 'channel_not_found' };
        const ts = this.nextTs();
        this.messages.set(`${b.channel}/${ts}`, { channel: String(b.channel), ts, text: String(b.text ?? ''), blocks: (b.blocks as Json[]) ?? [], threadTs: b.thread_ts as string | undefined });
        return { ok: true, channel: b.channel as string, ts, message: { text: b.text as string, blocks: b.blocks as Json[], bot_id: bot.botId, ts } };
      }
      case 'chat.update': {
        const m = this.message(String(b.channel), String(b.ts));
        if (!m) return { ok: false, error: 'message_not_found' };
        m.text = String(b.text ?? m.text);
        m.blocks = (b.blocks as Json[]) ?? m.blocks;
        return { ok: true, channel: b.channel, ts: b.ts, text: m.text };
      }
      case 'chat.postEphemeral':
        if (!b.channel || !b.user) return { ok: false, error: 'invalid_arguments' };
        return { ok: true, message_ts: this.nextTs() };
      case 'usergroups.users.list': {
        const users = this.opts.usergroups?.[String(b.usergroup)];
        return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
      }
      case 'users.info':
        return { ok: true, user: { id: b.user, name: String(b.user).toLowerCase(), real_name: `User ${String(b.user)}`, is_bot: false } };
      case 'apps.connections.open':
        return { ok: true, url: `ws://127.0.0.1:${this.port}/link?ticket=${crypto.randomUUID()}` };
      case 'files.getUploadURLExternal': {
        const id = `F${++this.fileCounter}`;
        return { ok: true, upload_url: `http://127.0.0.1:${this.port}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal':
        return { ok: true, files: ((b.files as { id: string; title?: string }[]) ?? []).map((f) => ({ id: f.id, title: f.title ?? '' })) };
      default:
        return undefined;
    }
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// Payloads and the signed POST to the HTTP receiver live in slack-payloads.ts; re-exported for the tests.
export * from './slack-payloads.js';
