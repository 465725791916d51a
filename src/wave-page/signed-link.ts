/**
 * Signed links to wave pages: nobody reaches a page without a link the bot made. A link carries its expiry
 * (`exp`, epoch seconds) and `sig` = hex HMAC-SHA256(key, `<subject>\n<exp>`), where the subject is `wave:<waveId>`
 * (a wave's page, its events and its chart) or `index:<env>` (the environment's list of waves). The key comes from
 * the config (`page.keyEnv` or `page.keyFile`, e.g. a mounted Secret) and is never logged nor shown.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type LinkSubject = `wave:${string}` | `index:${string}`;

export function signSubject(key: Buffer, subject: LinkSubject, exp: number): string {
  return createHmac('sha256', key).update(`${subject}\n${exp}`).digest('hex');
}

/** The query string (`exp=…&sig=…`) of a link to `subject` valid for `ttlSeconds`. */
export function signedQuery(key: Buffer, subject: LinkSubject, ttlSeconds: number, now = Date.now()): string {
  const exp = Math.floor(now / 1000) + Math.max(1, Math.floor(ttlSeconds));
  return `exp=${exp}&sig=${signSubject(key, subject, exp)}`;
}

/** Why a link is refused (all answer 403), or `ok`. */
export type LinkCheck = 'ok' | 'unsigned' | 'expired' | 'bad-signature';

export function checkLink(key: Buffer, subject: LinkSubject, params: URLSearchParams, now = Date.now()): LinkCheck {
  const exp = params.get('exp');
  const sig = params.get('sig');
  if (!exp || !sig) return 'unsigned';
  if (!/^\d{1,12}$/.test(exp) || !/^[0-9a-f]{64}$/.test(sig)) return 'bad-signature';
  const want = Buffer.from(signSubject(key, subject, Number(exp)), 'hex');
  if (!timingSafeEqual(want, Buffer.from(sig, 'hex'))) return 'bad-signature';
  return Number(exp) * 1000 < now ? 'expired' : 'ok';
}
