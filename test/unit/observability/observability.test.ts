import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { startHealthServer } from '../../../src/observability/health.js';
import { createLogger, maskSecrets } from '../../../src/observability/logger.js';
import { Metrics } from '../../../src/observability/metrics.js';
import { WaveEvents } from '../../../src/rollout/wave-runner.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { lines, stream };
}

describe('src/observability/logger', () => {
  it('redacts tokens, kubeconfigs, signing secrets and Authorization headers wherever they are', async () => {
    const { lines, stream } = capture();
    const log = createLogger({ destination: stream, extraSecrets: ['s3cr3t-signing'] });
    const child = log.child({ waveId: 'prod-20261125-1', runtimeId: 'r1' });
    child.info({ kubeconfig: 'apiVersion: v1\nusers: [{user: {token: abc}}]', token: 'xoxb-123-456-abc', req: { headers: { authorization: 'Bearer abcdefghij' } }, nested: { signingSecret: 'x' } }, 'starting');
    child.warn('failed with Bearer abcdefghijklmnop and xoxb-1234-5678-zz, secret s3cr3t-signing');
    await new Promise((r) => setImmediate(r));
    const text = lines.join('');
    for (const secret of ['xoxb-123', 'abcdefghij', 'token: abc', 's3cr3t-signing', 'xoxb-1234']) expect(text).not.toContain(secret);
    expect(text).toContain('[REDACTED]');
    expect(text).toContain('"waveId":"prod-20261125-1"');
  });

  it('masks secrets inside free text', () => {
    expect(maskSecrets('token: "0123456789abcdef" and xapp-1-A-2')).toBe('token: [REDACTED] and [REDACTED]');
  });

  it('masks the password of any URL in free text, and nothing else of the URL', () => {
    expect(maskSecrets('connect ECONNREFUSED postgres://postgres:s3cr3t-pw@127.0.0.1:5432/test (retrying)')).toBe('connect ECONNREFUSED postgres://postgres:[REDACTED]@127.0.0.1:5432/test (retrying)');
    expect(maskSecrets('postgresql://u:p%40ss@db.example:5432/j?sslmode=require and redis://:pw-only@cache')).toBe('postgresql://u:[REDACTED]@db.example:5432/j?sslmode=require and redis://:[REDACTED]@cache');
    // No userinfo: ports, paths and e-mail addresses stay.
    for (const plain of ['https://api.example:6443/apis@v1', 'postgres://postgres@127.0.0.1:5432/test', 'mail ops@example.com at http://host:80/x']) expect(maskSecrets(plain)).toBe(plain);
  });

  it('masks URL passwords wherever they are in a log line: message, error field, nested object; lines stay JSON', async () => {
    const { lines, stream } = capture();
    const log = createLogger({ destination: stream });
    const url = 'postgres://postgres:s3cr3t-pw@127.0.0.1:5432/test';
    log.error(`opening the journal at ${url} failed`);
    log.error({ err: `getaddrinfo ENOTFOUND: ${url}`, journal: { postgres: { url } }, error: new Error(`cannot connect to ${url}`) }, 'journal down');
    await new Promise((r) => setImmediate(r));
    const text = lines.join('');
    expect(text).not.toContain('s3cr3t-pw');
    expect(text).toContain('postgres://postgres:[REDACTED]@127.0.0.1:5432/test');
    for (const l of lines.join('').split('\n').filter(Boolean)) expect(() => JSON.parse(l) as unknown).not.toThrow();
  });
});

describe('src/observability/metrics and health', () => {
  it('serves /healthz, /readyz with its checks, and /metrics fed by wave events', async () => {
    const metrics = new Metrics();
    const events = new WaveEvents();
    metrics.follow(events, (id) => id.split('-')[0]);
    events.emit('event', { type: 'wave-started', waveId: 'stage-20261125-1', start: 'new' });
    events.emit('event', { type: 'runtime-started', waveId: 'stage-20261125-1', runtimeId: 'r1' });
    let journalOk = false;
    const h = await startHealthServer(0, metrics, [{ name: 'journal', check: () => Promise.resolve(journalOk) }]);
    try {
      const base = `http://127.0.0.1:${h.port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(503);
      journalOk = true;
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ready: true, checks: { journal: true } });
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).toContain('istio_migrate_runtimes_in_flight{env="stage"} 1');
      expect(text).toContain('istio_migrate_waves{env="stage",state="running"} 1');
      expect(text).toContain('istio_migrate_process_cpu_user_seconds_total');
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      await h.close();
    }
  });
});
