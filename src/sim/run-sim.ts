/**
 * Starts the whole simulated landscape in this process: simulator, HTTP front, behaviour, files (C1).
 * Used by `istio-migrate sim`, `npm start` and tests that want a landscape in-process.
 */
import path from 'node:path';
import { installBehaviour, type Behaviour, type BehaviourOptions } from './behaviour/index.js';
import { SimServer } from './http-server.js';
import { writeSimFiles } from './landscape/files.js';
import { Simulator, type SimulatorOptions } from './simulator.js';

export interface RunningSim {
  sim: Simulator;
  server: SimServer;
  behaviour: Behaviour;
  port: number;
  out: string;
  close(): Promise<void>;
}

export interface StartSimOptions extends SimulatorOptions {
  out: string;
  port: number;
  timings?: BehaviourOptions['timings'];
  faults?: BehaviourOptions['faults'];
}

export async function startSim(opts: StartSimOptions): Promise<RunningSim> {
  const sim = new Simulator(opts);
  const server = new SimServer(sim);
  const behaviour = installBehaviour(sim, server, { timeScale: opts.timeScale, timings: opts.timings, faults: opts.faults });
  const port = await server.listen(opts.port);
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
    close: async () => {
      behaviour.stop();
      await server.close();
    },
  };
}
