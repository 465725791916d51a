/**
 * pino JSON logs on stderr with redaction: tokens, kubeconfigs, signing secrets and Authorization headers never
 * reach a log line, whatever object a caller passes. Child loggers carry `{ waveId, runtimeId }`.
 */
import pino, { type Logger } from 'pino';

/** Paths pino censors (any depth for the common names). */
export const REDACT_PATHS = [
  'token',
  '*.token',
  '*.*.token',
  'kubeconfig',
  '*.kubeconfig',
  '*.*.kubeconfig',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.headers.authorization',
  'signingSecret',
  '*.signingSecret',
  'appToken',
  '*.appToken',
  'botToken',
  '*.botToken',
  'password',
  '*.password',
  'data.config',
  '*.data.config',
];

/**
 * Values that look like secrets, masked in messages too (tokens of Slack, bearer tokens, kubeconfig data, the
 * password of a URL's userinfo — `postgres://user:pw@host/db` becomes `postgres://user:[REDACTED]@host/db`).
 * The password stops at `@`, `/`, whitespace, a quote or a backslash, so that one JSON field cannot run into the next.
 */
const SECRET_PATTERNS: RegExp[] = [
  /xox[abpre]-[A-Za-z0-9-]+/g,
  /xapp-[A-Za-z0-9-]+/g,
  /Bearer\s+[A-Za-z0-9._~+/=-]+/gi,
  /(token:\s*)("?)[A-Za-z0-9._~+/=-]{8,}\2/g,
  /(\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^:/?#@\s"'\\]*:)[^@/\s"'\\]+(?=@)/g,
];

export function maskSecrets(s: string): string {
  let out = s;
  for (const p of SECRET_PATTERNS) out = out.replace(p, (m: string, pre?: string) => (typeof pre === 'string' && m.startsWith(pre) ? `${pre}[REDACTED]` : '[REDACTED]'));
  return out;
}

export function createLogger(opts: { level?: string; destination?: pino.DestinationStream; extraSecrets?: string[] } = {}): Logger {
  const extra = (opts.extraSecrets ?? []).filter((s) => s.length >= 6);
  const maskAll = (line: string) => {
    let s = maskSecrets(line);
    for (const secret of extra) s = s.split(secret).join('[REDACTED]');
    return s;
  };
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      hooks: {
        // Messages are masked too: a secret inside an error message must not slip through.
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === 'string' ? maskAll(a) : a));
          method.apply(this, masked as Parameters<typeof method>);
        },
        // And the whole serialized line: a secret inside any field (an error's message under `err`, a
        // connection string) is masked as well. The patterns never match across a JSON quote, so the line stays JSON.
        streamWrite: maskAll,
      },
    },
    opts.destination ?? pino.destination(2),
  );
}
