/**
 * THE scenario → expected-outcome table of the tests, written from DESIGN.md C2 (and C3's exit codes) — not
 * imported from src/, so the code is checked against the design rather than against itself. Every test that
 * needs "what must scenario X end as" reads it here.
 *
 * `patched`: whether the wave path writes the runtime's Kyma (exactly once): a `migrated`, `timeout`,
 * `istio-error` or `manifest-error` runtime was patched and then waited on; a held customer CR (default
 * `--on-conflict hold`, DESIGN.md §4), an already migrated runtime, a missing template or Kyma, a
 * skip-reconciliation label or an unreachable SKR is never written.
 */
import type { Scenario } from '../../src/sim/types.js';

export interface ExpectedOutcome {
  /** C4 outcome; null for the scenarios skipped at plan time (not eligible). */
  outcome: string | null;
  /** C4 reason for `error` and `skipped`, else null. */
  reason: string | null;
  /** C3 exit code of `istio-migrate migrate`; null where C2 says "—". */
  exit: 0 | 1 | 2 | null;
  patched: boolean;
}

const row = (outcome: string | null, reason: string | null, exit: 0 | 1 | 2 | null, patched: boolean): ExpectedOutcome => ({ outcome, reason, exit, patched });

/** DESIGN.md C2, row by row. */
export const C2: Readonly<Record<Scenario, ExpectedOutcome>> = {
  fresh: row('migrated', null, 0, true),
  'with-keda': row('migrated', null, 0, true),
  'existing-default': row('migrated', null, 0, true),
  'custom-cr-legacy': row('multiple-istio-crs', null, 1, false),
  'custom-cr': row('multiple-istio-crs', null, 1, false),
  'already-migrated': row('already-migrated', null, 0, false),
  'no-template': row('module-template-missing', null, 1, false),
  'no-kyma': row('kyma-cr-missing', null, 1, false),
  // LM reads only `default`; the other Kyma is listed in the result.
  'two-kymas': row('migrated', null, 0, true),
  slow: row('timeout', null, 2, true),
  'istio-error': row('error', 'istio-error', 1, true),
  'manifest-error': row('error', 'manifest-error', 1, true),
  // Read on the KCP Kyma (kcp-system/<runtime-id>); not patched.
  'skip-reconciliation': row('skipped', 'skip-reconciliation', 1, false),
  'skr-no-secret': row('error', 'kubeconfig-unavailable', 1, false),
  'skr-down': row('error', 'api-error', 1, false),
  suspended: row(null, null, null, false),
  deprovisioning: row(null, null, null, false),
  flaky: row('migrated', null, 0, true),
};

/** What a runtime of `scenario` must end as: its C2 row. */
export function expectedOf(scenario: string): ExpectedOutcome {
  const s = scenario as Scenario;
  const e = C2[s];
  if (!e) throw new Error(`no C2 row for scenario "${scenario}" (e.g. "fresh", "two-kymas")`);
  return e;
}

/** The C4 outcomes (DESIGN.md §9), for counting tables: every outcome a wave status counts. */
export const C4_OUTCOMES = ['migrated', 'already-migrated', 'multiple-istio-crs', 'kyma-cr-missing', 'kyma-cr-ambiguous', 'module-template-missing', 'timeout', 'error', 'skipped'] as const;
