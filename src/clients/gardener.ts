/**
 * Gardener shoots of one project namespace (DOMAIN.md §7), reduced to what target resolution needs: the KEB
 * runtime id (annotation), the account/subaccount labels KEB sets, the region, the maintenance window and
 * hibernation. Listed in pages (`limit`/`continue`) so a project of 10,000 shoots is not one huge answer.
 */
import type { CrRef, KubeClient, KubeObject } from './kube-client.js';
import { RemoteError } from './errors.js';

export const SHOOT: CrRef = { group: 'core.gardener.cloud', version: 'v1beta1', plural: 'shoots' };

/** The runtime id annotation KEB's provisioner sets; the infrastructure manager's is the fallback (since 2025-01). */
export const RUNTIME_ID_ANNOTATION = 'kcp.provisioner.kyma-project.io/runtime-id';
// Both as taskrun's resolver read them (kyma-environment-broker common/orchestration/resolver.go, removed 2025-04);
// infrastructure-manager: pkg/gardener/shoot/extender/annotations.go ShootRuntimeIDAnnotation.
export const RUNTIME_ID_ANNOTATION_FALLBACK = 'infrastructuremanager.kyma-project.io/runtime-id';

export interface Shoot {
  name: string;
  /** From the annotation; undefined when the shoot has neither annotation. */
  runtimeId?: string;
  /** Label `account` (the global account id). */
  globalAccountId?: string;
  /** Label `subaccount`. */
  subaccountId?: string;
  /** `spec.region`. */
  region?: string;
  /** `spec.maintenance.timeWindow` as written (`HHMMSS+ZZZZ`); undefined when absent. */
  maintenance?: { begin: string; end: string };
  /** `spec.hibernation.enabled` or `status.hibernated`. */
  hibernated: boolean;
}

export interface ListShootsOptions {
  /** Shoots per page (`limit`); default 1000 (10,000 shoots in ≈ 10 requests). */
  limit?: number;
}

/** Maps one Shoot object. */
export function toShoot(o: KubeObject): Shoot {
  const ann = o.metadata.annotations ?? {};
  const labels = o.metadata.labels ?? {};
  const spec = (o.spec ?? {}) as { region?: unknown; maintenance?: { timeWindow?: { begin?: unknown; end?: unknown } }; hibernation?: { enabled?: unknown } };
  const status = (o.status ?? {}) as { hibernated?: unknown };
  const tw = spec.maintenance?.timeWindow;
  return {
    name: o.metadata.name,
    runtimeId: ann[RUNTIME_ID_ANNOTATION] || ann[RUNTIME_ID_ANNOTATION_FALLBACK] || undefined,
    globalAccountId: labels.account || undefined,
    subaccountId: labels.subaccount || undefined,
    region: typeof spec.region === 'string' ? spec.region : undefined,
    maintenance: typeof tw?.begin === 'string' && typeof tw.end === 'string' ? { begin: tw.begin, end: tw.end } : undefined,
    hibernated: spec.hibernation?.enabled === true || status.hibernated === true,
  };
}

/**
 * All shoots of a Gardener project namespace, page by page. A `continue` token that expired (410) restarts the
 * list once from the beginning, as client-go's pager does.
 */
export async function listShoots(client: KubeClient, namespace: string, o: ListShootsOptions = {}): Promise<Shoot[]> {
  const limit = o.limit ?? 1000;
  for (let restart = 0; ; restart++) {
    const out = new Map<string, Shoot>();
    let cont: string | undefined;
    try {
      do {
        const page = await client.list(SHOOT, namespace, { limit, continue: cont });
        for (const item of page.items) out.set(item.metadata.name, toShoot(item));
        cont = page.metadata.continue || undefined;
      } while (cont);
      return [...out.values()];
    } catch (e) {
      if (!(e instanceof RemoteError && e.status === 410 && cont !== undefined && restart === 0)) throw e;
    }
  }
}
