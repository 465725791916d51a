/**
 * What a customer-contact task says about a runtime's Istio CRs, from the CRs themselves (DESIGN.md §4): the reason
 * a runtime is held is not always "more than one CR" — one customer CR not named `default` is enough, because the
 * `default` CR that LM would add is the newer one and never reconciles.
 */

export interface IstioCrSeen {
  name: string;
  /** Absent: kyma-system (tasks raised before the namespace was kept). */
  namespace?: string;
  createdAt?: string | null;
  state?: string | null;
}

import { KYMA_SYSTEM } from './resources.js';

const code = (s: string) => `\`${s}\``;

const inKymaSystem = (c: IstioCrSeen) => (c.namespace ?? KYMA_SYSTEM) === KYMA_SYSTEM;

/** A CR's name as tasks show it: `name` in kyma-system, `namespace/name` elsewhere. */
export function istioCrLabel(c: IstioCrSeen): string {
  return inKymaSystem(c) ? c.name : `${c.namespace}/${c.name}`;
}

/**
 * One sentence: why this runtime needs the customer, or that it no longer does. Only the CRs in kyma-system count
 * (the operator reads no other namespace); those elsewhere are named as never reconciled.
 */
export function describeIstioConflict(all: readonly IstioCrSeen[]): string {
  const elsewhere = all.filter((c) => !inKymaSystem(c));
  const outside = elsewhere.length ? ` (outside ${KYMA_SYSTEM}, never reconciled: ${elsewhere.map((c) => code(istioCrLabel(c))).join(', ')})` : '';
  return `${kymaSystemConflict(all.filter(inKymaSystem))}${outside}`;
}

function kymaSystemConflict(crs: readonly IstioCrSeen[]): string {
  const customer = crs.filter((c) => c.name !== 'default');
  if (!customer.length) return crs.length ? 'only the Istio CR `default` exists: nothing left to rename' : 'no Istio CR exists';
  if (crs.length === 1) return `a customer Istio CR ${code(customer[0].name)} exists; migrating would add ${code('default')}, which would not reconcile while the older customer CR exists`;
  const oldest = [...crs].sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || a.name.localeCompare(b.name))[0];
  if (crs.some((c) => c.name === 'default') && !conflictingCrs(crs).length) {
    return `${code('default')} is the oldest of ${crs.length} Istio CRs and the one that reconciles; the newer ${customer.map((c) => code(c.name)).join(', ')} ${customer.length === 1 ? 'is' : 'are'} not in use, and LM takes ${code('default')} over: nothing to rename (the customer may delete ${customer.length === 1 ? 'it' : 'them'})`;
  }
  return `${crs.length} Istio CRs exist (${crs.map((c) => code(c.name)).join(', ')}): only the oldest, ${code(oldest.name)}, reconciles, so LM's ${code('default')} cannot take over`;
}

/**
 * The customer Istio CRs in kyma-system that LM's `default` would lose to: all of them when there is no `default`
 * yet, else those not strictly newer than it (the operator reconciles the oldest CR; a tie is not a safe bet).
 */
export function conflictingCrs<T extends IstioCrSeen>(crs: readonly T[]): T[] {
  const inNs = crs.filter(inKymaSystem);
  const def = inNs.find((c) => c.name === 'default');
  return inNs.filter((c) => c.name !== 'default' && (!def || !def.createdAt || !c.createdAt || c.createdAt <= def.createdAt));
}
