/**
 * Label and field selectors with the API server's grammar and its error messages. Parsing fails with a
 * 400 `BadRequest` Status, as kube-apiserver does.
 */
import { errors } from './errors.js';
import type { K8sObject } from '../types.js';

type Requirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] };

export type Matcher = (obj: K8sObject) => boolean;

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside parentheses (`a in (x,y),b` → two requirements). */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim());
}

function checkKey(key: string, whole: string): void {
  if (!LABEL_KEY.test(key)) {
    throw errors.badRequest(`unable to parse requirement: invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.' (in selector "${whole}")`);
  }
}
function checkValue(value: string, whole: string): void {
  if (!LABEL_VALUE.test(value)) {
    throw errors.badRequest(`unable to parse requirement: invalid label value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.' (in selector "${whole}")`);
  }
}

function parseLabelRequirement(part: string, whole: string): Requirement {
  let m = /^!\s*(\S+)$/.exec(part);
  if (m) {
    checkKey(m[1], whole);
    return { key: m[1], op: 'notexists' };
  }
  m = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/.exec(part);
  if (m) {
    checkKey(m[1], whole);
    const values = m[3].split(',').map((v) => v.trim());
    if (values.length === 0 || (values.length === 1 && values[0] === '')) {
      throw errors.badRequest(`unable to parse requirement: for 'in', 'notin' operators, values set can't be empty (in selector "${whole}")`);
    }
    values.forEach((v) => checkValue(v, whole));
    return { key: m[1], op: m[2] as 'in' | 'notin', values };
  }
  m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
  if (m) {
    checkKey(m[1], whole);
    checkValue(m[3], whole);
    return { key: m[1], op: m[2] === '!=' ? 'neq' : 'eq', value: m[3] };
  }
  if (/^\S+$/.test(part)) {
    checkKey(part, whole);
    return { key: part, op: 'exists' };
  }
  throw errors.badRequest(`unable to parse requirement: found '${part}', expected: identifier (in selector "${whole}")`);
}

function evaluate(reqs: Requirement[], values: (key: string) => string | undefined): boolean {
  return reqs.every((r) => {
    const v = values(r.key);
    switch (r.op) {
      case 'exists':
        return v !== undefined;
      case 'notexists':
        return v === undefined;
      case 'eq':
        return v === r.value;
      case 'neq':
        return v !== r.value;
      case 'in':
        return v !== undefined && r.values.includes(v);
      case 'notin':
        return v === undefined || !r.values.includes(v);
    }
  });
}

/** Parses a `labelSelector` query value; an empty or absent selector matches everything. */
export function parseLabelSelector(selector: string | null | undefined): Matcher {
  if (!selector || !selector.trim()) return () => true;
  const reqs = splitTopLevel(selector).map((p) => {
    if (!p) throw errors.badRequest(`unable to parse requirement: found '', expected: identifier (in selector "${selector}")`);
    return parseLabelRequirement(p, selector);
  });
  return (obj) => evaluate(reqs, (k) => obj.metadata.labels?.[k]);
}

/** Fields every resource supports in a `fieldSelector` (the simulator supports no resource-specific ones). */
const FIELDS: Record<string, (obj: K8sObject) => string> = {
  'metadata.name': (o) => o.metadata.name ?? '',
  'metadata.namespace': (o) => o.metadata.namespace ?? '',
};

/** Parses a `fieldSelector`: `metadata.name` / `metadata.namespace` with `=`, `==`, `!=`, comma = AND. */
export function parseFieldSelector(selector: string | null | undefined): Matcher {
  if (!selector || !selector.trim()) return () => true;
  const reqs = selector.split(',').map((part) => {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw errors.badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    const [, field, op, value] = m;
    if (!FIELDS[field]) throw errors.badRequest(`field label not supported: ${field}`);
    return { field, neq: op === '!=', value };
  });
  return (obj) => reqs.every((r) => (FIELDS[r.field](obj) === r.value) !== r.neq);
}
