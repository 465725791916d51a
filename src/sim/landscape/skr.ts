/**
 * The starting objects of a runtime's SKR per scenario (DESIGN.md C2), as Lifecycle Manager and the old Kyma
 * reconciler left them in Nov 2023: the Kyma, the synced module catalog, Istio CRs and the operator Deployment.
 */
import { KYMA_SYSTEM, OPERATOR_DEPLOYMENT } from '../../migration/resources.js';
import type { K8sObject, RuntimeSpec } from '../types.js';
import { kymaStatus } from './kyma-status.js';
import { stableHash } from './random.js';
import { ages, SCENARIO_SHAPES, type IstioCrShape, type SkrShape } from './scenarios.js';
import { deepFreeze, generationOf, IMAGE_REPO, ISTIO_API_VERSION, ISTIO_FINALIZER, KYMA_API_VERSION, L, LM, namespaceObj, placed, stamp, ts, type SeedContext } from './seed.js';
import { moduleCatalog } from './templates.js';

/** Bound once: a global lookup per call is slow under jest's VM modules (see random.ts). */
const imul = Math.imul;

const OPERATOR_LABELS = deepFreeze({ 'kyma-project.io/module': 'istio', 'app.kubernetes.io/name': 'istio-operator', 'control-plane': 'controller-manager' });
const deploymentSpecCache = new Map<string, Record<string, unknown>>();

/** The spec of `istio-controller-manager` as the istio module's kustomize output has it (shared per version). */
function operatorDeploymentSpec(version: string): Record<string, unknown> {
  let spec = deploymentSpecCache.get(version);
  if (!spec) {
    const probe = (path: string, initialDelaySeconds: number, periodSeconds: number) => ({
      httpGet: { path, port: 8081, scheme: 'HTTP' },
      initialDelaySeconds,
      periodSeconds,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    });
    spec = deepFreeze({
      replicas: 1,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'istio-operator', 'control-plane': 'controller-manager' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { ...OPERATOR_LABELS }, annotations: { 'kubectl.kubernetes.io/default-container': 'manager' } },
        spec: {
          containers: [
            {
              name: 'manager',
              image: `${IMAGE_REPO}/istio-manager:${version}`,
              imagePullPolicy: 'IfNotPresent',
              command: ['/manager'],
              args: ['--leader-elect'],
              livenessProbe: probe('/healthz', 15, 20),
              readinessProbe: probe('/readyz', 5, 10),
              resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '10m', memory: '128Mi' } },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
            },
          ],
          dnsPolicy: 'ClusterFirst',
          priorityClassName: 'istio-priority-class',
          restartPolicy: 'Always',
          schedulerName: 'default-scheduler',
          securityContext: { runAsNonRoot: true },
          serviceAccountName: 'istio-controller-manager',
          terminationGracePeriodSeconds: 10,
        },
      },
    });
    deploymentSpecCache.set(version, spec);
  }
  return spec;
}

/** A ReplicaSet suffix in the alphabet Kubernetes uses for pod-template hashes (no vowels, no 0/1/3). */
function podTemplateHash(seed: string): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let h = stableHash(`${seed}/pod-template-hash`);
  let out = '';
  for (let i = 0; i < 10; i++) {
    out += alphabet[h % alphabet.length];
    h = Math.floor(h / alphabet.length) ^ imul(h, 31);
    h >>>= 0;
  }
  return out;
}

function operatorDeployment(rt: RuntimeSpec, ctx: SeedContext): K8sObject {
  const a = ages(rt);
  const since = ts(ctx, a.operator - 30);
  const rs = `${OPERATOR_DEPLOYMENT}-${podTemplateHash(rt.runtimeId)}`;
  return stamp(
    rt.runtimeId,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: OPERATOR_DEPLOYMENT,
        namespace: KYMA_SYSTEM,
        generation: 1,
        labels: OPERATOR_LABELS,
        annotations: { 'deployment.kubernetes.io/revision': '1' },
      },
      spec: operatorDeploymentSpec(rt.operatorVersion),
      status: {
        observedGeneration: 1,
        replicas: 1,
        updatedReplicas: 1,
        readyReplicas: 1,
        availableReplicas: 1,
        conditions: [
          { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: since, lastTransitionTime: since },
          { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rs}" has successfully progressed.`, lastUpdateTime: since, lastTransitionTime: ts(ctx, a.operator) },
        ],
      },
    },
    a.operator,
    ctx,
  );
}

/** Status of a reconciled Istio CR; the operator sets conditions from 1.3 on. */
function istioReadyStatus(operatorVersion: string, since: string): Record<string, unknown> {
  const [major, minor] = operatorVersion.split('.').map(Number);
  if (major === 1 && minor < 3) return { state: 'Ready' };
  return {
    state: 'Ready',
    conditions: [{ type: 'Ready', status: 'True', reason: 'ReconcileSucceeded', message: 'Reconciliation succeeded', lastTransitionTime: since, observedGeneration: 1 }],
  };
}

/** The spec the old reconciler gave the `default` CR it created. */
const RECONCILER_ISTIO_SPEC = deepFreeze({ config: { numTrustedProxies: 1 } });

/** Names customers gave their own Istio CRs. */
const CUSTOMER_CR_NAMES = ['custom-istio', 'istio', 'my-istio', 'istio-config', 'istio-custom'];

const res = (rc: string, rm: string, lc: string, lm: string) => ({ requests: { cpu: rc, memory: rm }, limits: { cpu: lc, memory: lm } });
/** Customised specs of the v1alpha2 schema (1.1.2): trusted proxies, gateway and pilot scaling and sizing. */
const CUSTOMER_ISTIO_SPECS = deepFreeze([
  { config: { numTrustedProxies: 2 }, components: { ingressGateway: { k8s: { hpaSpec: { minReplicas: 2, maxReplicas: 10 }, resources: res('100m', '128Mi', '2000m', '1024Mi') } } } },
  {
    config: { numTrustedProxies: 3 },
    components: {
      ingressGateway: { k8s: { hpaSpec: { minReplicas: 3, maxReplicas: 6 } } },
      pilot: { k8s: { hpaSpec: { minReplicas: 2, maxReplicas: 5 }, resources: res('250m', '512Mi', '4000m', '2Gi') } },
    },
  },
  {
    config: { numTrustedProxies: 1 },
    components: {
      proxy: { k8s: { resources: res('20m', '64Mi', '500m', '256Mi') } },
      ingressGateway: { k8s: { hpaSpec: { minReplicas: 2, maxReplicas: 4 }, strategy: { rollingUpdate: { maxSurge: '50%', maxUnavailable: 0 } } } },
    },
  },
]);

function istioCr(rt: RuntimeSpec, shape: IstioCrShape, ctx: SeedContext): K8sObject | undefined {
  if (shape === 'none') return undefined;
  const a = ages(rt);
  const h = stableHash(`${rt.runtimeId}/istio`);
  if (shape === 'customer') {
    const name = CUSTOMER_CR_NAMES[h % CUSTOMER_CR_NAMES.length];
    const spec = CUSTOMER_ISTIO_SPECS[(h >>> 8) % CUSTOMER_ISTIO_SPECS.length];
    const applied = JSON.stringify({ apiVersion: ISTIO_API_VERSION, kind: 'Istio', metadata: { annotations: {}, name, namespace: KYMA_SYSTEM }, spec });
    return stamp(
      rt.runtimeId,
      {
        apiVersion: ISTIO_API_VERSION,
        kind: 'Istio',
        metadata: {
          name,
          namespace: KYMA_SYSTEM,
          generation: 1,
          annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `${applied}\n` },
          finalizers: [ISTIO_FINALIZER],
        },
        spec,
        status: istioReadyStatus(rt.operatorVersion, ts(ctx, a.customerIstio - 40)),
      },
      a.customerIstio,
      ctx,
    );
  }
  const labels: Record<string, string> =
    shape === 'lm-default'
      ? { 'app.kubernetes.io/name': 'default', [L.managedBy]: 'declarative-v2' }
      : { 'reconciler.kyma-project.io/managed-by': 'reconciler', 'reconciler.kyma-project.io/origin-version': '2.20.0' };
  return stamp(
    rt.runtimeId,
    {
      apiVersion: ISTIO_API_VERSION,
      kind: 'Istio',
      metadata: { name: 'default', namespace: KYMA_SYSTEM, generation: 1, labels, finalizers: [ISTIO_FINALIZER] },
      spec: shape === 'lm-default' ? {} : RECONCILER_ISTIO_SPEC,
      status: istioReadyStatus(rt.operatorVersion, ts(ctx, a.reconcilerIstio - 40)),
    },
    a.reconcilerIstio,
    ctx,
  );
}

/**
 * The SKR Kyma's labels. Never skip-reconciliation: LM reads that on the KCP Kyma and does not sync it to the SKR
 * (lifecycle-manager `internal/remote/skr_context.go` syncs only the watcher and BTP labels).
 */
const SKR_KYMA_LABELS = (rt: RuntimeSpec): Record<string, string> => ({
  [L.kymaName]: rt.runtimeId,
  [L.managedBy]: LM,
  [L.watchedBy]: LM,
});

/**
 * The objects of a runtime's SKR. Given for every scenario, `suspended` included (what it had before KEB
 * suspended it); whether a cluster answers for it is the server's business.
 */
export function skrObjects(rt: RuntimeSpec, ctx: SeedContext): K8sObject[] {
  const shape: SkrShape = SCENARIO_SHAPES[rt.scenario];
  const a = ages(rt);
  const id = rt.runtimeId;
  const out: K8sObject[] = [
    namespaceObj(id, 'default', a.namespace, ctx),
    namespaceObj(id, 'kube-system', a.namespace, ctx),
    namespaceObj(id, KYMA_SYSTEM, a.kymaSystem, ctx, { 'istio-injection': 'disabled' }),
  ];
  if (shape.istioCr !== 'none') out.push(namespaceObj(id, 'istio-system', a.operator + 5, ctx, { 'namespaces.warden.kyma-project.io/validate': 'enabled' }));

  if (shape.kyma) {
    out.push(
      stamp(
        id,
        {
          apiVersion: KYMA_API_VERSION,
          kind: 'Kyma',
          metadata: { name: 'default', namespace: KYMA_SYSTEM, generation: 1, labels: SKR_KYMA_LABELS(rt) },
          spec: { channel: rt.channel, ...(shape.modules ? { modules: shape.modules.map((name) => ({ name })) } : {}) },
          status: kymaStatus(rt, ctx, 'skr'),
        },
        a.skrKyma,
        ctx,
      ),
    );
  }
  if (shape.secondKyma) {
    // A copy someone made by hand: no LM labels, never reconciled.
    out.push(
      stamp(
        id,
        { apiVersion: KYMA_API_VERSION, kind: 'Kyma', metadata: { name: 'kyma-copy', namespace: KYMA_SYSTEM, generation: 1 }, spec: { channel: rt.channel } },
        a.secondKyma,
        ctx,
      ),
    );
  }
  const gen = generationOf(ctx);
  if (shape.istioTemplates) for (const t of moduleCatalog('istio', gen, KYMA_SYSTEM)) out.push(placed(id, t, a.istioTemplates, ctx));
  if (shape.kedaTemplates) for (const t of moduleCatalog('keda', gen, KYMA_SYSTEM)) out.push(placed(id, t, a.kedaTemplates, ctx));
  const cr = istioCr(rt, shape.istioCr, ctx);
  if (cr) {
    out.push(cr);
    out.push(operatorDeployment(rt, ctx));
  }
  return out;
}

