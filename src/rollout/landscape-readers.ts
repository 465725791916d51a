/**
 * The clients that resolve an environment's runtimes (targets/resolve.ts): KEB and Gardener, built from the
 * environment's configuration with its shared throttle. Plan, verify and the eligibility recheck of a wave run again
 * all resolve through these.
 */
import { readFile } from 'node:fs/promises';
import { KebClient } from '../clients/keb-client.js';
import { KubeClient, RequestCounter } from '../clients/kube-client.js';
import type { EnvName } from '../config/config.js';
import type { ResolveTargetsInput } from '../targets/resolve.js';
import type { EnvPorts } from './ports.js';

/** KEB and Gardener of `env`, as `resolveTargets` takes them; `counter` counts the Gardener requests. */
export async function landscapeReaders(ports: EnvPorts, env: EnvName, counter = new RequestCounter()): Promise<Pick<ResolveTargetsInput, 'keb' | 'gardener'>> {
  const e = ports.envConfig(env);
  const throttle = ports.throttle(env);
  const gardener = new KubeClient(await readFile(e.gardener.kubeconfig, 'utf8'), { system: 'gardener', counter, throttle });
  return { keb: new KebClient({ url: e.keb.url, tokenFile: e.keb.tokenFile, throttle }), gardener: { client: gardener, namespace: e.gardener.namespace } };
}
