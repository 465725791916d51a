/**
 * The target grammar (DESIGN.md §5): `kcp taskrun --target` keys with full-match regexes, plus the named
 * target sets of an environment's config. `parseTargets` turns what an operator wrote into a `TargetSpec`
 * (plain data: it goes into the journal and the plan hash); `matches`/`evaluate` apply it to a runtime.
 *
 * Unlike taskrun, every value is anchored (`^(?:value)$`): `account=CA` matches the account `CA` only; write
 * `account=.*CA.*` for a substring. Regexes are RE2 regexes (Go's syntax, which taskrun uses), case-sensitive, run by
 * RE2 (re2-wasm): matching takes time linear in the input whatever the pattern, so a selector like `(.*)*x` cannot
 * freeze the bot. RE2 has no lookaround and no backreferences; such a selector is refused as invalid. A written
 * selector is at most MAX_SELECTOR_LENGTH characters.
 */
import { RE2 } from 're2-wasm';
import { KEB_PLAN_IDS } from '../clients/keb-plans.js';
import type { PlannedRuntime } from '../journal/journal.js';

/** Selector keys with a value, in the order they are shown and canonicalised. */
export const SELECTOR_KEYS = ['account', 'subaccount', 'region', 'plan', 'runtime-id', 'instance-id', 'shoot'] as const;
export type SelectorKey = (typeof SELECTOR_KEYS)[number];

/**
 * `plan=` takes a name or a plan id, known or not: an unknown one is matched as written and warned about, so a plan
 * KEB added later is never refused.
 */
export const KNOWN_PLAN_NAMES: readonly string[] = Object.keys(KEB_PLAN_IDS);
const KNOWN_PLAN_IDS = new Set(Object.values(KEB_PLAN_IDS));

/** Whether a plan name or plan id is one KEB is known to use. */
export function isKnownPlan(p: string): boolean {
  return Object.hasOwn(KEB_PLAN_IDS, p) || KNOWN_PLAN_IDS.has(p);
}

/** One warning per `plan=` value of the spec that is neither a known plan name nor a known plan id. */
export function unknownPlanWarnings(spec: TargetSpec): string[] {
  const values = new Set<string>();
  for (const sel of [...spec.include, ...spec.exclude]) for (const c of sel.conditions) if (c.key === 'plan' && !isKnownPlan(c.value)) values.add(c.value);
  return [...values].sort().map((v) => `plan=${v} is not a KEB plan name or id this tool knows (known: ${KNOWN_PLAN_NAMES.join(', ')}); it matches runtimes whose plan name or id is exactly "${v}"`);
}

/** One `key=value` of a spec. `value` is the regex as written (anchored when compiled); for `plan` a plan name or id. */
export interface Condition {
  key: SelectorKey;
  value: string;
}

/** One spec: its conditions ANDed. No conditions = `all`. */
export interface Selector {
  conditions: Condition[];
}

/**
 * A parsed target: the union of `include` minus the union of `exclude`. Plain, serialisable data; `canonical`
 * is the same for every way of writing the same target (conditions and specs sorted and deduplicated, named
 * sets expanded), so it can go into a plan hash.
 */
export interface TargetSpec {
  include: Selector[];
  exclude: Selector[];
  /** What was written (named sets by name), for display. */
  written: { specs: string[]; excludes: string[] };
  /** e.g. `account=abc,region=eu-.* | plan=trial except shoot=c-1.*` */
  canonical: string;
}

/**
 * The fields of a runtime a selector looks at: the journal's runtime (what a plan records per runtime) with its
 * instance id, and KEB's plan id when known (ResolvedRuntime has them all).
 */
export type SelectableRuntime = Required<Omit<PlannedRuntime, 'maintenance'>> & Pick<PlannedRuntime, 'maintenance'> & {
  /** KEB `servicePlanID` ('' when unknown). */
  planId?: string;
};

/** Bad target input; the message names the offending token and shows an example. */
export class SelectorError extends Error {
  readonly code = 'bad-selector';
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

// The string fields a selector key matches (not `maintenance`, an object).
const FIELD: Record<SelectorKey, Exclude<keyof SelectableRuntime, 'maintenance'>> = {
  account: 'globalAccountId',
  subaccount: 'subaccountId',
  region: 'region',
  plan: 'plan',
  'runtime-id': 'runtimeId',
  'instance-id': 'instanceId',
  shoot: 'shootName',
};

const EXAMPLE: Record<SelectorKey, string> = {
  account: 'account=.*Kyma-Test.*',
  subaccount: 'subaccount=0f9a6b2c-.*',
  region: 'region=eu-.*',
  plan: 'plan=trial',
  'runtime-id': 'runtime-id=5c1b2a3d-0000-4000-8000-000000000000',
  'instance-id': 'instance-id=9f3e2d1c-0000-4000-8000-000000000000',
  shoot: 'shoot=c-1a2b3c',
};

const KEY_LIST = `all, ${SELECTOR_KEYS.map((k) => `${k}=`).join(', ')}`;
const isKey = (k: string): k is SelectorKey => (SELECTOR_KEYS as readonly string[]).includes(k);

/** The longest selector (one `--target` or `--exclude` spec, or a spec of a named set) accepted. */
export const MAX_SELECTOR_LENGTH = 1024;

/** What a compiled condition needs: a linear-time full-match test. */
export interface Matcher {
  test(s: string): boolean;
}

/**
 * Compiled patterns by source, shared by every plan: a pattern is compiled once per process. RE2 objects live in
 * WebAssembly memory that the garbage collector does not free, so the cache is bounded and frees what it evicts.
 */
const patterns = new Map<string, RE2>();
const MAX_CACHED_PATTERNS = 512;

/** The anchored RE2 regex of a value (`^(?:v)$`); throws as RegExp does (`Invalid regular expression: …`). */
export function anchored(value: string): Matcher {
  const source = `^(?:${value})$`;
  let re = patterns.get(source);
  if (re) {
    patterns.delete(source); // most recently used last
  } else {
    re = new RE2(source, 'u');
    if (patterns.size >= MAX_CACHED_PATTERNS) {
      const [oldest, evicted] = patterns.entries().next().value as [string, RE2];
      patterns.delete(oldest);
      (evicted as unknown as { wrapper?: { delete?: () => void } }).wrapper?.delete?.();
    }
  }
  patterns.set(source, re);
  return re;
}

/**
 * Splits a spec at the commas that separate conditions, not those inside a regex's `{m,n}`, `[...]` or `(...)`
 * (so `region=eu-.{1,3}` stays one condition). A backslash escapes the next character.
 */
function splitConditions(spec: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inClass = false;
  let cur = '';
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i];
    if (c === '\\' && i + 1 < spec.length) {
      cur += c + spec[++i];
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') inClass = true;
    else if (c === '(' || c === '{') depth++;
    else if ((c === ')' || c === '}') && depth > 0) depth--;
    else if (c === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  return parts.map((p) => p.trim());
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

function parseCondition(token: string, spec: string): Condition {
  const eq = token.indexOf('=');
  const key = token.slice(0, eq);
  const value = token.slice(eq + 1);
  if (!isKey(key)) {
    const near = SELECTOR_KEYS.find((k) => editDistance(k, key.toLowerCase()) <= 2);
    const hint = near ? ` (did you mean ${near}=?)` : '';
    throw new SelectorError(`unknown selector key "${key}" in "${spec}"${hint}: use one of ${KEY_LIST}; e.g. ${EXAMPLE[near ?? 'account']}`);
  }
  if (value === '') throw new SelectorError(`empty value in "${token}": e.g. ${EXAMPLE[key]}`);
  if (key === 'plan') return { key, value };
  try {
    anchored(value);
  } catch (e) {
    // RE2's reason, without the pattern it repeats (our anchored form of the value, which the operator did not write).
    const reason = e instanceof Error ? e.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '').replace(`: ^(?:${value})$`, '') : String(e);
    throw new SelectorError(`invalid regular expression in "${token}": ${reason}; e.g. ${EXAMPLE[key]}`);
  }
  return { key, value };
}

/** One spec without named sets: `all` or `key=value[,key=value…]`. */
function parseSelector(spec: string): Selector {
  const trimmed = spec.trim();
  if (trimmed.length > MAX_SELECTOR_LENGTH) {
    throw new SelectorError(`selector too long: ${trimmed.length} characters, at most ${MAX_SELECTOR_LENGTH}; name fewer values or use a pattern, e.g. ${EXAMPLE.region}`);
  }
  if (trimmed === '') throw new SelectorError(`empty target: use all, a named set or key=value; e.g. ${EXAMPLE.account}`);
  if (trimmed === 'all') return { conditions: [] };
  const conditions: Condition[] = [];
  for (const token of splitConditions(trimmed)) {
    if (token === '') throw new SelectorError(`empty condition in "${trimmed}" (a stray comma?): e.g. region=eu-.*,plan=aws`);
    if (token === 'all') throw new SelectorError(`"all" cannot be combined with other keys in "${trimmed}": drop "all"`);
    if (!token.includes('=')) throw new SelectorError(`"${token}" in "${trimmed}" is not key=value: use one of ${KEY_LIST}; e.g. ${EXAMPLE.account}`);
    conditions.push(parseCondition(token, trimmed));
  }
  return normalise({ conditions });
}

function conditionString(c: Condition): string {
  return `${c.key}=${c.value}`;
}

function selectorString(s: Selector): string {
  return s.conditions.length === 0 ? 'all' : s.conditions.map(conditionString).join(',');
}

function normalise(s: Selector): Selector {
  const seen = new Map<string, Condition>();
  for (const c of s.conditions) seen.set(conditionString(c), c);
  const conditions = [...seen.values()].sort((a, b) => SELECTOR_KEYS.indexOf(a.key) - SELECTOR_KEYS.indexOf(b.key) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  return { conditions };
}

/** Sorted, deduplicated; `all` absorbs every other spec of the union. */
function unionOf(selectors: Selector[]): Selector[] {
  const byString = new Map<string, Selector>();
  for (const s of selectors) byString.set(selectorString(s), s);
  if (byString.has('all')) return [{ conditions: [] }];
  return [...byString.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
}

const WORD = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Expands one written spec: `all`, `key=…`, or a named set. Sets may name other sets once (a set of sets);
 * deeper nesting is refused.
 */
function expand(spec: string, namedSets: Record<string, string[]>, via: string[]): Array<{ selector: Selector; via: string[] }> {
  const trimmed = spec.trim();
  if (trimmed === 'all' || trimmed.includes('=') || trimmed.includes(',') || trimmed === '') return [{ selector: parseSelector(trimmed), via }];
  const names = Object.keys(namedSets).sort();
  const set = Object.hasOwn(namedSets, trimmed) ? namedSets[trimmed] : undefined;
  if (set === undefined) {
    const known = names.length ? `known sets: ${names.join(', ')}` : 'this environment has no named sets';
    const what = WORD.test(trimmed) ? `unknown target set "${trimmed}"` : `"${trimmed}" is neither a target set nor key=value`;
    throw new SelectorError(`${what}: ${known}; or a selector such as ${EXAMPLE.account}`);
  }
  if (via.length >= 2) {
    throw new SelectorError(`target set "${via[via.length - 1]}" names set "${trimmed}" (via ${via.join(' → ')}): sets may name other sets only one level deep; list its selectors instead`);
  }
  if (via.includes(trimmed)) throw new SelectorError(`target set "${trimmed}" names itself: list its selectors instead`);
  return set.flatMap((s) => expand(s, namedSets, [...via, trimmed]));
}

export interface ParseTargetsInput {
  /** `--target` specs (or set names); several = union. At least one. */
  specs: string[];
  /** `--exclude` specs (or set names); evaluated first. `all` is refused. */
  excludes?: string[];
  /** The environment's config `targets`. */
  namedSets?: Record<string, string[]>;
}

/** Parses and validates a target; throws SelectorError with the first problem. */
export function parseTargets(input: ParseTargetsInput): TargetSpec {
  const namedSets = input.namedSets ?? {};
  const excludes = input.excludes ?? [];
  if (input.specs.length === 0) throw new SelectorError(`no target given: name a set or a selector, e.g. all, kyma-test or ${EXAMPLE.account}`);
  const include = unionOf(input.specs.flatMap((s) => expand(s, namedSets, []).map((e) => e.selector)));
  const exclude = unionOf(
    excludes.flatMap((s) =>
      expand(s, namedSets, []).map((e) => {
        if (e.selector.conditions.length === 0) {
          const source = e.via.length ? ` (via set ${e.via.join(' → ')})` : '';
          throw new SelectorError(`"all" cannot be excluded${source}: exclude a selector instead, e.g. ${EXAMPLE.account}`);
        }
        return e.selector;
      }),
    ),
  );
  const inc = include.map(selectorString).join(' | ');
  const canonical = exclude.length ? `${inc} except ${exclude.map(selectorString).join(' | ')}` : inc;
  return { include, exclude, written: { specs: [...input.specs], excludes: [...excludes] }, canonical };
}

type Test = (rt: SelectableRuntime) => boolean;

interface Compiled {
  include: Test[][];
  exclude: Test[][];
}

/** A plan name's id (known names), else the value itself (an id, or an unknown name). */
const planIdOf = (p: string): string => (Object.hasOwn(KEB_PLAN_IDS, p) ? KEB_PLAN_IDS[p] : p);

/** `plan=V`: the runtime's plan name is V, or its plan id is V's (so `openstack` and `sap-converged-cloud` agree). */
function planTest(v: string): Test {
  const id = planIdOf(v);
  return (rt) => rt.plan === v || id === (rt.planId || planIdOf(rt.plan));
}

const compiledCache = new WeakMap<TargetSpec, Compiled>();

function compile(spec: TargetSpec): Compiled {
  let c = compiledCache.get(spec);
  if (!c) {
    const sel = (s: Selector) =>
      s.conditions.map((k): Test => {
        if (k.key === 'plan') return planTest(k.value);
        const field = FIELD[k.key];
        const re = anchored(k.value);
        return (rt) => re.test(String(rt[field] ?? ''));
      });
    c = { include: spec.include.map(sel), exclude: spec.exclude.map(sel) };
    compiledCache.set(spec, c);
  }
  return c;
}

const hit = (sel: Test[], rt: SelectableRuntime) => sel.every((t) => t(rt));

/**
 * Where a runtime stands: `excluded` = an include spec matches it but an exclude does too (excludes first);
 * `included` = it is a target; `none` = no include spec matches it.
 */
export function evaluate(spec: TargetSpec, rt: SelectableRuntime): 'included' | 'excluded' | 'none' {
  const c = compile(spec);
  if (!c.include.some((s) => hit(s, rt))) return 'none';
  return c.exclude.some((s) => hit(s, rt)) ? 'excluded' : 'included';
}

/** Whether the target selects the runtime (matched by an include spec and by no exclude spec). */
export function matches(spec: TargetSpec, rt: SelectableRuntime): boolean {
  return evaluate(spec, rt) === 'included';
}
