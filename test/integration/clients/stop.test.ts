/**
 * src/clients/exchange.ts through src/clients/kube-client.ts: a stop of the client's signal cuts off every request
 * in flight, whatever its method, and a stopped client sends nothing more. GET, PATCH, PUT and DELETE used to go out
 * without the signal (to save the CPU of an abort listener per request), so a stopped runner waited on an API
 * server that did not answer until undici's own 300 s timeout. The server here takes requests and never answers.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeClient, RequestCounter } from '../../../src/clients/kube-client.js';
import { RemoteError } from '../../../src/clients/errors.js';
import { localKubeconfig } from '../../helpers/local-kubeconfig.js';
import { until } from '../../helpers/until.js';

const ISTIOS = { group: 'operator.kyma-project.io', version: 'v1alpha2', plural: 'istios' };


describe('src/clients — a stop cuts off the requests in flight', () => {
  let server: http.Server;
  let url: string;
  /** Requests received, and how many of their connections the client has closed. */
  let received: string[];
  let seenBy: { closed: number };
  let answer: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | undefined;
  let arrived: (n: number) => Promise<void>;
  beforeEach(async () => {
    received = [];
    // Per test: a connection of the test before may close only now.
    const counts = (seenBy = { closed: 0 });
    answer = undefined;
    const waiters: { n: number; resolve: () => void }[] = [];
    arrived = (n) => new Promise((resolve) => (received.length >= n ? resolve() : waiters.push({ n, resolve })));
    server = http.createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      req.socket.once('close', () => counts.closed++);
      if (answer) answer(req, res);
      for (const w of waiters.splice(0)) if (received.length >= w.n) w.resolve();
      else waiters.push(w);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const client = (signal: AbortSignal, throttle?: () => Promise<void>) => new KubeClient(localKubeconfig(url), { system: 'skr', counter: new RequestCounter(), signal, throttle });

  it('GET, PATCH, PUT, DELETE, a list and a watch of clients sharing one signal: all end at the stop, none retried', async () => {
    const stop = new AbortController();
    const a = client(stop.signal);
    const b = client(stop.signal);
    const kyma = { metadata: { name: 'default', namespace: 'kyma-system' } };
    const calls = [
      a.get(ISTIOS, 'kyma-system', 'default'),
      a.jsonPatch(ISTIOS, 'kyma-system', 'default', [{ op: 'add', path: '/spec/x', value: 1 }]),
      b.replace(ISTIOS, 'kyma-system', kyma),
      b.delete(ISTIOS, 'kyma-system', 'default'),
      b.list(ISTIOS, 'kyma-system'),
    ].map((p) => p.then(() => 'answered', (e: unknown) => (e instanceof RemoteError ? `failed: ${e.kind}` : `threw ${String(e)}`)));
    const watch = a.watch('/apis/operator.kyma-project.io/v1alpha2/istios', {}, () => undefined).then((w) => w.done);
    await arrived(6);
    // Six exchanges in flight, one listener on the signal.
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
    stop.abort(new Error('the process is stopping (SIGTERM)'));
    expect(await Promise.all(calls)).toEqual(Array(5).fill('failed: permanent'));
    // The watch was open (the server had sent nothing, not even headers): it fails like any request that is cut off.
    await expect(watch).rejects.toBeInstanceOf(RemoteError);
    expect(received.map((r) => r.split(' ')[0]).sort()).toEqual(['DELETE', 'GET', 'GET', 'GET', 'PATCH', 'PUT']);
    // Cut off means the connection is closed: over HTTP/1.1 nothing else ends an exchange early.
    await until('the client to close the 6 connections', () => seenBy.closed >= 6).catch(() => undefined);
    expect(seenBy.closed).toBe(6);
  });

  it('once nothing is in flight, no listener of the client stays on the signal', async () => {
    answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ metadata: { name: 'default', namespace: 'kyma-system' } }));
    };
    const stop = new AbortController();
    const c = client(stop.signal);
    const got = await Promise.all([c.get(ISTIOS, 'kyma-system', 'default'), c.get(ISTIOS, 'kyma-system', 'other'), c.list(ISTIOS, 'kyma-system')]);
    expect(got).toHaveLength(3);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    // And the signal still reaches the next request.
    answer = undefined;
    const next = c.get(ISTIOS, 'kyma-system', 'default').catch((e: unknown) => e);
    await arrived(4);
    stop.abort(new Error('stop'));
    expect(await next).toBeInstanceOf(RemoteError);
  });

  it('an open watch ends with null at the stop, and its connection is closed', async () => {
    answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'default' } } }) + '\n');
    };
    const stop = new AbortController();
    const seen: string[] = [];
    const w = await client(stop.signal).watch('/apis/operator.kyma-project.io/v1alpha2/istios', {}, (e) => seen.push(`${e.type} ${(e.object as { metadata?: { name?: string } }).metadata?.name}`));
    await until('the first event', () => seen.length > 0);
    stop.abort(new Error('stop'));
    expect(await w.done).toBeNull();
    expect(seen).toEqual(['ADDED default']);
    await until('the client to close the watch connection', () => seenBy.closed >= 1).catch(() => undefined);
    expect(seenBy.closed).toBe(1);
  });

  it('a stop while a request waits for the throttle: it is never sent', async () => {
    const stop = new AbortController();
    const c = client(stop.signal, async () => {
      stop.abort(new Error('stop'));
      await Promise.resolve();
    });
    await expect(c.get(ISTIOS, 'kyma-system', 'default')).rejects.toBeInstanceOf(RemoteError);
    await expect(c.watch('/apis/x/v1/ys', {}, () => undefined)).rejects.toThrow();
    expect(received).toEqual([]);
  });

  it('an error answer keeps its headers: 429 with Retry-After, for a request and for a watch', async () => {
    answer = (_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'Retry-After': '7' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'TooManyRequests', message: 'slow down', code: 429 }));
    };
    const c = new KubeClient(localKubeconfig(url), { system: 'skr', counter: new RequestCounter(), retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    const err = await c.get(ISTIOS, 'kyma-system', 'default').catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'throttled', status: 429, retryAfterSeconds: 7, reason: 'TooManyRequests' });
    const refused = await c.watch('/apis/operator.kyma-project.io/v1alpha2/istios', {}, () => undefined).catch((e: unknown) => e);
    expect(refused).toMatchObject({ kind: 'throttled', status: 429 });
  });
});
