/** A kubeconfig for a local test server (plain HTTP) with a static token: one cluster, one user, one context. */
export function localKubeconfig(server: string, token = 'local-test-token'): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    // client-node sends plain HTTP only with TLS verification off.
    'clusters: [{ name: local, cluster: { server: "' + server + '", insecure-skip-tls-verify: true } }]',
    `users: [{ name: sre, user: { token: ${token} } }]`,
    'contexts: [{ name: local, context: { cluster: local, user: sre } }]',
    'current-context: local',
  ].join('\n');
}
