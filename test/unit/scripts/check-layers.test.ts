/**
 * scripts/check-layers.mjs (npm run lint:layers) on small trees of its own: an import circle, rollout importing the
 * composition root, a command importing chat, src importing the simulator, and chat importing a command's own file
 * rather than the registry (commands/index.ts) are each reported with file and line;
 * a tree whose imports all go down passes. And this repository's own tree: no import goes up a layer.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SCRIPT = path.resolve(import.meta.dirname, '../../../scripts/check-layers.mjs');
const dirs: string[] = [];

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'check-layers-'));
  dirs.push(root);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

function check(root?: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...(root ? [root] : [])], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('npm run lint:layers', () => {
  it('passes a tree whose imports all go down', () => {
    const r = check(tree({
      'commands/run.ts': "import { planWave } from '../src/rollout/plan.js';\nexport const run = planWave;\n",
      'src/rollout/plan.ts': "import type { Journal } from '../journal/journal.js';\nexport const planWave = (j: Journal) => j;\n",
      'src/journal/journal.ts': 'export interface Journal { x: number }\n',
    }));
    expect(r.out).toContain('no import circle');
    expect(r.status).toBe(0);
  });

  it('reports a circle, an upward import, a command importing chat, src importing the simulator, and src importing a command file past the registry', () => {
    const r = check(tree({
      'src/rollout/a.ts': "import { b } from './b.js';\nimport type { Services } from '../app/services.js';\nexport const a = (s: Services) => b(s);\n",
      'src/rollout/b.ts': "import { a } from './a.js';\nexport const b = (x: unknown) => a;\n",
      'src/app/services.ts': 'export class Services {}\n',
      'commands/plan.ts': "import { count } from '../src/chat/words.js';\nexport const plan = count;\n",
      'src/chat/words.ts': 'export const count = 1;\n',
      'src/migration/m.ts': "export const m = async () => import('../sim/run-sim.js');\n",
      'src/sim/run-sim.ts': 'export const startSim = 1;\n',
      // chat may use the command registry, not the commands' own files (types included).
      'src/chat/slash.ts': "import { dispatch } from '../../commands/index.js';\nimport { envsNamedIn } from '../../commands/permissions.js';\nimport type { CommandResult } from '../../commands/types.js';\nexport const slash = [dispatch, envsNamedIn] as unknown as CommandResult;\n",
      'commands/index.ts': "import { authorize } from './permissions.js';\nexport const dispatch = authorize;\n",
      'commands/permissions.ts': 'export const authorize = 1;\nexport const envsNamedIn = 2;\n',
      'commands/types.ts': 'export interface CommandResult { exitCode: number }\n',
    }));
    expect(r.status).toBe(1);
    expect(r.out).toContain('src/rollout/a.ts:2 → src/app/services.ts: rollout imports app (composition root), a layer above it');
    expect(r.out).toContain('commands/plan.ts:1 → src/chat/words.ts: commands imports chat, a layer above it');
    expect(r.out).toContain('src/migration/m.ts:1 → src/sim/run-sim.ts: only src/app/services.ts, src/main.ts may import the simulator');
    expect(r.out).not.toContain('src/chat/slash.ts:1');
    expect(r.out).toContain("src/chat/slash.ts:2 → commands/permissions.ts: src reaches commands/ only through the command registry, commands/index.ts");
    expect(r.out).toContain("src/chat/slash.ts:3 → commands/types.ts: src reaches commands/ only through the command registry");
    expect(r.out).toMatch(/import circle of 2 files:\n\s+src\/rollout\/a\.ts:1 → src\/rollout\/b\.ts\n\s+src\/rollout\/b\.ts:1 → src\/rollout\/a\.ts/);
  });

  it("finds no upward import in this repository's own src/ and commands/", () => {
    const r = check();
    expect(r.out).not.toContain('a layer above it');
  });
});
