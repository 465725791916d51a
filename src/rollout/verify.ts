/**
 * `verify`: the doc's checks as one command — istio Manifests per state on KCP, runtime count vs Manifest count
 * (the doc's `kcp rt … | jq .totalCount` vs `grep istio | wc -l`), the non-Ready list (`grep -v Ready`), and the
 * Istio CR state on a sample of SKRs (Manifest Ready alone is not enough on newer LM, DOMAIN.md §8.10).
 */
import { readFile } from 'node:fs/promises';
import type { EnvName } from '../config/config.js';
import { KubeClient, RequestCounter } from '../clients/kube-client.js';
import { ISTIOS, istioManifestName, KCP_SYSTEM, KYMA_SYSTEM, MANIFESTS } from '../migration/resources.js';
import { resolveSkrAccess } from '../migration/skr-access.js';
import { parseTargets } from '../targets/selector.js';
import { resolveTargets, sampleSpread } from '../targets/resolve.js';
import { landscapeReaders } from './landscape-readers.js';
import type { EnvPorts } from './ports.js';

export interface VerifyReport {
  env: EnvName;
  target: string;
  ok: boolean;
  runtimes: number;
  /** The runtimes in scope that were checked (eligible ones); a wave is marked verified only if they cover it. */
  runtimeIds: string[];
  manifests: { total: number; byState: Record<string, number> };
  /** Runtimes in scope without an istio Manifest. */
  missing: string[];
  nonReady: { runtimeId: string; manifest: string; state: string }[];
  sample: { runtimeId: string; istio: string }[];
}

/**
 * `scope`: only these runtimes of the target (a wave's own, for its final summary and `verify --wave`), shown as
 * `label` instead of the target.
 */
export async function verifyEnv(services: EnvPorts, env: EnvName, specs: string[], sampleSize = 5, scope?: { runtimeIds: ReadonlySet<string>; label: string }): Promise<VerifyReport> {
  const e = services.envConfig(env);
  const counter = new RequestCounter();
  const throttle = services.throttle(env);
  const kcp = new KubeClient(await readFile(e.kcp.kubeconfig, 'utf8'), { system: 'kcp', counter, throttle });
  const readers = await landscapeReaders(services, env, counter);
  const gardener = readers.gardener.client;
  const spec = parseTargets({ specs: specs.length ? specs : ['all'], namedSets: e.targets });
  const [resolution, manifests] = await Promise.all([
    resolveTargets({ env, spec, ...readers }),
    kcp.listOrEmpty(MANIFESTS, KCP_SYSTEM),
  ]);
  if (scope) resolution.runtimes = resolution.runtimes.filter((rt) => scope.runtimeIds.has(rt.runtimeId));
  const byName = new Map(manifests.items.map((m) => [m.metadata.name, m]));
  const byState: Record<string, number> = {};
  const missing: string[] = [];
  const nonReady: VerifyReport['nonReady'] = [];
  let total = 0;
  for (const rt of resolution.runtimes) {
    const name = istioManifestName(rt.runtimeId);
    const m = byName.get(name);
    if (!m) {
      missing.push(rt.runtimeId);
      continue;
    }
    total++;
    const state = ((m.status as { state?: string } | undefined)?.state ?? 'Unknown');
    byState[state] = (byState[state] ?? 0) + 1;
    if (state !== 'Ready') nonReady.push({ runtimeId: rt.runtimeId, manifest: name, state });
  }
  const sample: VerifyReport['sample'] = [];
  // The sample is of runtimes with an istio Manifest (migrated ones): an SKR not yet migrated has no Istio CR to
  // check, and would fail the verification of a wave (e.g. the runbook's sample step) that never touched it.
  const withManifest = resolution.runtimes.filter((rt) => byName.has(istioManifestName(rt.runtimeId)));
  for (const rt of sampleSpread(withManifest, Math.min(sampleSize, withManifest.length), 1)) {
    try {
      const access = await resolveSkrAccess(rt.runtimeId, kcp, e.skrAccess === 'kcp-secret' ? undefined : { client: gardener, namespace: e.gardener.namespace, shootName: rt.shootName });
      // The migration's retries: one 503 or reset of a flaky SKR is not a failed verification.
      const skr = new KubeClient(access.kubeconfig, { system: 'skr', counter, throttle });
      const def = await skr.get(ISTIOS, KYMA_SYSTEM, 'default');
      sample.push({ runtimeId: rt.runtimeId, istio: def ? ((def.status as { state?: string } | undefined)?.state ?? 'no state') : 'absent' });
    } catch (err) {
      sample.push({ runtimeId: rt.runtimeId, istio: `unreachable (${(err as Error).message.slice(0, 80)})` });
    }
  }
  return {
    env,
    target: scope?.label ?? spec.canonical,
    ok: missing.length === 0 && nonReady.length === 0 && sample.every((s) => s.istio === 'Ready'),
    runtimes: resolution.runtimes.length,
    runtimeIds: resolution.runtimes.map((r) => r.runtimeId),
    manifests: { total, byState },
    missing,
    nonReady,
    sample,
  };
}
