/**
 * The bot's Slack settings from the environment (C6). Read once at start; every problem is listed together.
 * Tokens and the signing secret are held here and passed to Bolt only: nothing logs this object.
 */
export interface SlackSettings {
  /** Socket Mode when SLACK_APP_TOKEN is set, else the HTTP receiver. */
  mode: 'socket' | 'http';
  botToken: string;
  appToken?: string;
  signingSecret?: string;
  /** Web API base including `/api/` (trailing slash added); also serves Socket Mode's `apps.connections.open`. */
  apiUrl?: string;
  /** HTTP receiver port (`/slack/events`, and `/healthz`). */
  port: number;
  /** Health endpoint port (`/healthz`). */
  healthPort: number;
}

export type SettingsResult = { ok: true; settings: SlackSettings } | { ok: false; problems: string[] };

function portOf(env: Record<string, string | undefined>, name: string, fallback: number, problems: string[]): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v.trim()) || Number(v) > 65535) {
    problems.push(`${name} must be a port number between 0 and 65535, got "${v}"`);
    return fallback;
  }
  return Number(v);
}

export function readSlackSettings(env: Record<string, string | undefined>): SettingsResult {
  const problems: string[] = [];
  const botToken = env.SLACK_BOT_TOKEN?.trim();
  const appToken = env.SLACK_APP_TOKEN?.trim() || undefined;
  const signingSecret = env.SLACK_SIGNING_SECRET?.trim() || undefined;
  const mode = appToken ? 'socket' : 'http';
  if (!botToken) problems.push('SLACK_BOT_TOKEN is not set: the bot needs its bot token (xoxb-…)');
  if (mode === 'http' && !signingSecret) {
    problems.push('SLACK_SIGNING_SECRET is not set: the HTTP receiver needs it to check request signatures (or set SLACK_APP_TOKEN for Socket Mode)');
  }
  let apiUrl = env.SLACK_API_URL?.trim() || undefined;
  if (apiUrl) {
    if (!/^https?:\/\/[^/]/.test(apiUrl)) problems.push(`SLACK_API_URL must be an http(s) URL such as https://slack.com/api/, got "${apiUrl}"`);
    else if (!apiUrl.endsWith('/')) apiUrl += '/';
  }
  const port = portOf(env, 'PORT', 3000, problems);
  const healthPort = portOf(env, 'HEALTH_PORT', 8080, problems);
  if (problems.length || !botToken) return { ok: false, problems };
  return { ok: true, settings: { mode, botToken, appToken, signingSecret, apiUrl, port, healthPort } };
}
