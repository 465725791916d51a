import { describe, expect, it } from '@jest/globals';
import { stripComment } from '../../../src/chat/console/console-adapter.js';
import { attentionLines, finalSummary, progressBar, progressLine } from '../../../src/chat/console/progress.js';
import { renderText } from '../../../src/chat/console/text.js';
import type { WaveRuntime } from '../../../src/journal/journal.js';
import type { MigrationResult } from '../../../src/migration/result.js';
import type { WaveStatus } from '../../../src/rollout/wave-status.js';

describe('src/chat/console/console-adapter.ts — stripComment (C7: # starts a comment)', () => {
  it.each([
    ['# a comment', ''],
    ['status # why', 'status '],
    ['plan stage "a#b"', 'plan stage "a#b"'],
    ["plan stage 'x #y'", "plan stage 'x #y'"],
    ['plan stage region=eu#1', 'plan stage region=eu#1'],
    ['', ''],
  ])('%j → %j', (line, expected) => {
    expect(stripComment(line)).toBe(expected);
  });
});

describe('src/chat/console/progress.ts', () => {
  it.each([
    [0, 10, '[....................]'],
    [5, 10, '[##########..........]'],
    [9.99, 10, '[###################.]'],
    [10, 10, '[####################]'],
    [0, 0, '[####################]'],
  ])('progressBar(%d, %d) = %s', (done, total, bar) => {
    expect(progressBar(done, total)).toBe(bar);
  });

  it('a progress line names the wave, its state, the bar, counts in C4 order and what is in flight', () => {
    expect(progressLine({ waveId: 'stage-20261125-1', state: 'running', total: 4, counts: { error: 1, migrated: 2 }, running: 1 })).toBe(
      '» stage-20261125-1 running [###############.....] 3/4 · migrated 2, error 1 · 1 in flight',
    );
  });

  const result = (runtimeId: string, outcome: MigrationResult['outcome'], cls: MigrationResult['class'], reason: MigrationResult['reason'] = null) =>
    ({ runtimeId, outcome, class: cls, reason, message: outcome === 'migrated' ? 'Migration successful' : 'Migration failed' }) as MigrationResult;
  const rt = (runtimeId: string, r?: MigrationResult): WaveRuntime =>
    ({ waveId: 'w', runtimeId, state: r ? 'finished' : 'pending', runtime: { shootName: `c-${runtimeId}` }, result: r ?? null }) as unknown as WaveRuntime;

  it('the final summary lists what needs attention sorted by runtime id, and open tasks', () => {
    const runtimes = [rt('b', result('b', 'error', 'platform', 'api-error')), rt('a', result('a', 'multiple-istio-crs', 'customer')), rt('c', result('c', 'migrated', 'none')), rt('d')];
    const counts = { migrated: 1, 'already-migrated': 0, 'multiple-istio-crs': 1, 'kyma-cr-missing': 0, 'kyma-cr-ambiguous': 0, 'module-template-missing': 0, timeout: 0, error: 1, skipped: 0, pending: 1, running: 0 };
    const status = { waveId: 'stage-20261125-1', env: 'stage', target: 'all', state: 'interrupted', counts } as WaveStatus;
    const text = renderText(finalSummary(status, runtimes, 1));
    expect(attentionLines(runtimes)).toEqual(['a (c-a) multiple-istio-crs: Migration failed', 'b (c-b) error/api-error: Migration failed']);
    expect(text).toContain('== Wave stage-20261125-1 interrupted — stage, all ==');
    expect(text).toContain('[###############.....] 3/4 · migrated 1, multiple-istio-crs 1, error 1 · 1 pending');
    expect(text).toContain('Needs attention (2):');
    expect(text).toContain('1 customer-contact task open (see `tasks`)');
    expect(text).toContain('`resume stage-20261125-1`');
  });
});
