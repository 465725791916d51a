import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { KebClient, type KebRuntime } from '../../../src/clients/keb-client.js';
import { RemoteError } from '../../../src/clients/errors.js';

const TOKEN = 'secret-token-123';
const FAST = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

function runtime(i: number): KebRuntime {
  return { instanceID: `i-${i}`, runtimeID: `r-${i}`, globalAccountID: 'ga', subAccountID: 'sa', region: 'eu-central-1', shootName: `c-${i}`, servicePlanName: 'aws', status: { state: 'succeeded' } };
}

/** A strict fake KEB: answers from `script` in order, records every request. */
function fakeFetch(script: Array<(url: URL) => Response>) {
  const calls: Array<{ url: URL; auth: string | null }> = [];
  const fn = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    calls.push({ url, auth: new Headers(init?.headers).get('authorization') });
    const step = script.shift();
    if (!step) throw new Error(`unexpected request ${url.href}`);
    return Promise.resolve(step(url));
  };
  return { fn, calls };
}

const page = (total: number, size: number) => (url: URL) => {
  const p = Number(url.searchParams.get('page'));
  const data = Array.from({ length: total }, (_, i) => runtime(i)).slice((p - 1) * size, p * size);
  return Response.json({ data, count: data.length, totalCount: total });
};

describe('src/clients/keb-client.ts', () => {
  it('pages with page and page_size until totalCount, with the bearer token and state=all', async () => {
    const f = fakeFetch([page(7, 3), page(7, 3), page(7, 3)]);
    const client = new KebClient({ url: 'http://keb.test/base/', token: TOKEN, pageSize: 3, fetch: f.fn, concurrency: 1 });
    const rts = await client.listRuntimes({ state: 'all' });
    expect(rts.map((r) => r.runtimeID)).toEqual(['r-0', 'r-1', 'r-2', 'r-3', 'r-4', 'r-5', 'r-6']);
    expect(f.calls.map((c) => c.url.pathname + c.url.search)).toEqual([
      '/base/runtimes?page=1&page_size=3&op_detail=last&state=all',
      '/base/runtimes?page=2&page_size=3&op_detail=last&state=all',
      '/base/runtimes?page=3&page_size=3&op_detail=last&state=all',
    ]);
    expect(f.calls.every((c) => c.auth === `Bearer ${TOKEN}`)).toBe(true);
    expect(client.requests).toBe(3);
  });

  it('retries 5xx, 429 with Retry-After and network failures', async () => {
    const f = fakeFetch([
      () => new Response('{"error":"down"}', { status: 503 }),
      () => new Response('', { status: 429, headers: { 'Retry-After': '0' } }),
      () => {
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) });
      },
      page(2, 100),
    ]);
    const counted: string[] = [];
    const client = new KebClient({ url: 'http://keb.test', token: TOKEN, fetch: f.fn, retry: FAST, counter: { add: (s) => counted.push(s) } });
    expect(await client.listRuntimes()).toHaveLength(2);
    expect(counted).toEqual(['keb', 'keb', 'keb', 'keb']);
  });

  it('fails at once on 401, without the token in the message', async () => {
    const f = fakeFetch([() => new Response('{"error":"invalid token"}', { status: 401 })]);
    const client = new KebClient({ url: 'http://keb.test', token: TOKEN, fetch: f.fn, retry: FAST });
    const err = await client.listRuntimes().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject({ system: 'keb', kind: 'permanent', status: 401 });
    expect((err as Error).message).toMatch(/^list runtimes \(page 1\) on keb: KEB token expired or rejected \(HTTP 401\): configure a valid KEB bearer token \(keb.tokenFile\), e\.g\. /);
    expect((err as Error).message).not.toContain(TOKEN);
    expect(f.calls).toHaveLength(1);
  });

  it('a token file with a line break or control character inside: refused at once, naming the file, never sent', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keb-token-'));
    try {
      for (const content of [`${TOKEN}\r\nsecond-line`, `${TOKEN}\u0007`, `abc ${TOKEN}`]) {
        const file = path.join(dir, 'keb.token');
        writeFileSync(file, content);
        const f = fakeFetch([]);
        const err = await new KebClient({ url: 'http://keb.test', tokenFile: file, fetch: f.fn, retry: FAST }).listRuntimes().catch((e: unknown) => e);
        expect(err).toMatchObject({ system: 'keb', kind: 'permanent' });
        expect((err as Error).message).toContain(`KEB token file ${file} holds a character a bearer token cannot have`);
        expect((err as Error).message).not.toContain(TOKEN);
        expect(f.calls).toHaveLength(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives up after the policy attempts', async () => {
    const f = fakeFetch(Array.from({ length: 4 }, () => () => new Response('', { status: 502 })));
    const client = new KebClient({ url: 'http://keb.test', token: TOKEN, fetch: f.fn, retry: FAST });
    await expect(client.listRuntimes()).rejects.toMatchObject({ kind: 'transient', status: 502 });
    expect(f.calls).toHaveLength(4);
  });
});
