/**
 * The repository explains itself (issue 17): every link in a README or in docs/ resolves to a file inside the
 * repository (and a `#fragment` to a heading of it); README.md and docs/ name no file outside it and no design
 * contract numbers a clone does not have; and the generated part of docs/commands.md matches the command specs.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { commandReference, REFERENCE_BEGIN, REFERENCE_END } from '../../../commands/reference.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/** README.md files anywhere in the repository (outside node_modules, dist, data) and every page of docs/. */
function pages(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (['node_modules', 'dist', 'data', 'coverage', '.git'].includes(e.name)) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'README.md' || (path.relative(ROOT, dir) === 'docs' && e.name.endsWith('.md'))) out.push(p);
    }
  };
  walk(ROOT);
  return out.sort();
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1])));
}

/** Markdown links `[text](target)` outside code (fenced blocks and inline code). */
function links(file: string): string[] {
  const text = readFileSync(file, 'utf8')
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]);
}

/** Why a link does not resolve inside the repository, or null. */
function problem(file: string, target: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return 'points outside the repository (a URL)';
  const [rel, fragment] = target.split('#', 2);
  const resolved = rel ? path.resolve(path.dirname(file), decodeURIComponent(rel)) : file;
  if (path.relative(ROOT, resolved).startsWith('..') || path.isAbsolute(rel)) return 'points outside the repository';
  if (!existsSync(resolved)) return 'no such file in the repository';
  if (fragment && statSync(resolved).isFile() && resolved.endsWith('.md') && !anchors(resolved).has(fragment)) return `no heading #${fragment} in ${path.relative(ROOT, resolved)}`;
  return null;
}

describe('README and docs/ links', () => {
  const files = pages();

  it('finds the README and the six docs pages', () => {
    const rel = files.map((f) => path.relative(ROOT, f));
    expect(rel).toContain('README.md');
    for (const page of ['architecture', 'commands', 'outcomes', 'runbook', 'operating', 'simulator']) expect(rel).toContain(`docs/${page}.md`);
  });

  it('every link resolves to a file (and heading) inside the repository', () => {
    const bad: string[] = [];
    let count = 0;
    for (const f of files) {
      for (const l of links(f)) {
        count++;
        const why = problem(f, l);
        if (why) bad.push(`${path.relative(ROOT, f)}: ${l} — ${why}`);
      }
    }
    expect(bad).toEqual([]);
    expect(count).toBeGreaterThan(10);
  });

  it('the README links every docs page', () => {
    const readme = links(path.join(ROOT, 'README.md'));
    for (const page of ['architecture', 'commands', 'outcomes', 'runbook', 'operating', 'simulator']) expect(readme).toContain(`docs/${page}.md`);
  });

  it('README.md and docs/ name nothing a clone lacks: no ../shared (but the test fixtures), DESIGN.md, DOMAIN.md, contract numbers or § sections', () => {
    const bad: string[] = [];
    for (const f of files.filter((x) => x === path.join(ROOT, 'README.md') || path.relative(ROOT, x).startsWith('docs'))) {
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/\.\.\/shared(?!\/fixtures)|DESIGN\.md|DOMAIN\.md|\bC[1-8]\b|§/.test(line)) bad.push(`${path.relative(ROOT, f)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(bad).toEqual([]);
  });

  it('the paths the README names in backquotes exist (examples, charts, scripts)', () => {
    const text = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const named = [...text.matchAll(/`((?:examples|charts|docs|scripts|src|bench|test)\/[^`\s]*\.(?:ya?ml|md|json|ts|mjs))`/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((p) => !existsSync(path.join(ROOT, p)))).toEqual([]);
  });
});

describe('docs/commands.md', () => {
  it('its generated part is what the command specs generate now (npm run build && npm run docs:commands)', () => {
    const text = readFileSync(path.join(ROOT, 'docs/commands.md'), 'utf8');
    const start = text.indexOf(REFERENCE_BEGIN);
    const end = text.indexOf(REFERENCE_END);
    expect(start).toBeGreaterThan(0);
    expect(text.slice(start, end + REFERENCE_END.length)).toBe(commandReference());
  });
});
