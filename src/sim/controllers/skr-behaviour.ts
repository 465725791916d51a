/**
 * What happens on one SKR, and on the KCP for it, without any client doing it: the Deployment controller,
 * the Istio operator (oldest CR reconciles; the others go `Error` on ≤ 1.3 or `Warning`/`OlderCRExists` on
 * ≥ 1.4) and Lifecycle Manager (module in the Kyma → Manifest, operator Deployment, default Istio CR, state
 * mirrored into Manifest and Kymas). DOMAIN.md §4–§6 are the reference; where they differ, the upstream sources
 * cited next to each rule win. As LM does:
 * - it reads only the SKR Kyma `kyma-system/default` (lifecycle-manager `api/shared/operator_labels.go`
 *   DefaultRemoteKymaName, `api/shared/namespace.go` DefaultRemoteNamespace, `internal/remote/skr_context.go`);
 * - it honours `operator.kyma-project.io/skip-reconciliation` on the KCP Kyma `kcp-system/<runtime-id>`, case-
 *   insensitively (`internal/controller/kyma/controller.go`, `api/v1beta2/kyma_types.go` SkipReconciliation,
 *   `api/shared/operator_labels.go` IsEnabled); the SKR copy's labels mean nothing to it;
 * - 2023: the template of the Kyma's channel (`istio-<channel>`), and the Manifest mirrors the Istio CR
 *   (@a513e7ad `internal/manifest/ready_check.go`); current: the ModuleReleaseMeta's version for the channel and
 *   the template `istio-<version>` (`pkg/templatelookup/moduletemplateinfolookup/lookup.go`), and the Manifest's
 *   state is the manager Deployment's (`internal/manifest/statecheck/deployment_state_check.go`), so it can be
 *   Ready while the Istio CR is still Processing.
 *
 * Every reaction is scheduled with a delay (timings.ts, scaled by the time scale) and never runs inside a store
 * event, so controllers see the same interleavings a client would. Controller writes use the store directly:
 * they are not HTTP requests and never count in `/sim/stats`.
 */
import { findResource, KYMA_GROUP } from '../k8s/resources.js';
import { nowTimestamp, type StoreEvent } from '../k8s/store.js';
import { ApiError } from '../k8s/errors.js';
import { ISTIO_FQDN, KCP_SYSTEM as KCP_NAMESPACE, KYMA_SYSTEM as SKR_NAMESPACE, manifestName, OPERATOR_DEPLOYMENT } from '../../migration/resources.js';
import { ISTIO_FINALIZER } from '../landscape/seed.js';
import type { Cluster, Simulator } from '../simulator.js';
import type { K8sObject } from '../types.js';
import { NO_LM_LOAD, type LmLoad } from './lm-load.js';
import type { Timings } from './timings.js';

const KYMA = findResource(KYMA_GROUP, 'v1beta2', 'kymas')!;
const ISTIO = findResource(KYMA_GROUP, 'v1alpha2', 'istios')!;
const MANIFEST = findResource(KYMA_GROUP, 'v1beta2', 'manifests')!;
const TEMPLATE = findResource(KYMA_GROUP, 'v1beta2', 'moduletemplates')!;
const RELEASE_META = findResource(KYMA_GROUP, 'v1beta2', 'modulereleasemetas')!;
const DEPLOYMENT = findResource('apps', 'v1', 'deployments')!;

export { ISTIO_FINALIZER, ISTIO_FQDN, OPERATOR_DEPLOYMENT };
export const KYMA_SYSTEM = SKR_NAMESPACE;
export const KCP_SYSTEM = KCP_NAMESPACE;
/** LM's finalizer on the Manifests it creates. */
export const MANIFEST_FINALIZER = 'declarative.kyma-project.io/finalizer';
export const SKIP_RECONCILIATION = 'operator.kyma-project.io/skip-reconciliation';
/** LM's message when it cannot apply the Istio CRD the old reconciler owned (lifecycle-manager #653). */
export const SSA_CONFLICT_MESSAGE =
  'failed to install raw manifest CRDs: Apply failed with 2 conflicts: conflicts with "reconciler" using apiextensions.k8s.io/v1:\n- .spec.versions\n- .spec.conversion.strategy';

type State = 'Processing' | 'Ready' | 'Error' | 'Warning' | 'Deleting';

interface Status {
  state?: State;
  description?: string;
  conditions?: { type: string; status: string; reason: string; message: string; lastTransitionTime: string }[];
  [k: string]: unknown;
}

/** LM's `IsEnabled`: the label's value, lower-cased, is "true". */
export function skipLabelled(o: K8sObject | undefined): boolean {
  return (o?.metadata.labels?.[SKIP_RECONCILIATION] ?? '').toLowerCase() === 'true';
}

type DeploymentCondition = { type: string; status: string; reason?: string; message?: string; lastUpdateTime?: string; lastTransitionTime?: string };

/**
 * Today's LM's state of a manager Deployment (lifecycle-manager `internal/manifest/statecheck/deployment_state_check.go`
 * `determineDeploymentState`): Progressing True with NewReplicaSetAvailable and Available True → Ready; Progressing
 * True while rolling out → Processing; anything else → Error. A Deployment the controller has not yet given any
 * condition counts as Processing here (the real controller adds one within milliseconds).
 */
export function deploymentState(d: K8sObject | undefined): State {
  if (!d) return 'Processing';
  const conditions = ((d.status ?? {}) as { conditions?: DeploymentCondition[] }).conditions;
  if (!conditions?.length) return 'Processing';
  const progressing = conditions.find((c) => c.type === 'Progressing');
  const available = conditions.find((c) => c.type === 'Available')?.status === 'True';
  if (progressing?.status !== 'True') return 'Error';
  const rolling = ['FoundNewReplicaSet', 'NewReplicaSetCreated', 'ReplicaSetUpdated'];
  if (available) return progressing.reason === 'NewReplicaSetAvailable' ? 'Ready' : rolling.includes(progressing.reason ?? '') ? 'Processing' : 'Error';
  return progressing.reason === 'NewReplicaSetAvailable' || rolling.includes(progressing.reason ?? '') ? 'Processing' : 'Error';
}

function versionAtLeast(v: string, major: number, minor: number): boolean {
  const [a, b] = v.split('.').map((x) => Number(x));
  return a > major || (a === major && b >= minor);
}

function statusOf(o: K8sObject | undefined): Status {
  return (o?.status ?? {}) as Status;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class SkrBehaviour {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  /** Whether Istio itself is installed (a first installation takes operatorInstallMs). */
  private istioInstalled: boolean;
  /** LM has taken this runtime's istio module on (Manifest exists or is being created). */
  private lmTracking = false;
  /** This runtime's Manifest counts in LM's load (taken on, not yet Ready, Warning or Error). */
  private lmBusy = false;
  /** LM steps submitted to LM's workers (cancelled on stop), and the debounced ones by key. */
  private readonly lmJobs = new Set<() => void>();
  private readonly lmPending = new Map<string, () => void>();
  private readonly runtimeId: string;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly sim: Simulator,
    private readonly skr: Cluster,
    private readonly t: Timings,
    private readonly load: LmLoad = NO_LM_LOAD,
  ) {
    this.runtimeId = skr.runtime!.runtimeId;
    this.istioInstalled = statusOf(this.istios().find((i) => statusOf(i).state === 'Ready')).state === 'Ready';
    this.lmTracking = this.kymaHasIstio() && !!this.kcp().store.get(MANIFEST, KCP_SYSTEM, this.manifestName());
    this.unsubscribe = skr.store.subscribe((e) => this.onEvent(e));
    if (skr.restored) this.resync();
  }

  /**
   * A cluster restored from a previous process (persist.ts) lost the controllers' timers: each controller looks at
   * the objects again and finishes what it had started (every step is idempotent).
   */
  private resync(): void {
    const d = this.deployment();
    if (d) this.scheduleDeploymentStatus({ type: 'MODIFIED', object: d, resource: DEPLOYMENT, resourceVersion: Number(d.metadata.resourceVersion) });
    if (this.kymaHasIstio()) {
      // LM takes the module on again: the Manifest, the operator and the default CR are created where missing.
      this.lmTracking = false;
      this.lmAfter(this.lmDelay(this.t.lmNoticeMs), () => this.reconcileLm(), 'lm');
    }
    this.debounce('operator', this.t.operatorReconcileMs, () => this.reconcileIstio());
  }

  private get scenario(): string {
    return this.skr.runtime!.scenario;
  }

  stop(): void {
    this.setBusy(false);
    for (const cancel of this.lmJobs) cancel();
    this.unsubscribe();
    for (const t of this.timers) clearTimeout(t);
    for (const t of this.pending.values()) clearTimeout(t);
  }

  private kcp(): Cluster {
    return this.sim.cluster(`${this.skr.env}-kcp`)!;
  }

  private manifestName(): string {
    return manifestName(this.runtimeId, 'istio', ISTIO_FQDN);
  }

  /** Runs `fn` after `ms`, outside the current store event. */
  private after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.guard(fn);
    }, ms);
    this.timers.add(timer);
  }

  /** Like after(), but a newer request for the same key replaces an older pending one (debounce). */
  private debounce(key: string, ms: number, fn: () => void): void {
    const old = this.pending.get(key);
    if (old) return; // already scheduled; it will read the newest state when it runs
    const timer = setTimeout(() => {
      this.pending.delete(key);
      this.guard(fn);
    }, ms);
    this.pending.set(key, timer);
  }

  /** Controllers retry on a conflict with a client write, as real controllers requeue. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (e instanceof ApiError && (e.code === 409 || e.code === 404)) {
        this.after(10, fn);
        return;
      }
      throw e;
    }
  }

  private kyma(): K8sObject | undefined {
    return this.skr.store.get(KYMA, KYMA_SYSTEM, 'default');
  }

  private kymaHasIstio(): boolean {
    const modules = (this.kyma()?.spec as { modules?: { name?: string }[] | null } | undefined)?.modules;
    return Array.isArray(modules) && modules.some((m) => m?.name === 'istio');
  }

  private istios(): K8sObject[] {
    return this.skr.store.list(ISTIO);
  }

  private deployment(): K8sObject | undefined {
    return this.skr.store.get(DEPLOYMENT, KYMA_SYSTEM, OPERATOR_DEPLOYMENT);
  }

  private operatorActive(): boolean {
    const d = this.deployment();
    const spec = (d?.spec ?? {}) as { replicas?: number };
    const status = (d?.status ?? {}) as { readyReplicas?: number };
    return !!d && (spec.replicas ?? 1) > 0 && (status.readyReplicas ?? 0) > 0;
  }

  private onEvent(e: StoreEvent): void {
    switch (e.resource.kind) {
      case 'Deployment':
        if (e.object.metadata.name === OPERATOR_DEPLOYMENT) {
          if (e.type !== 'DELETED') this.scheduleDeploymentStatus(e);
          this.debounce('operator', this.t.operatorReconcileMs, () => this.reconcileIstio());
          if (this.lmTracking) this.lmAfter(this.t.lmMirrorMs, () => this.mirror(), 'mirror');
        }
        break;
      case 'Istio':
        this.debounce('operator', this.t.operatorReconcileMs, () => this.reconcileIstio());
        if (this.lmTracking) this.lmAfter(this.t.lmMirrorMs, () => this.mirror(), 'mirror');
        break;
      case 'Kyma':
        // LM reads only `default`, and reacts to its spec changes; its own status and annotation writes do not
        // re-trigger it.
        if (e.object.metadata.name !== 'default') break;
        if (e.type !== 'MODIFIED' || !sameJson(e.previous?.spec, e.object.spec)) {
          this.lmAfter(this.lmDelay(this.t.lmNoticeMs), () => this.reconcileLm(), 'lm');
        }
        break;
      default:
        break;
    }
  }

  /** A change of this runtime's KCP Kyma (behaviour/index.ts routes it here): skip-reconciliation coming or going. */
  onKcpKyma(e: StoreEvent): void {
    if (e.type === 'MODIFIED' && skipLabelled(e.previous) === skipLabelled(e.object)) return;
    this.lmAfter(this.lmDelay(this.t.lmNoticeMs), () => this.reconcileLm(), 'lm');
  }

  private lmDelay(ms: number): number {
    return this.scenario === 'slow' ? ms * this.t.slowFactor : ms;
  }

  /**
   * An LM step: runs `fn` after `ms` of one of LM's workers (lm-load.ts: it waits while they are all busy); with a
   * `key`, a step already waiting for that key absorbs this one (debounce).
   */
  private lmAfter(ms: number, fn: () => void, key?: string): void {
    if (key && this.lmPending.has(key)) return;
    const cancel = this.load.submit(ms, () => {
      this.lmJobs.delete(cancel);
      if (key) this.lmPending.delete(key);
      this.guard(fn);
    });
    this.lmJobs.add(cancel);
    if (key) this.lmPending.set(key, cancel);
  }

  private setBusy(busy: boolean): void {
    if (busy === this.lmBusy) return;
    this.lmBusy = busy;
    if (busy) this.load.begin();
    else this.load.end();
  }

  // ---- Deployment controller -------------------------------------------------------------------------

  private scheduleDeploymentStatus(e: StoreEvent): void {
    const spec = (e.object.spec ?? {}) as { replicas?: number };
    const want = spec.replicas ?? 1;
    const status = (e.object.status ?? {}) as { readyReplicas?: number; replicas?: number };
    if ((status.readyReplicas ?? 0) === want && (status.replicas ?? 0) === want) return;

    const delay = e.type === 'ADDED' ? this.t.deploymentReadyMs : this.t.deploymentScaleMs;
    this.after(delay, () => {
      const d = this.deployment();
      if (!d) return;
      const replicas = ((d.spec ?? {}) as { replicas?: number }).replicas ?? 1;
      const next: Record<string, unknown> = {
        ...statusOf(d),
        replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        updatedReplicas: replicas,
        observedGeneration: d.metadata.generation,
        conditions: this.deploymentConditions(d),
      };
      if (replicas === 0) {
        // A Deployment scaled to zero reports no ready or available replicas at all.
        delete next.readyReplicas;
        delete next.availableReplicas;
      }
      if (!sameJson(next, d.status)) this.skr.store.update(DEPLOYMENT, { ...d, status: next }, { subresource: 'status', actor: 'controller' });
    });
  }

  /**
   * The Deployment controller's conditions of a rolled-out Deployment (what today's LM reads, see deploymentState).
   * Until the controller has rolled it out, a new Deployment has none, which deploymentState counts as Processing.
   */
  private deploymentConditions(d: K8sObject): DeploymentCondition[] {
    const now = nowTimestamp();
    const rs = `${d.metadata.name}-${(d.metadata.uid ?? '').replace(/-/g, '').slice(0, 10)}`;
    const old = ((d.status ?? {}) as { conditions?: DeploymentCondition[] }).conditions ?? [];
    const since = (type: string) => old.find((c) => c.type === type && c.status === 'True')?.lastTransitionTime ?? now;
    return [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: now, lastTransitionTime: since('Available') },
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rs}" has successfully progressed.`, lastUpdateTime: now, lastTransitionTime: since('Progressing') },
    ];
  }

  // ---- Istio operator -----------------------------------------------------------------------------------

  private setIstioStatus(cr: K8sObject, status: Status): void {
    const cur = statusOf(cr);
    const next: Status = { ...cur, ...status };
    if (!status.description) delete next.description;
    if (sameJson(next, cur)) return;
    this.skr.store.update(ISTIO, { ...cr, status: next }, { subresource: 'status', actor: 'controller' });
  }

  private condition(status: 'True' | 'False', reason: string, message: string) {
    return [{ type: 'Ready', status, reason, message, lastTransitionTime: nowTimestamp() }];
  }

  /** The operator's reconcile of every Istio CR (only while its Deployment runs). */
  private reconcileIstio(): void {
    this.sim.recordReconcile(this.runtimeId, 'operator');
    if (!this.operatorActive()) return;
    const legacy = !versionAtLeast(this.skr.runtime!.operatorVersion, 1, 4);
    const all = this.istios();
    const outside = all.filter((i) => i.metadata.namespace !== KYMA_SYSTEM);
    for (const cr of outside) {
      this.setIstioStatus(cr, { state: 'Error', description: 'istio CR is not in kyma-system namespace', conditions: this.condition('False', 'ReconcileFailed', 'istio CR is not in kyma-system namespace') });
    }
    const crs = all
      .filter((i) => i.metadata.namespace === KYMA_SYSTEM)
      .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name!.localeCompare(b.metadata.name!));
    if (!crs.length) return;
    const [oldest, ...others] = crs;
    for (const cr of others) {
      if (cr.metadata.deletionTimestamp) {
        this.removeFinalizer(cr);
        continue;
      }
      const description = `Stopped Istio CR reconciliation: only Istio CR ${oldest.metadata.name} in ${KYMA_SYSTEM} reconciles the module`;
      if (legacy) this.setIstioStatus(cr, { state: 'Error', description });
      else {
        this.setIstioStatus(cr, {
          state: 'Warning',
          description,
          conditions: this.condition('False', 'OlderCRExists', 'This Istio custom resource is not the oldest one and does not represent the module state'),
        });
      }
    }
    if (oldest.metadata.deletionTimestamp) {
      this.setIstioStatus(oldest, { state: 'Deleting', description: 'Uninstalling Istio' });
      this.after(this.t.operatorReconcileMs, () => {
        const cur = this.skr.store.get(ISTIO, KYMA_SYSTEM, oldest.metadata.name!);
        if (cur) this.removeFinalizer(cur);
        this.istioInstalled = false;
      });
      return;
    }
    let cr = oldest;
    if (!cr.metadata.finalizers?.includes(ISTIO_FINALIZER)) {
      cr = this.skr.store.update(ISTIO, { ...cr, metadata: { ...cr.metadata, finalizers: [...(cr.metadata.finalizers ?? []), ISTIO_FINALIZER] } }, { actor: 'controller' });
    }
    if (this.scenario === 'istio-error' && this.lmTracking) {
      this.setIstioStatus(cr, {
        state: 'Error',
        description: 'Istio install failed: pilot deployment is not ready: CrashLoopBackOff',
        conditions: this.condition('False', 'IstioInstallUninstallFailed', 'Istio install or uninstall failed'),
      });
      return;
    }
    if (statusOf(cr).state === 'Ready') return;
    if (this.istioInstalled) {
      this.setIstioStatus(cr, { state: 'Ready', description: undefined, conditions: this.condition('True', 'ReconcileSucceeded', 'Reconciliation succeeded') });
      return;
    }
    this.setIstioStatus(cr, { state: 'Processing', description: 'Installing Istio', conditions: this.condition('False', 'ReconcileUnknown', 'Reconciliation in progress') });
    this.debounce('install', this.t.operatorInstallMs, () => {
      this.istioInstalled = true;
      this.reconcileIstio();
    });
  }

  private removeFinalizer(cr: K8sObject): void {
    if (!cr.metadata.finalizers?.includes(ISTIO_FINALIZER)) return;
    this.skr.store.update(ISTIO, { ...cr, metadata: { ...cr.metadata, finalizers: cr.metadata.finalizers.filter((f) => f !== ISTIO_FINALIZER) } }, { actor: 'controller' });
  }

  // ---- Lifecycle Manager --------------------------------------------------------------------------------

  /** LM's reaction to the SKR Kyma: take the istio module on, or drop it (uninstalling Istio). */
  private reconcileLm(): void {
    this.sim.recordReconcile(this.runtimeId, 'lm');
    const kyma = this.kyma();
    if (!kyma) return;
    // LM reconciles the KCP Kyma and honours skip-reconciliation there; without a KCP Kyma there is nothing to do.
    const kcpKyma = this.kcp().store.get(KYMA, KCP_SYSTEM, this.runtimeId);
    if (!kcpKyma || skipLabelled(kcpKyma)) return;
    if (this.kymaHasIstio() && !this.lmTracking) {
      this.lmTracking = true;
      this.setBusy(true);
      this.syncSkrKymaMetadata();
      this.createManifest();
      if (this.scenario === 'manifest-error') {
        this.lmAfter(this.lmDelay(this.t.lmDeployMs), () => this.failManifest());
        return;
      }
      this.lmAfter(this.lmDelay(this.t.lmDeployMs), () => {
        this.ensureDeployment();
        this.lmAfter(this.lmDelay(this.t.lmCreateCrMs), () => this.ensureDefaultCr());
      });
    } else if (!this.kymaHasIstio() && this.lmTracking) {
      // Module removed with policy CreateAndDelete: LM deletes the default CR (Istio uninstalls) and the Manifest.
      this.lmTracking = false;
      this.setBusy(false);
      const cr = this.skr.store.get(ISTIO, KYMA_SYSTEM, 'default');
      if (cr) this.skr.store.delete(ISTIO, KYMA_SYSTEM, 'default', { actor: 'controller' });
      this.deleteManifest();
      this.writeModuleStatus(undefined);
    }
  }

  /**
   * Deletes the Manifest. It carries LM's own finalizer, so the delete only marks it; LM then clears the
   * finalizer itself (the default CR's uninstall runs on the SKR on its own), and the Manifest goes.
   */
  private deleteManifest(): void {
    const kcp = this.kcp();
    const name = this.manifestName();
    if (!kcp.store.get(MANIFEST, KCP_SYSTEM, name)) return;
    kcp.store.delete(MANIFEST, KCP_SYSTEM, name, { actor: 'controller' });
    const marked = kcp.store.get(MANIFEST, KCP_SYSTEM, name);
    if (marked?.metadata.finalizers?.length) {
      kcp.store.update(MANIFEST, { ...marked, metadata: { ...marked.metadata, finalizers: marked.metadata.finalizers.filter((f) => f !== MANIFEST_FINALIZER) } }, { actor: 'controller' });
    }
  }

  /** LM's remote sync touches the SKR Kyma's metadata (not counted as a client write). */
  private syncSkrKymaMetadata(): void {
    const k = this.kyma();
    if (!k) return;
    const annotations = { ...(k.metadata.annotations ?? {}), 'operator.kyma-project.io/owned-by': `${KCP_SYSTEM}/${this.runtimeId}` };
    if (sameJson(annotations, k.metadata.annotations)) return;
    this.skr.store.update(KYMA, { ...k, metadata: { ...k.metadata, annotations } }, { actor: 'controller' });
  }

  private channel(): string {
    const k = this.kyma();
    return (k?.spec as { channel?: string } | undefined)?.channel || 'regular';
  }

  /**
   * The template LM resolves for istio in the Kyma's channel: 2023 `istio-<channel>`; current the template
   * `istio-<version>` of the ModuleReleaseMeta's version for the channel.
   */
  private template(): K8sObject | undefined {
    const kcp = this.kcp().store;
    if (this.sim.kcpGeneration === '2023') return kcp.get(TEMPLATE, KCP_SYSTEM, `istio-${this.channel()}`);
    const mrm = kcp.get(RELEASE_META, KCP_SYSTEM, 'istio');
    const version = ((mrm?.spec ?? {}) as { channels?: { channel: string; version: string }[] }).channels?.find((c) => c.channel === this.channel())?.version;
    return version ? kcp.get(TEMPLATE, KCP_SYSTEM, `istio-${version}`) : undefined;
  }

  private templateVersion(template: K8sObject | undefined): string {
    return ((template?.spec ?? {}) as { version?: string }).version || template?.metadata.annotations?.['operator.kyma-project.io/module-version'] || '1.1.2';
  }

  private createManifest(): void {
    const kcp = this.kcp();
    if (kcp.store.get(MANIFEST, KCP_SYSTEM, this.manifestName())) return;
    const template = this.template();
    const version = this.templateVersion(template);
    const created = kcp.store.create(
      MANIFEST,
      {
        apiVersion: `${KYMA_GROUP}/v1beta2`,
        kind: 'Manifest',
        metadata: {
          name: this.manifestName(),
          namespace: KCP_SYSTEM,
          labels: {
            'operator.kyma-project.io/kyma-name': this.runtimeId,
            'operator.kyma-project.io/channel': this.channel(),
            'operator.kyma-project.io/managed-by': 'lifecycle-manager',
            'operator.kyma-project.io/controller-name': '',
          },
          annotations: { 'operator.kyma-project.io/fqdn': ISTIO_FQDN },
          finalizers: [MANIFEST_FINALIZER],
        },
        spec: {
          remote: true,
          version,
          config: { name: 'config', type: 'oci-ref', ref: 'sha256:0000000000000000000000000000000000000000000000000000000000000000', repo: 'europe-docker.pkg.dev/kyma-project/modules-internal/component-descriptors' },
          install: { name: 'raw-manifest', source: { name: 'kyma-project.io/module/istio', repo: 'europe-docker.pkg.dev/kyma-project/modules-internal/component-descriptors', ref: 'sha256:e18f3de4328047e3b707de7f136210d5854ed343b9b912d49ea639ac8e1c736f', type: 'oci-ref' } },
          resource: (template?.spec as { data?: unknown } | undefined)?.data,
        },
      },
      { actor: 'controller' },
    );
    kcp.store.update(MANIFEST, { ...created, status: { state: 'Processing', lastOperation: { operation: 'module operator deployment is not ready', lastUpdateTime: nowTimestamp() } } }, { subresource: 'status', actor: 'controller' });
    this.writeModuleStatus('Processing');
  }

  private failManifest(): void {
    const kcp = this.kcp();
    const m = kcp.store.get(MANIFEST, KCP_SYSTEM, this.manifestName());
    if (!m) return;
    this.setBusy(false);
    kcp.store.update(MANIFEST, { ...m, status: { state: 'Error', lastOperation: { operation: SSA_CONFLICT_MESSAGE, lastUpdateTime: nowTimestamp() } } }, { subresource: 'status', actor: 'controller' });
    this.writeModuleStatus('Error', SSA_CONFLICT_MESSAGE);
  }

  /** LM installs the module's operator, or takes over the one the old reconciler installed. */
  private ensureDeployment(): void {
    const d = this.deployment();
    const version = this.skr.runtime!.operatorVersion;
    const labels = { 'kyma-project.io/module': 'istio', 'app.kubernetes.io/name': 'istio-operator', 'operator.kyma-project.io/managed-by': 'declarative-v2', 'operator.kyma-project.io/watched-by': 'module-manager' };
    if (d) {
      if (sameJson({ ...(d.metadata.labels ?? {}), ...labels }, d.metadata.labels)) return;
      this.skr.store.update(DEPLOYMENT, { ...d, metadata: { ...d.metadata, labels: { ...(d.metadata.labels ?? {}), ...labels } } }, { actor: 'controller' });
      return;
    }
    const selector = { 'app.kubernetes.io/name': 'istio-operator', 'control-plane': 'controller-manager' };
    this.skr.store.create(
      DEPLOYMENT,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: OPERATOR_DEPLOYMENT, namespace: KYMA_SYSTEM, labels: { ...labels, 'control-plane': 'controller-manager' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: selector },
          template: {
            metadata: { labels: selector },
            spec: { containers: [{ name: 'manager', image: `europe-docker.pkg.dev/kyma-project/prod/istio-manager:${version}`, args: ['--leader-elect'] }], serviceAccountName: 'istio-controller-manager' },
          },
        },
      },
      { actor: 'controller' },
    );
  }

  /** CreateAndDelete: LM creates the default CR from the template's `spec.data` when there is none. */
  private ensureDefaultCr(): void {
    if (!this.lmTracking || this.skr.store.get(ISTIO, KYMA_SYSTEM, 'default')) {
      this.mirror();
      return;
    }
    const data: K8sObject = (this.template()?.spec as { data?: K8sObject } | undefined)?.data ?? {
      apiVersion: `${KYMA_GROUP}/v1alpha2`,
      kind: 'Istio',
      metadata: { name: 'default', namespace: KYMA_SYSTEM },
    };
    this.skr.store.create(
      ISTIO,
      {
        ...structuredClone(data),
        metadata: {
          name: 'default',
          namespace: KYMA_SYSTEM,
          labels: { ...(data.metadata?.labels ?? {}), 'operator.kyma-project.io/managed-by': 'declarative-v2', 'operator.kyma-project.io/watched-by': 'module-manager' },
        },
      },
      { actor: 'controller' },
    );
    this.mirror();
  }

  /** The Manifest state: Processing until the operator runs, then the default Istio CR's state. */
  private mirror(): void {
    if (!this.lmTracking) return;
    this.sim.recordReconcile(this.runtimeId, 'lm');
    const kcp = this.kcp();
    const m = kcp.store.get(MANIFEST, KCP_SYSTEM, this.manifestName());
    if (!m || (statusOf(m).state === 'Error' && this.scenario === 'manifest-error')) return;
    let state: State = 'Processing';
    let operation = 'module operator deployment is not ready';
    if (this.sim.kcpGeneration === 'current') {
      // Today's LM: the manager Deployment's state, whatever the Istio CR's.
      state = deploymentState(this.deployment());
      operation = state === 'Ready' ? 'installation is ready and resources can be used' : state === 'Error' ? 'manager is in error state' : operation;
    } else if (this.operatorActive()) {
      const cr = this.skr.store.get(ISTIO, KYMA_SYSTEM, 'default');
      state = statusOf(cr).state ?? 'Processing';
      operation = cr ? `module CR state: ${state}` : 'module CR not found';
    }
    const cur = statusOf(m);
    if (state !== 'Processing') this.setBusy(false);
    if (cur.state !== state) {
      kcp.store.update(MANIFEST, { ...m, status: { ...cur, state, lastOperation: { operation, lastUpdateTime: nowTimestamp() } } }, { subresource: 'status', actor: 'controller' });
    }
    this.writeModuleStatus(state);
  }

  /** Mirrors the istio module's state into the KCP Kyma's and the SKR Kyma's `status.modules`. */
  private writeModuleStatus(state: State | undefined, message?: string): void {
    const template = this.template();
    const entry = state
      ? {
          name: 'istio',
          fqdn: ISTIO_FQDN,
          channel: this.channel(),
          version: this.templateVersion(template),
          state,
          ...(message ? { message } : {}),
          manifest: { apiVersion: `${KYMA_GROUP}/v1beta2`, kind: 'Manifest', metadata: { name: this.manifestName(), namespace: KCP_SYSTEM, generation: 1 } },
          template: { apiVersion: `${KYMA_GROUP}/v1beta2`, kind: 'ModuleTemplate', metadata: { name: template?.metadata.name ?? `istio-${this.channel()}`, namespace: KCP_SYSTEM, generation: 1 } },
        }
      : undefined;
    const update = (cluster: Cluster, kyma: K8sObject | undefined) => {
      if (!kyma) return;
      const st = statusOf(kyma) as Status & { modules?: { name: string; state?: string }[] };
      const modules = (st.modules ?? []).filter((x) => x.name !== 'istio');
      if (entry) modules.push(entry);
      const worst = modules.some((x) => x.state === 'Error') ? 'Error' : modules.some((x) => x.state === 'Warning') ? 'Warning' : modules.some((x) => x.state !== 'Ready') ? 'Processing' : 'Ready';
      const next = { ...st, modules, state: worst, lastOperation: { operation: worst === 'Ready' ? 'kyma is ready' : 'waiting for modules to be ready', lastUpdateTime: nowTimestamp() } };
      if (sameJson({ ...next, lastOperation: undefined }, { ...st, lastOperation: undefined })) return;
      cluster.store.update(KYMA, { ...kyma, status: next }, { subresource: 'status', actor: 'controller' });
    };
    const kcp = this.kcp();
    update(kcp, kcp.store.get(KYMA, KCP_SYSTEM, this.runtimeId));
    update(this.skr, this.kyma());
  }
}
