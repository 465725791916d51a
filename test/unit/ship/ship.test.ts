import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import { chartValuesSchema } from '../../../src/config/chart-schema.js';

const root = process.cwd();
const chart = path.join(root, 'charts/istio-migrate-bot');
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');

function merge(base: unknown, over: unknown): unknown {
  if (over === null || typeof over !== 'object' || Array.isArray(over) || base === null || typeof base !== 'object' || Array.isArray(base)) return over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
  return out;
}

describe('charts/istio-migrate-bot', () => {
  const schema = JSON.parse(readFileSync(path.join(chart, 'values.schema.json'), 'utf8')) as Record<string, unknown>;
  const values = YAML.parse(readFileSync(path.join(chart, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  // Helm does not check string formats either (no `uri` format here).
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile(schema);

  it('ships the schema generated from the bot config schema (npm run chart:schema)', () => {
    expect(schema).toEqual(JSON.parse(JSON.stringify(chartValuesSchema())));
  });

  it('validates values.yaml and every example (merged over the defaults, as helm does)', () => {
    expect(validate(values) ? [] : validate.errors).toEqual([]);
    for (const f of readdirSync(path.join(chart, 'examples'))) {
      const merged = merge(values, YAML.parse(readFileSync(path.join(chart, 'examples', f), 'utf8')));
      expect(validate(merged) ? f : validate.errors).toBe(f);
    }
  });

  it.each([
    ['two replicas on SQLite', { replicaCount: 2 }],
    ['RollingUpdate on SQLite', { strategy: { type: 'RollingUpdate' } }],
    ['a typo in the bot config', { config: { environments: { prod: { onConflcit: 'hold' } } } }],
    ['a bad budget', { config: { environments: { prod: { budgets: { wave: 'lots' } } } } }],
    ['an unknown slack mode', { slack: { mode: 'webhook' } }],
    ['a simulated landscape (issue 14: approvals would open outside Slack)', { config: { simulated: true } }],
    ['a page-key Secret without config.page.keyFile (issue 19)', { pageKey: { existingSecret: 'istio-migrate-page-key' } }],
    ['a relative page-key mount path', { pageKey: { existingSecret: 'istio-migrate-page-key', mountPath: 'page-key' }, config: { page: { keyFile: '/etc/istio-migrate/page-key/key' } } }],
  ])('rejects %s', (_n, over) => {
    expect(validate(merge(values, over))).toBe(false);
  });

  it('accepts a page-key Secret with config.page.keyFile at the mounted file (issue 19)', () => {
    const over = { pageKey: { existingSecret: 'istio-migrate-page-key' }, config: { page: { keyFile: '/etc/istio-migrate/page-key/key' } } };
    const merged = merge(values, over);
    expect(validate(merged) ? [] : validate.errors).toEqual([]);
  });

  it('mounts the page-key Secret read-only as <mountPath>/key, only when one is named (issue 19)', () => {
    const d = readFileSync(path.join(chart, 'templates/deployment.yaml'), 'utf8');
    // The chart holds no key: off by default, a Secret name, a key within it, a directory to mount it in.
    expect(values.pageKey).toEqual({ existingSecret: '', key: 'page-key', mountPath: '/etc/istio-migrate/page-key' });
    const mount = d.match(/\{\{- if \.Values\.pageKey\.existingSecret \}\}\n(\s+- name: page-key\n\s+mountPath:[\s\S]*?)\{\{- end \}\}/);
    expect(mount?.[1]).toMatch(/mountPath: \{\{ \.Values\.pageKey\.mountPath \}\}\n\s+readOnly: true/);
    const volume = d.match(/\{\{- if \.Values\.pageKey\.existingSecret \}\}\n(\s+- name: page-key\n\s+secret:[\s\S]*?)\{\{- end \}\}/);
    expect(volume?.[1]).toMatch(/secretName: \{\{ \.Values\.pageKey\.existingSecret \}\}/);
    expect(volume?.[1]).toMatch(/- key: \{\{ \.Values\.pageKey\.key \}\}\n\s+path: key\n/);
    // The README's example keyFile is the file the chart mounts with the defaults.
    expect(read('README.md')).toContain('keyFile: /etc/istio-migrate/page-key/key');
  });

  it('parses every non-template file as YAML', () => {
    for (const f of ['Chart.yaml', 'values.yaml', ...readdirSync(path.join(chart, 'examples')).map((x) => `examples/${x}`)]) {
      expect(() => YAML.parse(readFileSync(path.join(chart, f), 'utf8'))).not.toThrow();
    }
  });

  it('reads only values that exist in values.yaml', () => {
    const missing: string[] = [];
    for (const f of readdirSync(path.join(chart, 'templates'))) {
      const text = readFileSync(path.join(chart, 'templates', f), 'utf8');
      for (const m of text.matchAll(/\.Values\.([A-Za-z0-9_.]+)/g)) {
        let cur: unknown = values;
        for (const part of m[1].split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[part] : undefined;
        if (cur === undefined) missing.push(`${f}: .Values.${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('runs non-root with a read-only root filesystem, probes on /healthz and /readyz, and no secret values', () => {
    const d = readFileSync(path.join(chart, 'templates/deployment.yaml'), 'utf8');
    for (const s of ['runAsNonRoot: true', 'readOnlyRootFilesystem: true', 'fsGroup:', 'path: /healthz', 'path: /readyz', 'secretKeyRef:']) expect(d).toContain(s);
    expect(JSON.stringify(values)).not.toMatch(/xox[abp]-/);
  });
});

describe('Dockerfile', () => {
  const docker = read('Dockerfile');
  it('builds in stages on a supported Node LTS and runs the built bot as a non-root user', () => {
    const froms = [...docker.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toMatch(/^node:(22|24)[.-]/);
    for (const s of ['npm ci', 'npm run build:image', 'npm prune --omit=dev']) expect(docker).toContain(s);
    expect(docker).toMatch(/^USER\s+(node|\d+)/m);
    expect(docker).toMatch(/^CMD \["bot"\]/m);
    expect(docker).not.toMatch(/^HEALTHCHECK/m);
    expect(existsSync(path.join(root, '.dockerignore'))).toBe(true);
  });

  it('copies only files that exist, and its entry point exists after the build', () => {
    for (const m of docker.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1].split(/\s+/)) expect(existsSync(path.join(root, src)) ? src : `missing ${src}`).toBe(src);
    }
    const entry = /ENTRYPOINT \["node", "\/app\/(.+)"\]/.exec(docker)![1];
    expect(existsSync(path.join(root, entry))).toBe(true);
    expect(existsSync(path.join(root, 'dist/src/main.js'))).toBe(true);
    // What the runtime stage takes from the build stage exists after a build too (dist/src, dist/commands, …).
    const fromBuild = [...docker.matchAll(/^COPY --from=build \/app\/(\S+) \S+$/gm)].map((m) => m[1]);
    expect(fromBuild).toEqual(expect.arrayContaining(['dist/src', 'dist/commands', 'bin', 'package.json', 'node_modules']));
    for (const src of fromBuild) expect(existsSync(path.join(root, src)) ? src : `missing ${src}`).toBe(src);
  });

  it('builds the image from src/ and commands/ only: no tests or benches in the image', () => {
    // The image's build step uses tsconfig.build.json; `npm run build` (development) still builds everything.
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts['build:image']).toBe('tsc -p tsconfig.build.json');
    expect(pkg.scripts.build).toBe('tsc -p tsconfig.json');
    const build = JSON.parse(read('tsconfig.build.json')) as { extends: string; include: string[]; compilerOptions?: { outDir?: string } };
    expect(build.extends).toBe('./tsconfig.json');
    expect([...build.include].sort()).toEqual(['commands', 'src']);
    const copied = [...docker.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
    expect(copied).toEqual(expect.arrayContaining(['tsconfig.build.json', 'src', 'commands']));
    for (const dir of ['test', 'bench']) expect(copied).not.toContain(dir);
    const fromBuild = [...docker.matchAll(/^COPY --from=build \/app\/(\S+) \S+$/gm)].map((m) => m[1]);
    expect(fromBuild).not.toContain('dist');
    expect(fromBuild.filter((p) => /^dist\/(test|bench)/.test(p))).toEqual([]);
  });
});

describe('manifest.yaml (Slack app)', () => {
  const m = YAML.parse(read('manifest.yaml')) as { features: { slash_commands: { command: string }[] }; oauth_config: { scopes: { bot: string[] } }; settings: { interactivity: { is_enabled: boolean }; socket_mode_enabled: boolean } };
  it('has the slash command, interactivity, Socket Mode and only the scopes the bot uses', () => {
    expect(m.features.slash_commands.map((c) => c.command)).toEqual(['/istio-migrate']);
    expect(m.settings.interactivity.is_enabled).toBe(true);
    expect(m.settings.socket_mode_enabled).toBe(true);
    expect([...m.oauth_config.scopes.bot].sort()).toEqual(['chat:write', 'commands', 'files:write', 'usergroups:read']);
  });
});

describe('examples/config.yaml', () => {
  it('is a valid configuration (the README points to it)', async () => {
    const { validateConfig } = await import('../../../src/config/load-config.js');
    const cfg = validateConfig(YAML.parse(read('examples/config.yaml')), 'examples/config.yaml');
    expect(Object.keys(cfg.environments).sort()).toEqual(['dev', 'prod', 'stage']);
  });
});
