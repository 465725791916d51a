/**
 * What Slack sends the app, for end-to-end tests: slash-command and button payloads, and a POST to the HTTP
 * receiver signed like Slack's (fake-slack.ts re-exports all of it).
 */
import crypto from 'node:crypto';
import http from 'node:http';

/** A parsed JSON value, typed loosely: tests inspect it field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface SlashOptions {
  user?: string;
  channel?: string;
  command?: string;
}

/** A slash-command payload as Slack sends it (form fields; Socket Mode sends the same as JSON). */
export function slashPayload(text: string, o: SlashOptions = {}): Record<string, string> {
  return {
    token: 'verification-token',
    team_id: 'T1',
    team_domain: 'fake',
    channel_id: o.channel ?? 'C1',
    channel_name: 'rollout',
    user_id: o.user ?? 'U1',
    user_name: (o.user ?? 'U1').toLowerCase(),
    command: o.command ?? '/istio-migrate',
    text,
    api_app_id: 'A1',
    is_enterprise_install: 'false',
    response_url: 'https://hooks.slack.test/commands/T1/1/x',
    trigger_id: `${Date.now()}.1.abc`,
  };
}

/** A `block_actions` payload: `user` clicked the button `actionId` on a message the fake holds. */
export function buttonPayload(message: { channel: string; ts: string; text: string; blocks: Json[] }, actionId: string, user = 'U1'): Json {
  const button = message.blocks.flatMap((b: Json) => (b.type === 'actions' ? b.elements : [])).find((e: Json) => e.action_id === actionId);
  return {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), team_id: 'T1' },
    api_app_id: 'A1',
    token: 'verification-token',
    container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
    trigger_id: `${Date.now()}.1.def`,
    team: { id: 'T1', domain: 'fake' },
    channel: { id: message.channel, name: 'rollout' },
    message: { type: 'message', ts: message.ts, text: message.text, blocks: message.blocks, bot_id: 'BBOT', user: 'UBOT' },
    response_url: 'https://hooks.slack.test/actions/T1/1/y',
    actions: [{ action_id: actionId, block_id: 'b1', value: button?.value ?? '', type: 'button', action_ts: `${Date.now() / 1000}`, text: { type: 'plain_text', text: button?.text?.text ?? '' } }],
  };
}

export interface SignedOptions {
  /** Unix seconds (default now). */
  timestamp?: number;
  /** A signature to send instead of the right one. */
  signature?: string;
  /** Send no signature headers at all. */
  unsigned?: boolean;
}

export interface SignedResponse {
  status: number;
  body: string;
  /** Wall time until the response was complete. */
  ms: number;
}

/** POSTs a form body to the HTTP receiver, signed like Slack (v0 HMAC-SHA256 over `v0:ts:body`). */
export function postSigned(url: string, form: Record<string, string>, secret: string, o: SignedOptions = {}): Promise<SignedResponse> {
  return postSignedBody(url, new URLSearchParams(form).toString(), 'application/x-www-form-urlencoded', secret, o);
}

/** POSTs any body with its content type, signed like Slack. */
export function postSignedBody(url: string, body: string, contentType: string, secret: string, o: SignedOptions = {}): Promise<SignedResponse> {
  const ts = o.timestamp ?? Math.floor(Date.now() / 1000);
  const sig = o.signature ?? `v0=${crypto.createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
  const headers: Record<string, string> = { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(body)) };
  if (!o.unsigned) {
    headers['X-Slack-Signature'] = sig;
    headers['X-Slack-Request-Timestamp'] = String(ts);
  }
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
