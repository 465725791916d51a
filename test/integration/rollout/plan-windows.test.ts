/**
 * Issue 20 through the plan command on a simulated landscape: `windows: require` forecasts the nights ("~2 nights:
 * … in tonight's windows, … tomorrow"), plans each runtime with its shoot's window and is in the hash; the calendar
 * entries the wave meets are listed and delay the ETA; `ignore` (the default) leaves plan and hash as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dispatch } from '../../../commands/index.js';
import type { CommandContext } from '../../../commands/types.js';
import { Services } from '../../../src/app/services.js';
import type { PlanDocument } from '../../../src/rollout/plan-wave.js';
import { startTestSim, type SimConfigDoc, type TestSim, writeSimConfig } from '../../helpers/sim.js';

const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('commands/plan with maintenance windows and the freeze calendar', () => {
  let sim: TestSim;
  const ctxs: CommandContext[] = [];
  const plan = async (edit: (cfg: SimConfigDoc) => void, args = ['prod', 'all']) => {
    const ctx: CommandContext = { user: 'sre-1', via: 'shell', interactive: false, services: await Services.create({ configFile: writeSimConfig(sim, 'plan-windows', edit) }) };
    ctxs.push(ctx);
    const res = await dispatch(ctx, 'plan', args);
    expect(res.exitCode).toBe(0);
    return { text: res.text, doc: res.json as PlanDocument };
  };
  beforeAll(async () => {
    sim = await startTestSim({ profile: 'fresh', runtimes: 100 });
  });
  afterAll(async () => {
    for (const c of ctxs) await c.services.close();
    await sim.close();
  });

  it('ignore (the default) plans as before: no windows in the document or the hash, no schedule lines', async () => {
    const before = await plan(() => undefined);
    const ignore = await plan((cfg) => (cfg.environments.prod.windows = 'ignore'));
    expect(ignore.doc.hash).toBe(before.doc.hash);
    expect(Object.keys(before.doc)).not.toContain('windows');
    expect(Object.keys(before.doc)).not.toContain('schedule');
    expect(before.doc.runtimes.every((r) => !('maintenance' in r))).toBe(true);
    expect(before.text).not.toContain('maintenance windows');
    expect(JSON.stringify({ ...ignore.doc, history: null })).toBe(JSON.stringify({ ...before.doc, history: null }));
  });

  it('require: the plan forecasts the nights, carries each runtime\'s window, and the policy is in the hash', async () => {
    const ignore = await plan(() => undefined);
    const { text, doc } = await plan((cfg) => (cfg.environments.prod.windows = 'require'));
    expect(doc.windows).toBe('require');
    expect(doc.hash).not.toBe(ignore.doc.hash);
    expect(doc.runtimes.every((r) => /^\d{6}\+0000$/.test(r.maintenance?.begin ?? ''))).toBe(true);
    const s = doc.schedule!;
    expect(s.byDay.reduce((a, b) => a + b, 0)).toBe(doc.runtimes.length);
    expect(s.byDay.length).toBeLessThanOrEqual(2); // windows recur daily: everything starts within about a day
    expect(doc.eta).toBeGreaterThan(ignore.doc.eta);
    expect(doc.eta).toBe(s.eta);
    expect(text).toMatch(/\n {2}maintenance windows: require — ~[12] nights?: \d+ runtimes? in tonight's windows(, \d+ tomorrow)?\n/);
    expect(text).toContain('  calendar: no freeze met by this wave');
  });

  it('lists the calendar entries the wave meets (its environment, its regions) and waits them out in the ETA', async () => {
    const now = Date.now();
    const { text, doc } = await plan((cfg) => {
      cfg.calendar = [
        { name: 'release freeze', reason: 'year-end release', from: iso(now - 3_600_000), to: iso(now + 3 * 86_400_000), environments: ['prod'] },
        { name: 'stage only', from: iso(now), to: iso(now + 86_400_000), environments: ['stage'] },
        { name: 'holiday elsewhere', from: iso(now), to: iso(now + 86_400_000), regions: ['no-such-region'] },
      ];
    });
    expect(doc.windows).toBeUndefined();
    expect(doc.schedule!.calendar.map((e) => e.name)).toEqual(['release freeze']);
    expect(doc.eta).toBeGreaterThanOrEqual(3 * 86_400 - 3_600);
    expect(text).toMatch(/\n {2}calendar: release freeze \(year-end release\) now → \w{3} \d+ \w{3} \d\d:\d\d UTC\n/);
    expect(text).not.toContain('stage only');
    expect(text).not.toContain('holiday elsewhere');
  });
});
