/**
 * How the app talks to Slack (C6): Socket Mode when SLACK_APP_TOKEN is set, else the HTTP receiver on PORT at
 * `/slack/events` (Bolt checks the request signature and its age; request-guard.ts refuses timestamps ahead and
 * replays), which serves `/healthz`, `/readyz` and `/metrics` too (Bolt `customRoutes`). SLACK_API_URL points the
 * Web API — and Socket Mode's `apps.connections.open`, which Bolt passes through
 * `installerOptions.clientOptions` — at another base URL.
 *
 * `isConnected()` (the `slack` readiness check): HTTP mode — the receiver listens (auth.test passed at init);
 * Socket Mode — the WebSocket is open and Slack said hello (the receiver's client's `connected` / `disconnected` /
 * `reconnecting` events). After the server closes the socket the client waits before it reconnects (and says
 * nothing until then), so the socket's own state is asked too.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import bolt from '@slack/bolt';
import type { webApi } from '@slack/bolt';
import type { Services } from '../../app/services.js';
import { healthRoutes, type ReadinessCheck } from '../../observability/health.js';
import type { Metrics } from '../../observability/metrics.js';
import { boltLogger, slackErrorCode, type ChatLogger } from './logger.js';
import { guardSlackRequests } from './request-guard.js';
import type { SlackSettings } from './settings.js';

const { App, HTTPReceiver, LogLevel, SocketModeReceiver } = bolt;
export type BoltApp = InstanceType<typeof App>;

export class SlackSettingsError extends Error {
  readonly code = 'config';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

export interface Transport {
  app: BoltApp;
  /** The caller's readiness checks and `slack`. */
  checks: ReadinessCheck[];
  isConnected(): boolean;
  /** Starts the receiver (Socket Mode: resolves once connected); the HTTP receiver's port. */
  start(): Promise<{ port?: number }>;
  /** Stops the receiver (Socket Mode: waits for the WebSocket to close). */
  stop(): Promise<void>;
}

/** Builds the app on its receiver and checks the bot token (`auth.test`, awaited: a bad token fails with a clear error). */
export async function connectSlack(
  settings: SlackSettings,
  o: { services: Services; log: ChatLogger; metrics: Metrics; readiness?: readonly ReadinessCheck[]; clientOptions?: Partial<webApi.WebClientOptions> },
): Promise<Transport> {
  const { services, log } = o;
  const clientOptions: webApi.WebClientOptions = {
    retryConfig: { retries: 5, factor: 2, minTimeout: 500, maxTimeout: 30_000 },
    ...o.clientOptions,
    ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}),
    rejectRateLimitedCalls: true,
  };
  const logger = boltLogger(log);
  // Socket Mode's client mutates the options it gets; give it a copy.
  const common = { token: settings.botToken, logger, logLevel: LogLevel.INFO, clientOptions: { ...clientOptions }, deferInitialization: true };
  // Socket Mode: the receiver is built here so that stop() can wait for the WebSocket to close and readiness can
  // follow the connection.
  const socketReceiver =
    settings.mode === 'socket' ? new SocketModeReceiver({ appToken: settings.appToken!, logger, logLevel: LogLevel.INFO, installerOptions: { clientOptions: { ...clientOptions } } }) : undefined;
  let connected = false;
  let stopping = false;
  const isConnected = () => connected && !stopping && (!socketReceiver || socketReceiver.client.websocket?.isActive() === true);
  if (socketReceiver) {
    const client = socketReceiver.client;
    client.on('connected', () => (connected = true));
    client.on('disconnected', () => (connected = false));
    client.on('reconnecting', () => (connected = false));
  }
  const checks: ReadinessCheck[] = [...(o.readiness ?? []), { name: 'slack', check: () => Promise.resolve(isConnected()) }];

  // HTTP mode: Bolt's receiver, built here so that its request listener can be wrapped by the guard against replays
  // and future timestamps; Bolt still checks every signature and its age itself.
  const endpoints = ['/slack/events'];
  const httpReceiver = socketReceiver
    ? undefined
    : new HTTPReceiver({ signingSecret: settings.signingSecret!, endpoints, port: settings.port, customRoutes: healthRoutes(o.metrics, checks), logger, logLevel: LogLevel.INFO });
  if (httpReceiver) {
    httpReceiver.requestListener = guardSlackRequests(httpReceiver.requestListener, {
      signingSecret: settings.signingSecret!,
      endpoints,
      seenOnce: async (key, ttlMs) => (await services.journal()).rememberOnce(key, ttlMs),
      log,
    });
  }
  const app: BoltApp = socketReceiver ? new App({ ...common, socketMode: true, receiver: socketReceiver }) : new App({ ...common, receiver: httpReceiver });
  try {
    await app.init(); // auth.test, once
  } catch (e) {
    const code = slackErrorCode(e);
    // A request that never got an answer says nothing about the token: name the address instead (without credentials).
    if (code === 'slack_webapi_request_error') {
      // The cause's code only: its message may quote the URL, credentials and all.
      let causeCode: string | undefined;
      for (let c = (e as { original?: unknown }).original, i = 0; c && typeof c === 'object' && !causeCode && i < 4; c = (c as { cause?: unknown }).cause, i++) causeCode = (c as { code?: string }).code;
      const why = settings.apiUrl && /\/\/[^/]*@/.test(settings.apiUrl) ? 'SLACK_API_URL carries a user name or password, which a request cannot take' : (causeCode ?? 'no answer');
      throw new SlackSettingsError([`the Slack Web API${settings.apiUrl ? ` at ${withoutCredentials(settings.apiUrl)}` : ''} could not be reached for auth.test (${why}): check the network or proxy${settings.apiUrl ? ' and SLACK_API_URL' : ''}; the bot token was not tried`]);
    }
    throw new SlackSettingsError([`the bot token was not accepted by auth.test: ${code ?? (e as Error).message}`]);
  }
  return {
    app,
    checks,
    isConnected,
    async start() {
      if (socketReceiver) {
        await app.start();
        return {};
      }
      const server = (await app.start(settings.port)) as http.Server;
      connected = true;
      return { port: (server.address() as AddressInfo).port };
    },
    async stop() {
      stopping = true;
      // Bolt's SocketModeReceiver.stop() does not wait for the close handshake; the client's disconnect() does.
      if (socketReceiver) await socketReceiver.client.disconnect();
      else await app.stop().catch((e: unknown) => log.warn({ err: (e as Error).message }, 'stopping the receiver'));
      connected = false;
    },
  };
}

/** A URL as it may be shown: origin and path, never a user or password in it. */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(SLACK_API_URL, not a URL)';
  }
}
