/**
 * The Slack wave message (chat/slack/wave-render.ts) and the wave page (wave-page/wave-view.ts) tell one ETA, by one
 * rule (rollout/eta.ts), from one journal: they used to disagree (a lifetime average against the last ten minutes).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Services } from '../../../src/app/services.js';
import { waveViewOf } from '../../../src/chat/slack/wave-render.js';
import type { Journal } from '../../../src/journal/journal.js';
import { openJournal } from '../../../src/journal/open-journal.js';
import { newRunnerHolder } from '../../../src/rollout/runner-identity.js';
import { buildWaveView } from '../../../src/wave-page/wave-view.js';
import { migrationResult, plannedRuntime, waveInput } from '../journal/contract-fixtures.js';

let journal: Journal | undefined;
afterEach(async () => {
  await journal?.close();
  journal = undefined;
});

describe('the live ETA, in Slack and on the wave page', () => {
  it('is the same in both: the runtimes left at the pace of the last ten minutes; none once the wave is paused', async () => {
    const j = (journal = await openJournal({ kind: 'sqlite', file: ':memory:' }));
    const now = Date.now();
    const ago = (min: number) => new Date(now - min * 60_000);
    const runtimes = Array.from({ length: 100 }, (_, i) => plannedRuntime(i + 1));
    const wave = await j.createWave(waveInput('stage'), runtimes, ago(60));
    const holder = newRunnerHolder();
    await j.acquireLease(wave.waveId, holder, 60_000);
    // 20 finished half an hour ago, 30 in the last five minutes, 50 left.
    for (const [i, r] of runtimes.slice(0, 50).entries()) {
      await j.startRuntime(wave.waveId, r.runtimeId, holder);
      await j.finishRuntime(wave.waveId, r.runtimeId, migrationResult(r.runtimeId, { outcome: 'migrated', class: 'none', finishedAt: ago(i < 20 ? 30 : 5).toISOString() }), holder);
    }
    const services = { journal: () => Promise.resolve(j), budget: () => 5 } as unknown as Services;
    const slack = async () => (await waveViewOf(services, wave.waveId, {}))!.view.etaSeconds;
    const page = async () => (await buildWaveView({ journal: j, budget: { budget: () => 5 }, now: () => now }, wave.waveId))!.etaSeconds;

    // 50 left at 30 per ten minutes: 1,000 s. (The lifetime average, 50 per hour, would say an hour.)
    expect(await page()).toBe(1_000);
    expect(await slack()).toBe(1_000);

    await j.setWaveState(wave.waveId, 'paused');
    expect(await page()).toBeNull();
    expect(await slack()).toBeNull();
  });
});
