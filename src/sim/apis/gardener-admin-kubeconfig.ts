/**
 * Gardener's `shoots/<name>/adminkubeconfig` subresource (DOMAIN.md §7): a POSTed AdminKubeconfigRequest
 * answered with a short-lived kubeconfig of the shoot, base64 in `status.kubeconfig`. Shoots whose cluster
 * cannot be reached this way (`skr-no-secret`, hibernated `suspended`) answer 403, so "no KCP secret" means
 * "no SKR access" in the simulator (C2 `kubeconfig-unavailable`).
 */
import type { SubresourceHandler } from '../k8s/api.js';
import { errors } from '../k8s/errors.js';
import { SHOOT } from '../k8s/resources.js';
import { nowTimestamp } from '../k8s/store.js';
import { KIM_RUNTIME_ID, PROVISIONER_RUNTIME_ID } from '../landscape/gardener.js';
import { kubeconfigYaml } from '../landscape/kubeconfig.js';
import { hasKubeconfig } from '../landscape/scenarios.js';
import type { Simulator } from '../simulator.js';

export function adminKubeconfigHandler(sim: Simulator): SubresourceHandler {
  return ({ method, namespace, name, body, store }) => {
    if (method !== 'POST') throw errors.methodNotAllowed();
    const shoot = store.mustGet(SHOOT, namespace, name);
    const ann = shoot.metadata.annotations ?? {};
    const runtimeId = ann[PROVISIONER_RUNTIME_ID] || ann[KIM_RUNTIME_ID];
    const rt = runtimeId ? sim.runtimesById.get(runtimeId) : undefined;
    if (!rt || !hasKubeconfig(rt)) {
      throw errors.forbidden(`shoots.core.gardener.cloud "${name}" is forbidden: admin kubeconfig requests are not allowed for this shoot (it has no reachable cluster)`);
    }
    const req = (body ?? {}) as { spec?: { expirationSeconds?: number } };
    const expirationSeconds = req.spec?.expirationSeconds ?? 600;
    return {
      kind: 'json',
      status: 201,
      body: {
        apiVersion: 'authentication.gardener.cloud/v1alpha1',
        kind: 'AdminKubeconfigRequest',
        metadata: { name, namespace, creationTimestamp: null },
        spec: { expirationSeconds },
        status: {
          kubeconfig: Buffer.from(kubeconfigYaml(rt.runtimeId, sim.seedContext())).toString('base64'),
          expirationTimestamp: nowTimestamp(Date.now() + expirationSeconds * 1000),
        },
      },
    };
  };
}
