#!/usr/bin/env node
// Checks the import graph of src/ and commands/: no import circle anywhere, and no layer importing one above it.
// Reads every import with the TypeScript compiler API (static imports, `import type`, re-exports, dynamic
// `import()` and `import('…').Type`), resolves the relative ones to files, and prints each violation with the
// import that causes it. Exit code 1 when there is any. Usage: node scripts/check-layers.mjs
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join, dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));

// Layers, top to bottom. A file may import its own layer and any layer with a lower rank, never a higher one.
// The first matching prefix wins, so list the narrower paths first.
const LAYERS = [
  { name: 'entry (main, cli)', rank: 90, paths: ['src/main.ts', 'src/cli/'] },
  { name: 'chat', rank: 80, paths: ['src/chat/'] },
  { name: 'commands', rank: 70, paths: ['commands/'] },
  // Read-only views of the journal (the wave page, its chart): served over HTTP, linked from chat, and exported by
  // the `export` command, so they sit below commands; they dispatch no command.
  { name: 'wave page', rank: 65, paths: ['src/wave-page/'] },
  // The composition root: builds the journal, the clients and the limiters that commands receive as Services.
  // metrics.ts follows the wave event stream and the waves' states into Prometheus: an observer the composition
  // root wires up, so it sits with app/ although it is filed beside the logger (to move there once chat/ settles).
  { name: 'app (composition root)', rank: 60, paths: ['src/app/', 'src/observability/metrics.ts'] },
  { name: 'rollout', rank: 50, paths: ['src/rollout/'] },
  { name: 'migration + targets', rank: 40, paths: ['src/migration/', 'src/targets/'] },
  // The simulator stands beside the product: it may use the clients' and migration's constants, nothing above.
  { name: 'simulator', rank: 40, paths: ['src/sim/'] },
  { name: 'clients', rank: 30, paths: ['src/clients/'] },
  // Shared below (the journal, the configuration, logs and metrics, words people read): every layer may use them; they may use each other, the clients and migration's types, but nothing
  // from rollout upwards (SHARED_CEILING).
  { name: 'shared (journal, config, observability, text)', rank: 20, paths: ['src/journal/', 'src/config/', 'src/observability/', 'src/text/'] },
];
const SHARED_CEILING = 50;

// Nothing imports the simulator except these files: the embedded default landscape (app/services.ts) and the
// `istio-migrate sim` command (main.ts). Tests and benchmarks are outside src/ and not checked.
const SIM_IMPORTERS = new Set(['src/app/services.ts', 'src/main.ts']);
// Nothing in src imports from commands/ except the command registry's users in these layers, and they only the
// registry itself (commands/index.ts, which re-exports what its users need): the commands' own files stay free to move.
const COMMANDS_IMPORTERS = new Set(['entry (main, cli)', 'chat', 'commands']);
const COMMAND_REGISTRY = 'commands/index.ts';

function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(join(root, dir))) {
    const rel = `${dir}/${name}`;
    if (statSync(join(root, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

function layerOf(file) {
  return LAYERS.find((l) => l.paths.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p)));
}

function specifiersOf(file) {
  const text = readFileSync(join(root, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const specs = [];
  const add = (node, lit) => {
    if (lit && ts.isStringLiteral(lit)) specs.push({ spec: lit.text, line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node, node.moduleSpecifier);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return specs;
}

function resolveSpec(from, spec) {
  if (!spec.startsWith('.')) return undefined;
  const base = join(dirname(from), spec).split(sep).join('/');
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, `${base}/index.ts`, base];
  return candidates.find((c) => existsSync(join(root, c)) && statSync(join(root, c)).isFile());
}

const files = ['src', 'commands'].filter((d) => existsSync(join(root, d))).flatMap((d) => sourceFiles(d));
const graph = new Map();
const problems = [];
for (const file of files) {
  const edges = [];
  for (const { spec, line } of specifiersOf(file)) {
    const target = resolveSpec(file, spec);
    if (!target || !(target.startsWith('src/') || target.startsWith('commands/'))) continue;
    edges.push({ target, line });
    const from = layerOf(file);
    const to = layerOf(target);
    if (!from || !to) {
      problems.push(`${file}:${line} → ${target}: file outside every layer (add it to LAYERS in scripts/check-layers.mjs)`);
      continue;
    }
    if (to.name === 'simulator' && from.name !== 'simulator' && !SIM_IMPORTERS.has(file)) {
      problems.push(`${file}:${line} → ${target}: only ${[...SIM_IMPORTERS].join(', ')} may import the simulator`);
    } else if (to.name === 'commands' && !COMMANDS_IMPORTERS.has(from.name)) {
      problems.push(`${file}:${line} → ${target}: ${from.name} imports commands/ (only chat, the CLI and main may)`);
    } else if (to.name === 'commands' && from.name !== 'commands' && target !== COMMAND_REGISTRY) {
      problems.push(`${file}:${line} → ${target}: src reaches commands/ only through the command registry, ${COMMAND_REGISTRY} (re-export what it needs there, or move the rule below commands/)`);
    } else if (from.rank === 20 && to.rank < SHARED_CEILING) {
      // shared layers may reach the clients and migration's types; the circle check below keeps that one-way
    } else if (to.rank > from.rank) {
      problems.push(`${file}:${line} → ${target}: ${from.name} imports ${to.name}, a layer above it`);
    }
  }
  graph.set(file, edges);
}

// Import circles: strongly connected components of more than one file (or a file importing itself), Tarjan.
let index = 0;
const stack = [];
const state = new Map();
const circles = [];
function strongConnect(v) {
  state.set(v, { index, low: index, onStack: true });
  index += 1;
  stack.push(v);
  for (const { target } of graph.get(v) ?? []) {
    if (!state.has(target)) {
      strongConnect(target);
      state.get(v).low = Math.min(state.get(v).low, state.get(target).low);
    } else if (state.get(target).onStack) {
      state.get(v).low = Math.min(state.get(v).low, state.get(target).index);
    }
  }
  if (state.get(v).low === state.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      state.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    const selfLoop = (graph.get(v) ?? []).some((e) => e.target === v);
    if (component.length > 1 || selfLoop) circles.push(component.sort());
  }
}
for (const file of files) if (!state.has(file)) strongConnect(file);
for (const component of circles) {
  const members = new Set(component);
  const edges = component.flatMap((f) =>
    (graph.get(f) ?? []).filter((e) => members.has(e.target)).map((e) => `    ${f}:${e.line} → ${e.target}`),
  );
  problems.push(`import circle of ${component.length} files:\n${edges.join('\n')}`);
}

if (problems.length > 0) {
  console.error(`check-layers: ${problems.length} problem(s) in ${files.length} files`);
  for (const p of problems) console.error(`- ${p}`);
  console.error(`Layers, top to bottom: ${LAYERS.map((l) => l.name).join(' → ')}. Import downwards only, e.g.`);
  console.error(`  src/rollout/wave-runner.ts may import '../migration/migrate-runtime.js', not '../app/services.js'.`);
  process.exit(1);
}
console.log(`check-layers: ${files.length} files, no import circle, every import goes down a layer (${relative(process.cwd(), root) || '.'})`);
