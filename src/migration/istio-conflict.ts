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
  return `${crs.length} Istio CRs exist (${crs.map((c) => code(c.name)).join(', ')}): only the oldest, ${code(oldest.name)}, reconciles, so LM's ${code('default')} cannot take over`;
}
