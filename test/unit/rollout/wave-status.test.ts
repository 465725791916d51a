/**
 * src/rollout/wave-status effectiveState: a wave whose journal state is live shows `interrupted` when nothing runs
 * it — no lease, a lapsed lease, or a lease whose holder was a process of this host that is gone (a Ctrl-C'd or
 * killed shell `run`, whose lease would otherwise read "running" until it lapses).
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import type { Journal, Wave } from '../../../src/journal/journal.js';
import { effectiveState } from '../../../src/rollout/wave-status.js';

const wave = { waveId: 'stage-20261206-1', state: 'running' } as Wave;
const inAnHour = new Date(Date.now() + 3600_000).toISOString();
const journalWith = (lease: { holder: string; expiresAt: string } | undefined) => ({ getLease: () => Promise.resolve(lease) }) as unknown as Journal;
/** The pid of a process of this host that has exited. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid;

describe('src/rollout/wave-status effectiveState', () => {
  it('is the journal state while a live process of this host holds a valid lease', async () => {
    const holder = `${os.hostname()}:${process.ppid}:0a1b2c3d`; // the parent (jest) is alive
    await expect(effectiveState(journalWith({ holder, expiresAt: inAnHour }), wave)).resolves.toBe('running');
  });

  it('is interrupted when the holder was a process of this host that is gone, though its lease is valid', async () => {
    const holder = `${os.hostname()}:${deadPid()}:0a1b2c3d`;
    await expect(effectiveState(journalWith({ holder, expiresAt: inAnHour }), wave)).resolves.toBe('interrupted');
  });

  it('leaves a holder on another host to its lease (its pid says nothing here)', async () => {
    const holder = `another-host-${os.hostname()}:${deadPid()}:0a1b2c3d`;
    await expect(effectiveState(journalWith({ holder, expiresAt: inAnHour }), wave)).resolves.toBe('running');
  });

  it('is interrupted without a lease or with a lapsed one, and a finished wave stays finished', async () => {
    await expect(effectiveState(journalWith(undefined), wave)).resolves.toBe('interrupted');
    await expect(effectiveState(journalWith({ holder: `x:1:0a`, expiresAt: new Date(Date.now() - 1000).toISOString() }), wave)).resolves.toBe('interrupted');
    await expect(effectiveState(journalWith(undefined), { ...wave, state: 'finished' })).resolves.toBe('finished');
  });
});
