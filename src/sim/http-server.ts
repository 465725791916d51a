/**
 * The simulator's HTTP front (C1): `/clusters/<clusterId>/...` (Kubernetes API of every virtual cluster),
 * `/keb/<env>/...` (KEB), `/sim/stats`. Checks bearer tokens, counts requests, and hands the rest to the
 * cluster's API layer or to a registered route.
 *
 * One port speaks both plain HTTP (the URLs of C1, curl, client-node) and HTTPS with a self-signed
 * certificate: kubectl (client-go) never sends a bearer token over plain HTTP, so the kubeconfigs the
 * simulator writes use `https://` with `insecure-skip-tls-verify: true`. The first byte of a connection
 * (0x16, a TLS handshake) tells which.
 */
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { generate as generateCert } from 'selfsigned';
import type { ApiResult } from './k8s/request.js';
import { errors } from './k8s/errors.js';
import type { Simulator } from './simulator.js';

/** A request the front has authenticated and counted, about to be answered by a cluster or a route. */
export interface FrontRequest {
  /** Counting key: the clusterId, or `keb-<env>`. */
  target: string;
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Interposes on every counted request before it is answered (seeded faults). Returns `undefined` to let it
 * through, or what to do instead.
 */
export type Interceptor = (req: FrontRequest) =>
  | undefined
  | { kind: 'respond'; result: ApiResult; delayMs?: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'reset'; afterApply?: boolean };

/** A non-cluster route, e.g. KEB's `/keb/<env>/runtimes`. */
export type Route = (req: FrontRequest & { env: string; rest: string }) => ApiResult;

export interface SimServerOptions {
  interceptors?: Interceptor[];
  routes?: Record<string, Route>;
}

function send(res: http.ServerResponse, result: ApiResult): void {
  if (result.kind === 'watch') {
    result.start(res);
    return;
  }
  // A Buffer is sent as it is (the protobuf /openapi/v2); everything else as JSON.
  const body = Buffer.isBuffer(result.body) ? result.body : JSON.stringify(result.body);
  res.writeHead(result.status, {
    'Content-Type': result.contentType ?? 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...(result.headers ?? {}),
  });
  res.end(body);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export class SimServer {
  private server?: net.Server;
  private readonly http: http.Server[] = [];
  private sockets = new Set<net.Socket>();
  private internal?: https.Server;
  private readonly interceptors: Interceptor[];
  private readonly routes: Record<string, Route>;

  constructor(
    readonly sim: Simulator,
    options: SimServerOptions = {},
  ) {
    this.interceptors = options.interceptors ?? [];
    this.routes = options.routes ?? {};
  }

  addInterceptor(i: Interceptor): void {
    this.interceptors.push(i);
  }

  addRoute(prefix: string, route: Route): void {
    this.routes[prefix] = route;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) send(res, { kind: 'json', status: 500, body: errors.internal(String(e)).toStatus() });
        else res.destroy();
      });
    };
    // RSA 2048, as Gardener's secrets utilities give a shoot's API server (gardener pkg/utils/secrets
    // certificates.go: "It always contains a 2048-bit RSA private key"). The client's side of a handshake costs less
    // with it than with ECDSA P-256 (7 % fewer instructions per new connection, counted with callgrind): the runner
    // is measured against what real SKRs ask of it.
    const pems = await generateCert([{ name: 'commonName', value: host }], {
      keyType: 'rsa',
      keySize: 2048,
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 365 * 86_400_000),
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: host }, { type: 2, value: 'localhost' }] }],
    });
    const plain = http.createServer(handler);
    const secure = https.createServer({ key: pems.private, cert: pems.cert }, handler);
    for (const s of [plain, secure]) {
      s.keepAliveTimeout = 65_000;
      s.headersTimeout = 66_000;
      s.requestTimeout = 0; // watches are long-lived
      this.http.push(s);
    }
    // TLS is terminated by `secure` on an internal port; the front pipes TLS connections there byte for byte.
    await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', () => resolve()));
    this.internal = secure;
    const securePort = (secure.address() as AddressInfo).port;
    const sockets = new Set<net.Socket>();
    this.sockets = sockets;
    const front = net.createServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      socket.once('data', (first: Buffer) => {
        if (first[0] !== 0x16) {
          socket.pause();
          socket.unshift(first);
          plain.emit('connection', socket);
          socket.resume();
          return;
        }
        const upstream = net.connect(securePort, '127.0.0.1');
        sockets.add(upstream);
        upstream.once('close', () => sockets.delete(upstream));
        upstream.on('error', () => socket.destroy());
        socket.once('close', () => upstream.destroy());
        upstream.once('close', () => socket.destroy());
        upstream.write(first);
        socket.pipe(upstream).pipe(socket);
      });
    });
    this.server = front;
    await new Promise<void>((resolve, reject) => {
      front.once('error', reject);
      front.listen(port, host, () => resolve());
    });
    const actual = (front.address() as AddressInfo).port;
    this.sim.setBaseUrl(`https://${host}:${actual}`);
    return actual;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    for (const h of this.http) h.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    const internal = this.internal;
    if (internal) await new Promise<void>((resolve) => internal.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const parts = url.pathname.split('/');
    // parts[0] is '' (leading slash)
    const top = parts[1];
    if (top === 'sim') return this.simRoute(req, res, parts.slice(2));
    if (top === 'healthz') return send(res, { kind: 'json', status: 200, body: { ok: true } });
    let target: string;
    let rest: string;
    if (top === 'clusters' && parts[2]) {
      target = parts[2];
      rest = `/${parts.slice(3).join('/')}`;
      if (!this.sim.describe(target)) {
        // Unknown cluster: not counted, answers as a server that does not exist would (404 on everything).
        return send(res, { kind: 'json', status: 404, body: errors.noResource().toStatus() });
      }
    } else if (this.routes[top] && parts[2]) {
      target = `${top}-${parts[2]}`;
      rest = `/${parts.slice(3).join('/')}`;
    } else {
      return send(res, { kind: 'json', status: 404, body: errors.noResource().toStatus() });
    }
    const body = await readBody(req);
    this.sim.countRequest(target);
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (token !== this.sim.tokenFor(target)) return send(res, { kind: 'json', status: 401, body: errors.unauthorized().toStatus() });
    const front: FrontRequest = { target, method: req.method ?? 'GET', path: rest, query: url.searchParams, headers: req.headers, body };
    let resetAfterApply = false;
    for (const i of this.interceptors) {
      const d = i(front);
      if (!d) continue;
      if (d.kind === 'delay') await new Promise((r) => setTimeout(r, d.ms));
      else if (d.kind === 'respond') {
        if (d.delayMs) await new Promise((r) => setTimeout(r, d.delayMs));
        return send(res, d.result);
      } else if (d.afterApply) resetAfterApply = true;
      else {
        req.socket.destroy();
        return;
      }
    }
    const result = top === 'clusters' ? this.sim.cluster(target)!.api.handle(front) : this.routes[top]({ ...front, env: parts[2], rest });
    if (resetAfterApply) {
      // The write happened; the client never hears about it (a connection reset after apply).
      req.socket.destroy();
      return;
    }
    send(res, result);
  }

  private simRoute(req: http.IncomingMessage, res: http.ServerResponse, parts: string[]): void {
    if (parts[0] === 'stats' && parts.length === 1 && req.method === 'GET') return send(res, { kind: 'json', status: 200, body: this.sim.getStats() });
    if (parts[0] === 'stats' && parts[1] === 'reset' && req.method === 'POST') {
      this.sim.resetStats();
      return send(res, { kind: 'json', status: 200, body: this.sim.getStats() });
    }
    send(res, { kind: 'json', status: 404, body: errors.noResource().toStatus() });
  }
}
