/**
 * The wave pages' link key from the config (`page.keyEnv` or `page.keyFile`): read once, held in memory, never
 * logged. A configured key that is missing or shorter than 16 bytes is a configuration error naming the fix.
 */
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/config.js';

export class PageKeyError extends Error {
  readonly code = 'page-key';
}

export async function loadPageKey(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<Buffer | undefined> {
  const p = config.page;
  if (!p?.keyEnv && !p?.keyFile) return undefined;
  let raw: string | undefined;
  if (p.keyEnv) {
    raw = env[p.keyEnv];
    if (!raw) throw new PageKeyError(`page.keyEnv names ${p.keyEnv}, which is not set; e.g. ${p.keyEnv}=$(openssl rand -hex 32)`);
  } else {
    try {
      raw = await readFile(p.keyFile!, 'utf8');
    } catch (e) {
      throw new PageKeyError(`page.keyFile ${p.keyFile} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}); e.g. a Secret key mounted at /etc/istio-migrate/page-key/key (the chart's pageKey.existingSecret)`);
    }
  }
  const key = Buffer.from(raw.trim(), 'utf8');
  if (key.length < 16) throw new PageKeyError('the wave-page key is shorter than 16 bytes; e.g. openssl rand -hex 32');
  return key;
}

/** The absolute signed URL of a path made by page-server.ts, when a base URL is configured. */
export function pageUrl(config: Config, path: string): string | undefined {
  const base = config.page?.baseUrl;
  return base ? `${base.replace(/\/+$/, '')}${path}` : undefined;
}
