/** The Slack adapter's logger (pino-compatible) and Bolt's logger onto it, with anything token-shaped redacted. */
import bolt from '@slack/bolt';
import type { Logger } from '@slack/bolt';

const { LogLevel } = bolt;

/** pino-compatible: a metadata object, then a fixed message (STYLE.md §13). */
export interface ChatLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: ChatLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

const TOKEN = /xox[a-z]-[A-Za-z0-9-]+/g;

/** Bolt's logger interface onto ours, with anything token-shaped redacted. */
export function boltLogger(log: ChatLogger): Logger {
  let level = LogLevel.INFO;
  const text = (m: unknown[]) => m.map((x) => (x instanceof Error ? x.message : typeof x === 'string' ? x : JSON.stringify(x))).join(' ').replace(TOKEN, 'xox?-[redacted]');
  return {
    debug: (...m: unknown[]) => log.debug({ source: 'bolt' }, text(m)),
    info: (...m: unknown[]) => log.info({ source: 'bolt' }, text(m)),
    warn: (...m: unknown[]) => log.warn({ source: 'bolt' }, text(m)),
    error: (...m: unknown[]) => log.error({ source: 'bolt' }, text(m)),
    setLevel: (l: typeof level) => (level = l),
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** The Web API's error code of a failed call (`not_in_channel`, `ratelimited`, …), else the error's own code. */
export function slackErrorCode(e: unknown): string | undefined {
  return (e as { data?: { error?: string } }).data?.error ?? (e as { code?: string }).code;
}
