/**
 * src/rollout/wave-runner.ts: a stop (SIGTERM) ends the wave's own KCP reads too. The skip-reconciliation list and
 * the kubeconfig batches go through one KCP client per wave; it used to retry through its backoff (six attempts, up
 * to ~8 s) after the stop, keeping the runtime that waited on it — and so the stop — from ending. Here KCP is a
 * local HTTP server answering 503 to everything, and the stop comes with its first request.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Journal } from '../../../src/journal/journal.js';
import { runWave, WaveEvents } from '../../../src/rollout/wave-runner.js';
import { plannedRuntimes, sqliteJournalPerTest } from '../../helpers/runner-fixtures.js';
import { localKubeconfig } from '../../helpers/local-kubeconfig.js';


describe('src/rollout/wave-runner.ts — a stop ends the wave’s KCP retries', () => {
  let journal: Journal;
  sqliteJournalPerTest('stop-kcp-', (j) => (journal = j));
  let server: http.Server;
  let requests = 0;
  let onRequest = () => undefined as void;
  beforeEach(async () => {
    requests = 0;
    server = http.createServer((req, res) => {
      requests++;
      onRequest();
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'ServiceUnavailable', code: 503 }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('a stop during a KCP read that is being retried: no further attempt, the wave ends interrupted', async () => {
    const wave = await journal.createWave({ env: 'dev', target: 'all', planHash: 'h'.repeat(64), state: 'running', concurrency: 1, requestedBy: 'sre-1', approvedBy: null }, plannedRuntimes(2));
    const events = new WaveEvents();
    onRequest = () => events.stopAll(new Error('the process is stopping (SIGTERM)'));
    let migrations = 0;
    const access = { kcpKubeconfig: localKubeconfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), deadlineMs: 5000, pollIntervalMs: 10, onConflict: 'hold' as const };
    const ended = await runWave(
      {
        journal,
        access,
        budget: 2,
        holder: 'test',
        events,
        controlIntervalMs: 20,
        migrate: () => {
          migrations++;
          throw new Error(`not reached: the runtime waits for the skip-reconciliation list first (${requests} KCP requests so far)`);
        },
      },
      wave.waveId,
    );
    expect({ state: ended.state, kcpRequests: requests, migrations }).toEqual({ state: 'interrupted', kcpRequests: 1, migrations: 0 });
  });
});
