/**
 * The rollout doc's ordered steps per environment (reference/000_…txt; DESIGN.md §5 Runbook):
 * Dev: all. Stage: a sample of Kyma-Test/Kyma-Integration → those accounts → Canary. Prod: a sample of
 * Kyma-Test/Kyma-Integration → Trial → Factory. Each step is a wave followed by `verify`. A step is done when a
 * wave of its whole target finished with every runtime ended and none failed on the platform side, and `verify`
 * passed on it after that (runbookState); a drained wave or one with failures never completes a step.
 *
 * The order is checked on the runtimes a wave would touch, not on how its target is spelled: `run stage account=.+`
 * touches Canary's runtimes just as `run stage canary` does (issue 14 finding 3).
 */
import type { EnvName } from '../config/config.js';
import type { Journal } from '../journal/journal.js';
import { matches, parseTargets, type SelectableRuntime, type TargetSpec } from '../targets/selector.js';
import { count, runningWord } from '../text/words.js';
import { platformFailuresOf, waveCounts, type Counts } from './wave-status.js';

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

/** A wave as the runbook judges it. */
export interface StepWave {
  waveId: string;
  /** The wave's canonical target, and its --sample (null: the whole target). */
  target: string;
  sample: number | null;
  /** The wave's stored state (C5). */
  state: string;
  /** Why the wave cannot complete a step whatever verify says (see {@link leftoverOf}); null when nothing is left. */
  leftover: string | null;
  /** Finished with runtimes never started (drained). */
  drained: boolean;
  platformFailures: number;
  /** `verify` passed on it (its recorded verdict is ok). */
  verified: boolean;
}

export interface StepState extends RunbookStep {
  canonical: string;
  /** The wave that ran the step's whole target: the one that completes it, else the latest such wave; null when none. */
  wave: string | null;
  waveState: string | null;
  verified: boolean;
  /** Done: a wave of the step's whole target finished with nothing left (see {@link leftoverOf}) and verify passed on it. */
  done: boolean;
  /** Why the step's wave does not make the step done (drained, failures, not verified); null when done or no wave. */
  notDone: string | null;
  /** The step's wave finished with runtimes never started, or with platform failures. */
  drained: boolean;
  platformFailures: number;
  /** Waves whose runtimes belong to this step but that ran only part of its target (a smaller sample, a narrower target). */
  partial: StepWave[];
}

/**
 * What a wave left that keeps it from completing a runbook step, in words; null when nothing. A step is judged on
 * the runtimes: every runtime of the wave must have ended, none may be left unstarted (a drained wave) or
 * unfinished, and none may have failed on the platform side (retry-failed re-runs those in the same wave). Customer
 * outcomes (`multiple-istio-crs`: held, a customer-contact task) and skipped runtimes do not hold a step back: they
 * wait for the customer or for KEB, and go into a later wave.
 */
export function leftoverOf(wave: { waveId: string; state: string }, counts: Readonly<Counts>): string | null {
  const platform = platformFailuresOf(counts);
  const parts: string[] = [];
  if (wave.state !== 'finished') parts.push(`it is ${wave.state}, not finished`);
  if (wave.state === 'finished' && counts.pending > 0) parts.push(`${count(counts.pending, 'runtime')} never started (drained)`);
  else if (counts.pending > 0) parts.push(`${count(counts.pending, 'runtime')} not started`);
  if (counts.running > 0) parts.push(`${count(counts.running, 'runtime')} ${runningWord(wave.state)}`);
  if (platform > 0) parts.push(`${count(platform, 'platform failure')} (retry-failed ${wave.waveId} --yes)`);
  return parts.length ? parts.join(', ') : null;
}

/** The runbook step a wave belongs to: the latest step among its runtimes (as {@link outOfOrder} judges a run). */
function stepOfWave(steps: readonly RunbookStep[], targets: ReadonlyMap<number, TargetSpec>, runtimes: readonly SelectableRuntime[], sample: number | null): number | undefined {
  let latest: number | undefined;
  for (const rt of runtimes) {
    const k = stepOfRuntime(steps, targets, rt, sample)?.index;
    if (k !== undefined && (latest === undefined || k > latest)) latest = k;
  }
  return latest;
}

/**
 * Where each step of an environment stands. A wave completes a step only when it ran the step's whole target (its
 * canonical target, with a sample of at most the step's size for the sample step and none for the others), ended
 * with nothing left ({@link leftoverOf}) and verify passed on it. A wave that ran part of a step (`run stage
 * kyma-test --sample 2`, `run stage canary --sample 5`) is listed under that step as partial; it does not complete it.
 */
export async function runbookState(journal: Journal, env: EnvName, namedSets: Record<string, string[]>): Promise<StepState[]> {
  const steps = RUNBOOK[env];
  const targets = new Map<number, TargetSpec>();
  for (const s of steps) {
    const t = targetOf(s, namedSets);
    if (t) targets.set(s.index, t);
  }
  const judged: (StepWave & { step: number | undefined })[] = [];
  for (const w of await journal.listWaves({ env })) {
    const plan = (await journal.getPlan(w.planHash))?.document as { sample?: number | null; runtimes?: SelectableRuntime[] } | undefined;
    const sample = plan?.sample || null;
    const { counts } = await waveCounts(journal, w.waveId);
    const verified = (await journal.waveVerdict(w.waveId)) === 'ok';
    judged.push({ waveId: w.waveId, target: w.target, sample, state: w.state, leftover: leftoverOf(w, counts), drained: w.state === 'finished' && counts.pending > 0, platformFailures: platformFailuresOf(counts), verified, step: stepOfWave(steps, targets, plan?.runtimes ?? [], sample) });
  }
  return steps.map((step) => {
    const canonical = canonicalOf(step, namedSets);
    const whole = (w: StepWave) => w.target === canonical && (step.sample === null ? w.sample === null : w.sample !== null && w.sample <= step.sample);
    const mine = judged.filter(whole); // newest first
    const match = mine.find((w) => !w.leftover && w.verified) ?? mine[0];
    const done = !!match && !match.leftover && match.verified;
    const notDone = !match || done ? null : match.leftover ?? 'not verified yet';
    const partial = judged.filter((w) => w.step === step.index && !whole(w)).map(({ step: _step, ...w }) => w);
    return { ...step, canonical, wave: match?.waveId ?? null, waveState: match?.state ?? null, verified: match?.verified ?? false, done, notDone, drained: match?.drained ?? false, platformFailures: match?.platformFailures ?? 0, partial };
  });
}

/** The canonical target of a step in an environment (its named sets from config). */
function canonicalOf(step: RunbookStep, namedSets: Record<string, string[]>): string {
  try {
    return parseTargets({ specs: step.specs, namedSets }).canonical;
  } catch {
    return `(${step.specs.join(' ')} not configured)`;
  }
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
  const missing = steps.filter((s) => s.index < step.index && !s.done);
  return missing.length ? { step, missing, touched } : null;
}
