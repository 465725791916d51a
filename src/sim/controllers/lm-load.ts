/**
 * Lifecycle Manager's capacity model, per environment: LM has a fixed number of workers (its concurrent
 * reconciles). Every step LM takes for a runtime — noticing a changed Kyma, deploying the module, creating the
 * default CR, mirroring states — holds a worker for its duration; when all are busy, steps wait in line. So once
 * more Manifests are in work than LM has workers, each runtime's patch → Manifest Ready grows with the load while
 * LM's throughput stays at its capacity (a saturated worker pool).
 *
 * Limit: one number per environment; real LM's latency also depends on the SKRs' API servers and the OCI
 * registry, which this leaves out.
 */
export interface LmLoad {
  /** A Manifest starts being processed (for the statistics). */
  begin(): void;
  /** It stopped being processed (Ready, Warning, Error, deleted, or its simulator stopped). */
  end(): void;
  /** Runs `fn` after a worker has spent `ms` on it (waiting first while all workers are busy); returns a cancel. */
  submit(ms: number, fn: () => void): () => void;
  /** Manifests being processed now. */
  readonly processing: number;
  /** Steps waiting for a worker now. */
  readonly queued: number;
}

/** Default capacity per environment: above what the tests and bench:wave ask of LM at once, unless they set one. */
export const DEFAULT_LM_CAPACITY: Record<string, number> = { dev: 400, stage: 400, prod: 800 };

interface Job {
  ms: number;
  fn: () => void;
  timer?: NodeJS.Timeout;
  cancelled: boolean;
}

export function lmLoad(capacity: number): LmLoad {
  const workers = Math.max(1, Math.floor(capacity));
  let processing = 0;
  let busy = 0;
  const queue: Job[] = [];
  const start = (j: Job) => {
    busy++;
    j.timer = setTimeout(() => {
      j.timer = undefined;
      busy--;
      pump();
      if (!j.cancelled) j.fn();
    }, j.ms);
  };
  const pump = () => {
    while (busy < workers && queue.length) {
      const j = queue.shift()!;
      if (!j.cancelled) start(j);
    }
  };
  return {
    begin: () => void processing++,
    end: () => void (processing = Math.max(0, processing - 1)),
    submit: (ms, fn) => {
      const j: Job = { ms, fn, cancelled: false };
      if (busy < workers) start(j);
      else queue.push(j);
      return () => {
        j.cancelled = true;
        if (j.timer) {
          clearTimeout(j.timer);
          j.timer = undefined;
          busy--;
          pump();
        }
      };
    },
    get processing() {
      return processing;
    },
    get queued() {
      return queue.length;
    },
  };
}

/** No capacity limit: every step runs after its own delay. */
export const NO_LM_LOAD: LmLoad = {
  begin: () => undefined,
  end: () => undefined,
  submit: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  processing: 0,
  queued: 0,
};
