/**
 * Common setups of tests, each registering its hooks in the calling describe: simServices (a simulator, a config
 * with a journal of its own, Services on it) and simAndSlack (a simulator and a fake Slack).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll } from '@jest/globals';
import type { CommandContext } from '../../commands/types.js';
import { FakeSlack, type FakeSlackOptions } from './fake-slack.js';
import { Services } from '../../src/app/services.js';
import { startTestSim, writeSimConfig, type SimConfigDoc, type TestSim } from './sim.js';

export interface SimServices {
  sim: TestSim;
  services: Services;
  configFile: string;
  /** A shell context of user sre-1 on `services`: the same object throughout (its services set before all tests). */
  ctx: CommandContext;
}

/** Registers the hooks in the calling describe; `prefix` names the config's temporary directory, `edit` adjusts it. */
export function simServices(simOptions: Parameters<typeof startTestSim>[0], prefix: string, edit: (cfg: SimConfigDoc) => void = () => undefined): SimServices {
  const f = { ctx: { user: 'sre-1', via: 'shell', interactive: false } } as SimServices;
  let dir: string | undefined;
  beforeAll(async () => {
    f.sim = await startTestSim(simOptions);
    f.configFile = writeSimConfig(f.sim, prefix, (cfg, d) => {
      dir = d;
      edit(cfg);
    });
    f.services = await Services.create({ configFile: f.configFile });
    // The journal of this config, created as a first `plan` would: commands that only read refuse a missing one.
    await f.services.journal('create');
    f.ctx.services = f.services;
  });
  afterAll(async () => {
    await f.services?.close();
    await f.sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return f;
}

export interface SimAndSlack {
  sim: TestSim;
  fake: FakeSlack;
  /** Config directories to remove after all tests. */
  dirs: string[];
}

/** In the calling describe: a simulator and a fake Slack started before all its tests, closed (with `dirs`) after. */
export function simAndSlack(simOptions: Parameters<typeof startTestSim>[0], slackOptions?: FakeSlackOptions): SimAndSlack {
  const f: Partial<SimAndSlack> & { dirs: string[] } = { dirs: [] };
  beforeAll(async () => {
    f.sim = await startTestSim(simOptions);
    f.fake = await FakeSlack.start(slackOptions);
  });
  afterAll(async () => {
    await f.fake?.close();
    await f.sim?.close();
    for (const d of f.dirs) rmSync(d, { recursive: true, force: true });
  });
  return f as SimAndSlack;
}
