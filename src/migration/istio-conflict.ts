/**
 * What a customer-contact task says about a runtime's Istio CRs, from the CRs themselves (DESIGN.md §4): the reason
 * a runtime is held is not always "more than one CR" — one customer CR not named `default` is enough, because the
 * `default` CR that LM would add is the newer one and never reconciles.
 */

export interface IstioCrSeen {
  name: string;
  createdAt?: string | null;
  state?: string | null;
}

const code = (s: string) => `\`${s}\``;

/** One sentence: why this runtime needs the customer, or that it no longer does. */
export function describeIstioConflict(crs: readonly IstioCrSeen[]): string {
  const customer = crs.filter((c) => c.name !== 'default');
  if (!customer.length) return crs.length ? 'only the Istio CR `default` exists: nothing left to rename' : 'no Istio CR exists';
  if (crs.length === 1) return `a customer Istio CR ${code(customer[0].name)} exists; migrating would add ${code('default')}, which would not reconcile while the older customer CR exists`;
  const oldest = [...crs].sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || a.name.localeCompare(b.name))[0];
  if (oldest.name === 'default' && customer.every((c) => (c.createdAt ?? '') > (oldest.createdAt ?? ''))) {
    return `${code('default')} is the oldest of ${crs.length} Istio CRs and the one that reconciles; the newer ${customer.map((c) => code(c.name)).join(', ')} ${customer.length === 1 ? 'is' : 'are'} not in use, and LM takes ${code('default')} over: nothing to rename (the customer may delete ${customer.length === 1 ? 'it' : 'them'})`;
  }
  return `${crs.length} Istio CRs exist (${crs.map((c) => code(c.name)).join(', ')}): only the oldest, ${code(oldest.name)}, reconciles, so LM's ${code('default')} cannot take over`;
}
