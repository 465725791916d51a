/**
 * `istio-migrate serve`: the wave pages on a port of their own, for a laptop or a port-forward. Prints one JSON line
 * `{"ready":true,"port":P,"links":{…}}` on stdout with a signed link per environment's index and per wave. Without a
 * configured key (page.keyEnv / page.keyFile) a random key of this process signs the links: they work until it stops.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Services } from '../app/services.js';
import { loadPageKey } from './page-key.js';
import { wavePages } from './wave-pages.js';

export async function serveWavePages(opts: { configFile?: string; port: number; host: string; out: (line: string) => void; err: (line: string) => void }): Promise<{ port: number; close(): Promise<void> }> {
  // Read-only: a journal that does not exist is refused (exit 2), never created.
  const services = await Services.create({ configFile: opts.configFile, notice: opts.err, journalUse: 'existing' });
  try {
    await services.journal();
  } catch (e) {
    await services.close();
    throw e;
  }
  let key = await loadPageKey(services.config);
  if (!key) {
    opts.err('no page key configured (page.keyEnv or page.keyFile): links are signed with a key of this process and stop working when it ends');
    key = randomBytes(32);
  }
  const pages = await wavePages(services, { key });
  const server = http.createServer((req, res) => {
    pages.handle(req, res).then(
      (handled) => {
        if (!handled) res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found; wave pages are under /waves/\n');
      },
      (e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`${(e as Error).message}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const base = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
  const journal = await services.journal();
  const links: Record<string, string> = {};
  for (const env of services.envs()) links[`index:${env}`] = base + pages.indexPath(env)!;
  for (const w of await journal.listWaves()) links[w.waveId] = base + pages.wavePath(w.waveId)!;
  opts.out(JSON.stringify({ ready: true, port, links }));
  return {
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await services.close();
    },
  };
}
