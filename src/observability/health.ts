/**
 * `/healthz` (the process is alive), `/readyz` (every readiness check passes; 503 naming the failing ones
 * otherwise) and `/metrics`: served on HEALTH_PORT by `startHealthServer`, and in HTTP mode on PORT too as Bolt
 * `customRoutes` (`healthRoutes`) — C6. The Slack app wires both (src/chat/slack/app.ts, transport.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** What `/metrics` serves: a Prometheus registry (metrics.ts's `Metrics` is one). */
export interface Metrics {
  readonly registry: Pick<Registry, 'contentType' | 'metrics'>;
}

export interface ReadinessCheck {
  name: string;
  check: () => Promise<boolean>;
}

/** How long one readiness check may take before it counts as failed. */
export const READINESS_CHECK_MS = 2_000;

/** The check's answer, or false when it fails or takes longer than `ms`. */
async function withinMs(check: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([check.catch(() => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The paths `handleHealth` answers. */
export const HEALTH_PATHS = ['/healthz', '/readyz', '/metrics'] as const;

/** Answers a health request; returns false when the path is not one of ours. */
export async function handleHealth(req: http.IncomingMessage, res: http.ServerResponse, metrics: Metrics, checks: readonly ReadinessCheck[]): Promise<boolean> {
  const path = (req.url ?? '').split('?')[0];
  if (path === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    return true;
  }
  if (path === '/readyz') {
    // A check that does not answer within READINESS_CHECK_MS fails (a lost database must not hang /readyz).
    const results = await Promise.all(checks.map(async (c) => [c.name, await withinMs(c.check(), READINESS_CHECK_MS)] as const));
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

/** `handleHealth`, answering 500 when it fails (a metrics collector throwing) and 404 for other paths. */
function answer(req: http.IncomingMessage, res: http.ServerResponse, metrics: Metrics, checks: readonly ReadinessCheck[], extra?: ExtraRoutes): void {
  handleHealth(req, res, metrics, checks).then(async (handled) => handled || (extra ? extra(req, res) : false)).then(
    (handled) => {
      if (!handled) res.writeHead(404).end();
    },
    (e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`${(e as Error).message}\n`);
    },
  );
}

/** More paths on the same port (the wave pages under `/waves/`): answers and resolves true, or false when not its own. */
export type ExtraRoutes = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;

/** A route as Bolt's `customRoutes` takes it (path matched exactly, methods upper-case). */
export interface HealthRoute {
  path: string;
  method: string[];
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
}

/** The health paths as Bolt `customRoutes` of the HTTP receiver, so that PORT answers them too (C6). */
export function healthRoutes(metrics: Metrics, checks: readonly ReadinessCheck[]): HealthRoute[] {
  return HEALTH_PATHS.map((path) => ({ path, method: ['GET'], handler: (req: http.IncomingMessage, res: http.ServerResponse) => answer(req, res, metrics, checks) }));
}

/** Serves the health paths on `port` (0: any free one), all interfaces; rejects when it cannot listen (EADDRINUSE). */
export async function startHealthServer(port: number, metrics: Metrics, checks: readonly ReadinessCheck[], extra?: ExtraRoutes): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => answer(req, res, metrics, checks, extra));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
