/**
 * `/healthz` (the process is alive), `/readyz` (config loaded, journal reachable, Slack connected) and
 * `/metrics`, on HEALTH_PORT (C6) — and mountable on the HTTP receiver's server in HTTP mode.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.js';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<boolean>;
}

/** Answers a health request; returns false when the path is not one of ours. */
export async function handleHealth(req: http.IncomingMessage, res: http.ServerResponse, metrics: Metrics, checks: ReadinessCheck[]): Promise<boolean> {
  const path = (req.url ?? '').split('?')[0];
  if (path === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    return true;
  }
  if (path === '/readyz') {
    const results = await Promise.all(checks.map(async (c) => [c.name, await c.check().catch(() => false)] as const));
    const ready = results.every(([, okay]) => okay);
    res.writeHead(ready ? 200 : 503, { 'Content-Type': 'application/json' }).end(`${JSON.stringify({ ready, checks: Object.fromEntries(results) })}\n`);
    return true;
  }
  if (path === '/metrics') {
    res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(await metrics.registry.metrics());
    return true;
  }
  return false;
}

/** The paths `handleHealth` answers. */
export const HEALTH_PATHS = ['/healthz', '/readyz', '/metrics'] as const;

function isHealthPath(url: string | undefined): boolean {
  return (HEALTH_PATHS as readonly string[]).includes((url ?? '').split('?')[0]);
}

/**
 * The health paths as Bolt `customRoutes` (HTTP receiver), so that PORT answers them too (C6): pass them to
 * `new App({ customRoutes })`.
 */
export function healthRoutes(metrics: Metrics, checks: ReadinessCheck[]): { path: string; method: string[]; handler: (req: http.IncomingMessage, res: http.ServerResponse) => void }[] {
  return HEALTH_PATHS.map((path) => ({ path, method: ['GET'], handler: (req: http.IncomingMessage, res: http.ServerResponse) => void handleHealth(req, res, metrics, checks) }));
}

/**
 * Serves the health paths on a server that already answers other requests (the HTTP receiver's, in HTTP mode):
 * requests for them are answered here, everything else goes to the server's own listeners unchanged.
 */
export function mountHealth(server: http.Server, metrics: Metrics, checks: ReadinessCheck[]): void {
  const others = server.listeners('request') as ((req: http.IncomingMessage, res: http.ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (isHealthPath(req.url)) void handleHealth(req, res, metrics, checks);
    else for (const l of others) l.call(server, req, res);
  });
}

export async function startHealthServer(port: number, metrics: Metrics, checks: ReadinessCheck[]): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    void handleHealth(req, res, metrics, checks).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '0.0.0.0', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
