/**
 * src/sim/persist.ts: a landscape kept in a directory comes back in the next process as it was left — a client's
 * write is there, the simulated LM finishes what it had started, kubeconfigs in KCP secrets point at the new
 * port — and other options start a new landscape. Driven over HTTP as a client would.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { startSim, type RunningSim } from '../../../src/sim/run-sim.js';
import { runtimeOf } from '../../helpers/sim.js';

const OPTS = { port: 0, seed: 3, profile: 'scenarios', runtimes: 60, timeScale: 0.01 } as const;
const KYMA_PATH = '/apis/operator.kyma-project.io/v1beta2/namespaces/kyma-system/kymas/default';

async function request(sim: RunningSim, clusterId: string, method: string, urlPath: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(`http://127.0.0.1:${sim.port}/clusters/${clusterId}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${sim.sim.tokenFor(clusterId)}`, 'content-type': contentType },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('src/sim/persist.ts: a landscape that remembers', () => {
  const dirs: string[] = [];
  const sims: RunningSim[] = [];
  const tmp = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'sim-persist-'));
    dirs.push(d);
    return d;
  };
  const start = async (out: string, stateDir: string, seed: number = OPTS.seed) => {
    const s = await startSim({ ...OPTS, seed, out, stateDir });
    sims.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of sims) await s.close().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('comes back with a client write, and LM finishes the module it had only just been asked for', async () => {
    const dir = tmp();
    const out = path.join(dir, 'out');
    const state = path.join(dir, 'state');
    const first = await start(out, state);
    expect(first.state?.restored).toBe(false);
    const rt = runtimeOf(out, 'dev', 'fresh').runtimeId;
    // The patch, and the process ends at once: LM has not reacted yet.
    const kyma = await request(first, rt, 'GET', KYMA_PATH);
    const ops = kyma.body.spec.modules ? [] : [{ op: 'add', path: '/spec/modules', value: [] }];
    const patched = await request(first, rt, 'PATCH', KYMA_PATH, [...ops, { op: 'add', path: '/spec/modules/-', value: { name: 'istio' } }], 'application/json-patch+json');
    expect(patched.status).toBe(200);
    await first.close();

    const second = await start(out, state);
    expect(second.state?.restored).toBe(true);
    expect(second.state?.meta.instance).toBe(first.state?.meta.instance);
    expect(second.port).not.toBe(0);
    const again = await request(second, rt, 'GET', KYMA_PATH);
    expect(again.body.spec.modules).toEqual(expect.arrayContaining([{ name: 'istio' }]));
    expect(Number(again.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(patched.body.metadata.resourceVersion));
    // LM picks the unfinished work up: the Manifest appears on KCP and becomes Ready.
    const manifest = await until('the istio Manifest Ready on KCP', async () => {
      const list = await request(second, 'dev-kcp', 'GET', '/apis/operator.kyma-project.io/v1beta2/namespaces/kcp-system/manifests');
      return (list.body.items as { metadata: { labels?: Record<string, string> }; status?: { state?: string } }[]).find((m) => m.metadata.labels?.['operator.kyma-project.io/kyma-name'] === rt && m.status?.state === 'Ready');
    });
    expect(manifest).toBeDefined();
    // A write after the restore gets a newer resourceVersion than anything before it.
    const label = await request(second, rt, 'PATCH', KYMA_PATH, { metadata: { labels: { touched: 'yes' } } }, 'application/merge-patch+json');
    expect(Number(label.body.metadata.resourceVersion)).toBeGreaterThan(Number(patched.body.metadata.resourceVersion));
    // KCP's kubeconfig secrets point at this process's port, not the old one.
    const secret = await request(second, 'dev-kcp', 'GET', `/api/v1/namespaces/kcp-system/secrets/kubeconfig-${rt}`);
    expect(secret.status).toBe(200);
    const kubeconfig = YAML.parse(Buffer.from(String(Object.values(secret.body.data as Record<string, string>)[0]), 'base64').toString('utf8')) as { clusters: { cluster: { server: string } }[] };
    expect(kubeconfig.clusters[0].cluster.server).toContain(`:${second.port}/`);
    await second.close();
  }, 60_000);

  it('starts a new landscape (a new instance) when the options differ', async () => {
    const dir = tmp();
    const out = path.join(dir, 'out');
    const state = path.join(dir, 'state');
    const a = await start(out, state, 3);
    await a.close();
    const b = await start(out, state, 4);
    expect(b.state?.restored).toBe(false);
    expect(b.state?.meta.instance).not.toBe(a.state?.meta.instance);
    await b.close();
  });
});
