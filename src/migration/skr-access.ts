/**
 * SKR access (DOMAIN.md §9.3 step 1): the KCP secret `kcp-system/kubeconfig-<runtime-id>` (key `config`),
 * falling back to Gardener's `shoots/<shoot>/adminkubeconfig`. The kubeconfig is returned in memory only;
 * nothing here logs it.
 */
import type { KubeClient } from '../clients/kube-client.js';
import { KCP_SYSTEM, SHOOTS } from './resources.js';

export class KubeconfigUnavailableError extends Error {
  readonly code = 'kubeconfig-unavailable';
}

export interface SkrAccess {
  kubeconfig: string;
  via: 'kcp-secret' | 'gardener';
}

export interface GardenerTarget {
  client: KubeClient;
  namespace: string;
  shootName: string;
}

export async function resolveSkrAccess(runtimeId: string, kcp: KubeClient | undefined, gardener: GardenerTarget | undefined): Promise<SkrAccess> {
  const problems: string[] = [];
  if (kcp) {
    try {
      const secret = await kcp.readSecret(KCP_SYSTEM, `kubeconfig-${runtimeId}`);
      const data = secret?.data?.config;
      if (data) return { kubeconfig: Buffer.from(data, 'base64').toString('utf8'), via: 'kcp-secret' };
      problems.push(secret ? `secret ${KCP_SYSTEM}/kubeconfig-${runtimeId} has no key "config"` : `access secret not found: ${KCP_SYSTEM}/kubeconfig-${runtimeId}`);
    } catch (e) {
      problems.push(`reading ${KCP_SYSTEM}/kubeconfig-${runtimeId}: ${(e as Error).message}`);
    }
  }
  if (gardener) {
    try {
      const path = `/apis/${SHOOTS.group}/${SHOOTS.version}/namespaces/${gardener.namespace}/shoots/${gardener.shootName}/adminkubeconfig`;
      const res = (await gardener.client.postRaw(path, {
        apiVersion: 'authentication.gardener.cloud/v1alpha1',
        kind: 'AdminKubeconfigRequest',
        spec: { expirationSeconds: 1800 },
      })) as { status?: { kubeconfig?: string } };
      const kc = res?.status?.kubeconfig;
      if (kc) return { kubeconfig: Buffer.from(kc, 'base64').toString('utf8'), via: 'gardener' };
      problems.push(`Gardener answered no kubeconfig for shoot ${gardener.shootName}`);
    } catch (e) {
      problems.push(`Gardener adminkubeconfig for shoot ${gardener.shootName}: ${(e as Error).message}`);
    }
  }
  if (!kcp && !gardener) problems.push('no SKR kubeconfig, KCP access or Gardener access was given');
  throw new KubeconfigUnavailableError(problems.join('; '));
}
