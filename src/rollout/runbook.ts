/**
 * The rollout doc's ordered steps per environment (reference/000_…txt; DESIGN.md §5 Runbook):
 * Dev: all. Stage: a sample of Kyma-Test/Kyma-Integration → those accounts → Canary. Prod: a sample of
 * Kyma-Test/Kyma-Integration → Trial → Factory. Each step is a wave followed by `verify`. A step is done when a
 * wave with its target finished; verified when `verify` passed after that.
 */
import type { EnvName } from '../config/config.js';
import type { Journal, Wave } from '../journal/journal.js';
import { parseTargets } from '../targets/selector.js';

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
    const verified = match ? (await journal.getSetting(`verified:${match.waveId}`)) === 'ok' : false;
    out.push({ ...step, canonical, wave: match?.waveId ?? null, waveState: match?.state ?? null, verified });
  }
  return out;
}

/** The runbook step a run would be, and the earlier steps not yet done and verified. */
export function outOfOrder(steps: StepState[], target: string, sample: number | null): { step: StepState; missing: StepState[] } | null {
  const step = steps.find((s) => s.canonical === target && (s.sample !== null) === (sample !== null));
  if (!step) return null;
  const missing = steps.filter((s) => s.index < step.index && !(s.wave && s.verified));
  return missing.length ? { step, missing } : null;
}
