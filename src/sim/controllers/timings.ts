/**
 * How long the simulated controllers take, in real-landscape milliseconds. `--time-scale X` multiplies all of
 * them. The defaults follow what the rollout saw: LM takes about a minute from the Kyma patch to a Ready
 * Istio on a fresh cluster, and some seconds to take over an existing installation.
 */
import { createHash } from 'node:crypto';

export interface Timings {
  /** LM notices a changed SKR Kyma and creates the Manifest (Processing). */
  lmNoticeMs: number;
  /** Then LM deploys (or takes over) istio-controller-manager. */
  lmDeployMs: number;
  /** A new Deployment's pods become ready. */
  deploymentReadyMs: number;
  /** A scaled Deployment reaches its replica count. */
  deploymentScaleMs: number;
  /** LM creates the default Istio CR after the Deployment exists. */
  lmCreateCrMs: number;
  /** LM mirrors the Istio CR state into the Manifest and the Kyma statuses. */
  lmMirrorMs: number;
  /** The Istio operator reacts to a change of an Istio CR. */
  operatorReconcileMs: number;
  /** A first Istio installation (no Istio on the cluster yet) takes this long to become Ready. */
  operatorInstallMs: number;
  /** Scenario `slow`: LM's delays are multiplied by this (its first reaction then comes after 1,200 s, twice the script's 510 s deadline). */
  slowFactor: number;
  /**
   * Clusters are not all equally fast: each SKR's delays are multiplied by a factor of its own between 1 and
   * 1 + clusterSpread, fixed by its runtime id (the same on every run). Never shorter than the figures above.
   */
  clusterSpread: number;
}

export const DEFAULT_TIMINGS: Timings = {
  lmNoticeMs: 5_000,
  lmDeployMs: 3_000,
  deploymentReadyMs: 15_000,
  deploymentScaleMs: 2_000,
  lmCreateCrMs: 2_000,
  lmMirrorMs: 2_000,
  operatorReconcileMs: 3_000,
  operatorInstallMs: 35_000,
  slowFactor: 240,
  clusterSpread: 0.2,
};

/** Factors, not durations: the time scale leaves them alone. */
const FACTORS: ReadonlySet<keyof Timings> = new Set(['slowFactor', 'clusterSpread']);

/** The timings with every duration multiplied by the time scale. */
export function scaleTimings(t: Timings, timeScale: number): Timings {
  const out = { ...t };
  for (const k of Object.keys(out) as (keyof Timings)[]) {
    if (!FACTORS.has(k)) out[k] = t[k] * timeScale;
  }
  return out;
}

/** The timings of one SKR: every duration times its own factor in [1, 1 + clusterSpread), from a hash of its runtime id. */
export function clusterTimings(t: Timings, runtimeId: string): Timings {
  const factor = 1 + t.clusterSpread * (createHash('sha256').update(runtimeId).digest().readUInt32BE(0) / 2 ** 32);
  const out = { ...t };
  for (const k of Object.keys(out) as (keyof Timings)[]) {
    if (!FACTORS.has(k)) out[k] = t[k] * factor;
  }
  return out;
}
