/**
 * src/clients/kube-client.ts builds each request's path from the server URL it parsed once per kubeconfig (its
 * origin and path prefix) and the query it was given. What reaches the server must be what `new URL(server + path)`
 * with `searchParams.set` gave before: the prefix kept (with or without a trailing slash in the kubeconfig), names
 * encoded, unset parameters left out, selectors form-encoded.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeClient, RequestCounter } from '../../../src/clients/kube-client.js';
import { localKubeconfig } from '../../helpers/local-kubeconfig.js';

const KYMAS = { group: 'operator.kyma-project.io', version: 'v1beta2', plural: 'kymas' };

describe('src/clients/kube-client — request paths', () => {
  let server: http.Server;
  let origin: string;
  const received: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      if (req.url?.includes('watch=true')) res.end('');
      else res.end(JSON.stringify({ kind: 'List', items: [], metadata: { name: 'x' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const client = (server: string) => new KubeClient(localKubeconfig(server), { system: 'skr', counter: new RequestCounter() });

  it.each([
    ['no path', '', ''],
    ['a path prefix', '/clusters/c-1', '/clusters/c-1'],
    ['a path prefix with a trailing slash', '/clusters/c-1/', '/clusters/c-1'],
  ])('server with %s: the prefix, encoded names and the query as given', async (_what, suffix, prefix) => {
    received.length = 0;
    const c = client(origin + suffix);
    await c.list(KYMAS, 'kcp-system', { labelSelector: 'kyma-project.io/runtime-id in (a,b)', limit: 500, continue: undefined });
    await c.get(KYMAS, 'kyma system', 'a/b');
    await c.jsonPatch(KYMAS, 'kyma-system', 'default', [{ op: 'test', path: '/spec', value: {} }], { dryRun: true });
    const w = await c.watch(`/apis/${KYMAS.group}/${KYMAS.version}/kymas`, { watch: undefined, allowWatchBookmarks: true, resourceVersion: '0', fieldSelector: 'metadata.name=x y' }, () => undefined);
    await w.done;
    const base = `${prefix}/apis/operator.kyma-project.io/v1beta2`;
    expect(received).toEqual([
      `GET ${base}/namespaces/kcp-system/kymas?labelSelector=kyma-project.io%2Fruntime-id+in+%28a%2Cb%29&limit=500`,
      `GET ${base}/namespaces/kyma%20system/kymas/a%2Fb`,
      `PATCH ${base}/namespaces/kyma-system/kymas/default?dryRun=All`,
      `GET ${base}/kymas?watch=true&allowWatchBookmarks=true&resourceVersion=0&fieldSelector=metadata.name%3Dx+y`,
    ]);
  });
});
