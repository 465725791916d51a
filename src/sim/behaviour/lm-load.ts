/**
 * Lifecycle Manager's capacity model, per environment: LM reconciles a bounded number of Manifests at once (its
 * workers), so once more Manifests are being processed than it has capacity for, each of its steps takes longer in
 * proportion — latency grows with the load, throughput stays at capacity (a saturated worker pool). A Manifest
 * counts from the moment LM takes the module on until its state is no longer Processing.
 *
 * Limit: one number per environment; real LM's latency also depends on the SKRs' API servers and the OCI
 * registry, which this leaves out.
 */
export interface LmLoad {
  /** A Manifest starts being processed. */
  begin(): void;
  /** It stopped being processed (Ready, Warning, Error, deleted, or its simulator stopped). */
  end(): void;
  /** The factor LM's delays take now: max(1, processing / capacity). */
  factor(): number;
  readonly processing: number;
}

/** Default capacity per environment: above what the benchmarks and tests run at once, unless they set one. */
export const DEFAULT_LM_CAPACITY: Record<string, number> = { dev: 200, stage: 200, prod: 400 };

export function lmLoad(capacity: number): LmLoad {
  let processing = 0;
  return {
    begin: () => void processing++,
    end: () => void (processing = Math.max(0, processing - 1)),
    factor: () => Math.max(1, processing / Math.max(1, capacity)),
    get processing() {
      return processing;
    },
  };
}

export const NO_LM_LOAD: LmLoad = { begin: () => undefined, end: () => undefined, factor: () => 1, processing: 0 };
