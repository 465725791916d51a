/** Kubeconfigs of the simulated clusters, as KEB stores them and as the simulator writes them to `--out`. */
import type { SeedContext } from './seed.js';


/**
 * A kubeconfig for one simulated cluster, shaped like the ones KEB stores (one cluster, one user, one
 * context). Built as text because 10,000 of them are written at start-up; JSON strings are valid YAML scalars.
 */
export function kubeconfigYaml(clusterId: string, ctx: SeedContext): string {
  const server = JSON.stringify(`${ctx.baseUrl}/clusters/${clusterId}`);
  const token = JSON.stringify(ctx.tokenFor(clusterId));
  return `apiVersion: v1
kind: Config
current-context: ${clusterId}
clusters:
- name: ${clusterId}
  cluster:
    server: ${server}
    insecure-skip-tls-verify: true
contexts:
- name: ${clusterId}
  context:
    cluster: ${clusterId}
    user: ${clusterId}-admin
users:
- name: ${clusterId}-admin
  user:
    token: ${token}
preferences: {}
`;
}
