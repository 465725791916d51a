/**
 * A crash-survival review's finding: a wave aborted while a runtime waited after its patch leaves that runtime at
 * its checkpoint for good. `status` called it "running" (nothing runs it), and the next wave of the runtime found
 * istio listed and recorded `already-migrated` — no record said the bot had made the change. Reproduced through the
 * commands on a simulated landscape: wave 1 migrates a runtime, its record is put back to `patched` (as an abort
 * during the wait leaves it) and the wave aborted; then `status` and a second wave.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import type { CommandContext } from '../../../commands/types.js';
import { Services } from '../../../src/app/services.js';
import type { WaveStatus } from '../../../src/rollout/wave-status.js';
import { outsideRunbook, runtimeOf, startTestSim, type TestSim, writeSimConfig } from '../../helpers/sim.js';

describe('src/rollout/earlier-patch.ts, status — what an aborted wave left after its patch', () => {
  let sim: TestSim;
  let services: Services;
  const ctx = (): CommandContext => ({ user: 'sre-1', via: 'shell', interactive: false, services });

  beforeAll(async () => {
    sim = await startTestSim({ profile: 'scenarios', timeScale: 0.01 });
    services = await Services.create({ configFile: writeSimConfig(sim, 'aborted-patch', (cfg) => outsideRunbook(cfg)) });
  });
  afterAll(async () => {
    await services?.close();
    await sim?.close();
  });

  it('status says the runtime was left unfinished, and the next wave names the wave whose patch it finds', async () => {
    const runtimeId = runtimeOf(sim.out, 'stage', 'fresh').runtimeId;
    const first = await dispatch(ctx(), 'run', ['stage', `runtime-id=${runtimeId}`, '--yes', '--json']);
    expect(first.exitCode).toBe(0);
    const wave1 = (first.json as WaveStatus).waveId;
    const journal = await services.journal();
    await journal.resetRuntimes(wave1, [runtimeId]); // back to `patched`, as an abort during the wait leaves it
    await journal.setWaveState(wave1, 'aborted');

    const status = await dispatch(ctx(), 'status', [wave1]);
    expect(status.text).toContain('left unfinished 1');
    expect(status.text).not.toMatch(/\brunning 1\b/);

    const second = await dispatch(ctx(), 'run', ['stage', `runtime-id=${runtimeId}`, '--yes', '--json']);
    expect(second.exitCode).toBe(0);
    const [row] = await journal.listWaveRuntimes((second.json as WaveStatus).waveId);
    expect(row.result).toMatchObject({ outcome: 'already-migrated', notes: [expect.stringContaining(`wave ${wave1} patched this runtime`)] });
  });
});
