/**
 * Starts the whole simulated landscape in this process: simulator, HTTP front, behaviour, files (C1).
 * Used by `istio-migrate sim`, `npm start` and tests that want a landscape in-process.
 */
import path from 'node:path';
import { installBehaviour, type Behaviour, type BehaviourOptions } from './controllers/index.js';
import { SimServer } from './http-server.js';
import { writeSimFiles } from './landscape/files.js';
import { loadSimState, persistSim, type LandscapeMeta } from './persist.js';
import { Simulator, type SimulatorOptions } from './simulator.js';

export interface RunningSim {
  sim: Simulator;
  server: SimServer;
  behaviour: Behaviour;
  port: number;
  out: string;
  /** With `stateDir`: what the stored landscape is, and whether it came back from there. */
  state?: { meta: LandscapeMeta; restored: boolean; dir: string };
  close(): Promise<void>;
}

export interface StartSimOptions extends SimulatorOptions {
  out: string;
  port: number;
  timings?: BehaviourOptions['timings'];
  faults?: BehaviourOptions['faults'];
  /** Keep the landscape in this directory across processes (persist.ts): it comes back as it was left. */
  stateDir?: string;
  lmCapacity?: BehaviourOptions['lmCapacity'];
}

export async function startSim(opts: StartSimOptions): Promise<RunningSim> {
  const loaded = opts.stateDir ? loadSimState(path.resolve(opts.stateDir), opts) : undefined;
  const sim = new Simulator(loaded ? { ...opts, referenceTime: loaded.meta.referenceTime, restore: loaded.restore } : opts);
  const server = new SimServer(sim);
  const behaviour = installBehaviour(sim, server, { timeScale: opts.timeScale, timings: opts.timings, faults: opts.faults, lmCapacity: opts.lmCapacity });
  const persisted = opts.stateDir ? persistSim(sim, path.resolve(opts.stateDir)) : undefined;
  const port = await server.listen(opts.port);
  // Restored clusters come back at once, so that LM finishes what it had started on them.
  for (const id of loaded?.restore.keys() ?? []) sim.cluster(id);
  const out = path.resolve(opts.out);
  await writeSimFiles(out, sim.landscape, {
    ...sim.seedContext(),
    port,
    timeScale: opts.timeScale,
    kebTokenFor: (env) => sim.tokenFor(`keb-${env}`),
  });
  return {
    sim,
    server,
    behaviour,
    port,
    out,
    ...(loaded ? { state: { meta: loaded.meta, restored: loaded.restored, dir: path.resolve(opts.stateDir!) } } : {}),
    close: async () => {
      behaviour.stop();
      persisted?.stop();
      await server.close();
    },
  };
}
