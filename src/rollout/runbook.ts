/**
 * The rollout doc's ordered steps per environment (reference/000_…txt; DESIGN.md §5 Runbook):
 * Dev: all. Stage: a sample of Kyma-Test/Kyma-Integration → those accounts → Canary. Prod: a sample of
 * Kyma-Test/Kyma-Integration → Trial → Factory. Each step is a wave followed by `verify`. A step is done when a
 * wave with its target finished; verified when `verify` passed after that.
 *
 * The order is checked on the runtimes a wave would touch, not on how its target is spelled: `run stage account=.+`
 * touches Canary's runtimes just as `run stage canary` does (issue 14 finding 3).
 */
import type { EnvName } from '../config/config.js';
import type { Journal, Wave } from '../journal/journal.js';
import { matches, parseTargets, type SelectableRuntime, type TargetSpec } from '../targets/selector.js';

export interface RunbookStep {
  index: number;
  title: string;
  specs: string[];
  sample: number | null;
}

export const SAMPLE_SIZE = 5;

export const RUNBOOK: Record<EnvName, RunbookStep[]> = {
  dev: [{ index: 1, title: 'all SKRs of Dev', specs: ['all'], sample: null }],
  stage: [
    { index: 1, title: 'a few SKRs of Kyma-Test/Kyma-Integration', specs: ['kyma-test', 'kyma-integration'], sample: SAMPLE_SIZE },
    { index: 2, title: 'all SKRs of Kyma-Test and Kyma-Integration', specs: ['kyma-test', 'kyma-integration'], sample: null },
    { index: 3, title: 'the whole Canary landscape', specs: ['canary'], sample: null },
  ],
  prod: [
    { index: 1, title: 'a few SKRs of Kyma-Test/Kyma-Integration', specs: ['kyma-test', 'kyma-integration'], sample: SAMPLE_SIZE },
    { index: 2, title: 'all SKRs in Trial global accounts', specs: ['trial'], sample: null },
    { index: 3, title: 'the whole Factory landscape', specs: ['factory'], sample: null },
  ],
};

export interface StepState extends RunbookStep {
  canonical: string;
  wave: string | null;
  waveState: string | null;
  verified: boolean;
}

/** The canonical target of a step in an environment (its named sets from config). */
function canonicalOf(step: RunbookStep, namedSets: Record<string, string[]>): string {
  try {
    return parseTargets({ specs: step.specs, namedSets }).canonical;
  } catch {
    return `(${step.specs.join(' ')} not configured)`;
  }
}

export async function runbookState(journal: Journal, env: EnvName, namedSets: Record<string, string[]>): Promise<StepState[]> {
  const waves = (await journal.listWaves({ env })).filter((w) => w.state === 'finished');
  const samples = new Map<string, number | null>();
  for (const w of waves) {
    const plan = await journal.getPlan(w.planHash);
    samples.set(w.waveId, ((plan?.document as { sample?: number | null } | undefined)?.sample ?? null) || null);
  }
  const out: StepState[] = [];
  for (const step of RUNBOOK[env]) {
    const canonical = canonicalOf(step, namedSets);
    const match: Wave | undefined = waves.find((w) => w.target === canonical && (samples.get(w.waveId) !== null) === (step.sample !== null));
    const verified = match ? (await journal.waveVerdict(match.waveId)) === 'ok' : false;
    out.push({ ...step, canonical, wave: match?.waveId ?? null, waveState: match?.state ?? null, verified });
  }
  return out;
}

function targetOf(step: RunbookStep, namedSets: Record<string, string[]>): TargetSpec | undefined {
  try {
    return parseTargets({ specs: step.specs, namedSets });
  } catch {
    return undefined; // a step whose named sets this environment does not configure selects nothing
  }
}

/**
 * The runbook step a runtime belongs to: the first step whose target selects it. A sample step (a few SKRs) counts
 * only for a sampled wave of at most its size; the runtimes of a bigger wave belong to a later step that selects them.
 */
export function stepOfRuntime(steps: readonly RunbookStep[], targets: ReadonlyMap<number, TargetSpec>, rt: SelectableRuntime, sample: number | null): RunbookStep | undefined {
  return steps.find((s) => {
    const t = targets.get(s.index);
    if (!t || !matches(t, rt)) return false;
    return s.sample === null || (sample !== null && sample <= s.sample);
  });
}

/**
 * The latest runbook step among the runtimes a wave would touch, and the earlier steps not yet done and verified
 * (null when none is missing): however the wave's target was written.
 */
export function outOfOrder(
  steps: StepState[],
  runtimes: readonly SelectableRuntime[],
  sample: number | null,
  namedSets: Record<string, string[]>,
): { step: StepState; missing: StepState[]; touched: number } | null {
  const targets = new Map<number, TargetSpec>();
  for (const s of steps) {
    const t = targetOf(s, namedSets);
    if (t) targets.set(s.index, t);
  }
  let latest: StepState | undefined;
  let touched = 0;
  for (const rt of runtimes) {
    const k = stepOfRuntime(steps, targets, rt, sample)?.index;
    if (k === undefined) continue;
    if (!latest || k > latest.index) {
      latest = steps.find((s) => s.index === k);
      touched = 0;
    }
    if (k === latest!.index) touched++;
  }
  if (!latest) return null;
  const step = latest;
  const missing = steps.filter((s) => s.index < step.index && !(s.wave && s.verified));
  return missing.length ? { step, missing, touched } : null;
}
