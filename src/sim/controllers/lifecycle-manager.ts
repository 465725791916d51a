/**
 * Lifecycle Manager for one runtime: module in the SKR Kyma → Manifest on KCP, the operator Deployment and the
 * default Istio CR on the SKR, state mirrored into the Manifest and both Kymas. DOMAIN.md §4–§6 are the reference;
 * where they differ, the upstream sources cited next to each rule win. As LM does:
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
 * Every step holds one of LM's workers for its delay (lm-load.ts). Controller writes use the store directly: they
 * are not HTTP requests and never count in `/sim/stats`.
 */
import { ISTIO_FQDN, KCP_SYSTEM, manifestName, KYMA_SYSTEM, OPERATOR_DEPLOYMENT, skipReconciliationSet } from '../../migration/resources.js';
import { DEPLOYMENT, ISTIO, KYMA, KYMA_GROUP, MANIFEST, RELEASE_META, TEMPLATE } from '../k8s/resources.js';
import { nowTimestamp, type StoreEvent } from '../k8s/store.js';
import type { Cluster } from '../simulator.js';
import type { K8sObject } from '../types.js';
import type { DeploymentCondition } from './deployment.js';
import { NO_LM_LOAD, type LmLoad } from './lm-load.js';
import { sameJson, statusOf, type SkrContext, type State, type Status } from './skr-context.js';

/** LM's finalizer on the Manifests it creates. */
export const MANIFEST_FINALIZER = 'declarative.kyma-project.io/finalizer';
/** LM's message when it cannot apply the Istio CRD the old reconciler owned (lifecycle-manager #653). */
export const SSA_CONFLICT_MESSAGE =
  'failed to install raw manifest CRDs: Apply failed with 2 conflicts: conflicts with "reconciler" using apiextensions.k8s.io/v1:\n- .spec.versions\n- .spec.conversion.strategy';

const skipLabelled = (o: K8sObject | undefined): boolean => skipReconciliationSet(o?.metadata.labels);
const deleting = (o: K8sObject | undefined): boolean => !!o?.metadata.deletionTimestamp;

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

export class LifecycleManager {
  /** LM has taken this runtime's istio module on (Manifest exists or is being created). */
  private tracking: boolean;
  /** The module was added with customResourcePolicy Ignore (LM manages no CR of it). */
  private ignoresCr = false;
  /** The name of the istio entry LM took on (its Manifest is named after it). */
  private trackedName: string | undefined;
  /** This runtime's Manifest counts in LM's load (taken on, not yet Ready, Warning or Error). */
  private busy = false;
  /** LM steps submitted to LM's workers (cancelled on stop), and the debounced ones by key. */
  private readonly jobs = new Set<() => void>();
  private readonly pending = new Map<string, () => void>();

  constructor(
    private readonly c: SkrContext,
    private readonly load: LmLoad = NO_LM_LOAD,
  ) {
    this.tracking = c.kymaHasIstio() && !!c.kcp().store.get(MANIFEST, KCP_SYSTEM, this.manifestName());
    // A cluster materialised after its Kyma's deletion began: LM's deletion flow has begun too.
    if (deleting(c.kcp().store.get(KYMA, KCP_SYSTEM, c.runtimeId)) || deleting(c.kyma())) this.notice();
  }

  /** Whether LM has taken the istio module on. */
  get tracked(): boolean {
    return this.tracking;
  }

  stop(): void {
    this.setBusy(false);
    for (const cancel of this.jobs) cancel();
  }

  /** A cluster restored from a previous process: LM takes the module on again (what is missing is created). */
  resync(): void {
    if (!this.c.kymaHasIstio()) return;
    this.tracking = false;
    this.notice();
  }

  /** The SKR Kyma `default` changed: LM reacts to spec changes, not to its own status and annotation writes. */
  onKyma(e: StoreEvent): void {
    if (e.object.metadata.name !== 'default') return;
    if (e.type !== 'MODIFIED' || !sameJson(e.previous?.spec, e.object.spec) || deleting(e.object) !== deleting(e.previous)) this.notice();
  }

  /** The operator's Deployment or an Istio CR changed: mirror the state soon, if LM tracks the module. */
  onModuleChange(): void {
    if (this.tracking) this.step(this.c.t.lmMirrorMs, () => this.mirror(), 'mirror');
  }

  private notice(): void {
    this.step(this.delay(this.c.t.lmNoticeMs), () => this.reconcile(), 'lm');
  }

  /** The Manifest of the istio entry: LM's name for it includes the entry's name (`istio`, the FQDN, …). */
  private manifestName(): string {
    return manifestName(this.c.runtimeId, this.entryName(), ISTIO_FQDN);
  }

  /** The istio entry's name: the one LM took on while it tracks the module, else the Kyma's now. */
  private entryName(): string {
    return (this.tracking && this.trackedName) || this.c.istioEntry()?.name || 'istio';
  }

  /** A change of this runtime's KCP Kyma (index.ts routes it here): skip-reconciliation coming or going. */
  onKcpKyma(e: StoreEvent): void {
    if (e.type === 'MODIFIED' && skipLabelled(e.previous) === skipLabelled(e.object) && deleting(e.previous) === deleting(e.object)) return;
    this.notice();
  }

  private delay(ms: number): number {
    return this.c.scenario === 'slow' ? ms * this.c.t.slowFactor : ms;
  }

  /**
   * An LM step: runs `fn` after `ms` of one of LM's workers (lm-load.ts: it waits while they are all busy); with a
   * `key`, a step already waiting for that key absorbs this one (debounce).
   */
  private step(ms: number, fn: () => void, key?: string): void {
    if (key && this.pending.has(key)) return;
    const cancel = this.load.submit(ms, () => {
      this.jobs.delete(cancel);
      if (key) this.pending.delete(key);
      this.c.guard(fn);
    });
    this.jobs.add(cancel);
    if (key) this.pending.set(key, cancel);
  }

  private setBusy(busy: boolean): void {
    if (busy === this.busy) return;
    this.busy = busy;
    if (busy) this.load.begin();
    else this.load.end();
  }

  /** LM's reaction to the SKR Kyma: take the istio module on, or drop it (uninstalling Istio). */
  private reconcile(): void {
    this.c.sim.recordReconcile(this.c.runtimeId, 'lm');
    const kyma = this.c.kyma();
    if (!kyma) return;
    // LM reconciles the KCP Kyma and honours skip-reconciliation there; without a KCP Kyma there is nothing to do.
    const kcpKyma = this.c.kcp().store.get(KYMA, KCP_SYSTEM, this.c.runtimeId);
    if (!kcpKyma || skipLabelled(kcpKyma)) return;
    // A Kyma being deleted: LM's deletion flow (state Deleting on both Kymas) instead of taking modules on.
    if (deleting(kcpKyma) || deleting(kyma)) {
      this.markDeleting();
      return;
    }
    if (this.c.kymaHasIstio() && !this.tracking) {
      this.trackedName = this.c.istioEntry()?.name;
      this.tracking = true;
      this.ignoresCr = this.moduleEntry()?.customResourcePolicy === 'Ignore';
      this.setBusy(true);
      this.syncSkrKymaMetadata();
      this.createManifest();
      if (this.c.scenario === 'manifest-error') {
        this.step(this.delay(this.c.t.lmDeployMs), () => this.failManifest());
        return;
      }
      this.step(this.delay(this.c.t.lmDeployMs), () => {
        this.ensureDeployment();
        this.step(this.delay(this.c.t.lmCreateCrMs), () => this.ensureDefaultCr());
      });
    } else if (!this.c.kymaHasIstio() && this.tracking) {
      // Module removed with policy CreateAndDelete: LM deletes the default CR (Istio uninstalls) and the Manifest.
      // With Ignore (remembered from when it was added: the entry is gone now) LM managed no CR and deletes none.
      this.tracking = false;
      this.setBusy(false);
      const cr = this.ignoresCr ? undefined : this.c.skr.store.get(ISTIO, KYMA_SYSTEM, 'default');
      if (cr) this.c.skr.store.delete(ISTIO, KYMA_SYSTEM, 'default', { actor: 'controller' });
      this.deleteManifest();
      this.writeModuleStatus(undefined);
    }
  }

  /** LM's state of a Kyma being deleted, on the KCP Kyma and the SKR's (a status write; LM's own). */
  private markDeleting(): void {
    const kcp = this.c.kcp();
    for (const [cluster, kyma] of [[kcp, kcp.store.get(KYMA, KCP_SYSTEM, this.c.runtimeId)], [this.c.skr, this.c.kyma()]] as const) {
      if (!kyma || statusOf(kyma).state === 'Deleting') continue;
      cluster.store.update(KYMA, { ...kyma, status: { ...statusOf(kyma), state: 'Deleting', lastOperation: { operation: 'waiting for modules to be deleted', lastUpdateTime: nowTimestamp() } } }, { subresource: 'status', actor: 'controller' });
    }
  }

  /**
   * Deletes the Manifest. It carries LM's own finalizer, so the delete only marks it; LM then clears the
   * finalizer itself (the default CR's uninstall runs on the SKR on its own), and the Manifest goes.
   */
  private deleteManifest(): void {
    const kcp = this.c.kcp();
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
    const k = this.c.kyma();
    if (!k) return;
    const annotations = { ...(k.metadata.annotations ?? {}), 'operator.kyma-project.io/owned-by': `${KCP_SYSTEM}/${this.c.runtimeId}` };
    if (sameJson(annotations, k.metadata.annotations)) return;
    this.c.skr.store.update(KYMA, { ...k, metadata: { ...k.metadata, annotations } }, { actor: 'controller' });
  }

  /** The istio entry of the Kyma's `spec.modules`. */
  private moduleEntry(): { channel?: string; customResourcePolicy?: string } | undefined {
    return this.c.istioEntry();
  }

  /** The module's channel: its own entry's `channel` overrides the Kyma's `spec.channel` (DOMAIN.md §6.1). */
  private channel(): string {
    const k = this.c.kyma();
    return this.moduleEntry()?.channel || (k?.spec as { channel?: string } | undefined)?.channel || 'regular';
  }

  /**
   * The template LM resolves for istio in the Kyma's channel: 2023 `istio-<channel>`; current the template
   * `istio-<version>` of the ModuleReleaseMeta's version for the channel.
   */
  private template(): K8sObject | undefined {
    const kcp = this.c.kcp().store;
    if (this.c.sim.kcpGeneration === '2023') return kcp.get(TEMPLATE, KCP_SYSTEM, `istio-${this.channel()}`);
    const mrm = kcp.get(RELEASE_META, KCP_SYSTEM, 'istio');
    const version = ((mrm?.spec ?? {}) as { channels?: { channel: string; version: string }[] }).channels?.find((c) => c.channel === this.channel())?.version;
    return version ? kcp.get(TEMPLATE, KCP_SYSTEM, `istio-${version}`) : undefined;
  }

  private templateVersion(template: K8sObject | undefined): string {
    return ((template?.spec ?? {}) as { version?: string }).version || template?.metadata.annotations?.['operator.kyma-project.io/module-version'] || '1.1.2';
  }

  private createManifest(): void {
    const kcp = this.c.kcp();
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
            'operator.kyma-project.io/kyma-name': this.c.runtimeId,
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
    const kcp = this.c.kcp();
    const m = kcp.store.get(MANIFEST, KCP_SYSTEM, this.manifestName());
    if (!m) return;
    this.setBusy(false);
    kcp.store.update(MANIFEST, { ...m, status: { state: 'Error', lastOperation: { operation: SSA_CONFLICT_MESSAGE, lastUpdateTime: nowTimestamp() } } }, { subresource: 'status', actor: 'controller' });
    this.writeModuleStatus('Error', SSA_CONFLICT_MESSAGE);
  }

  /** LM installs the module's operator, or takes over the one the old reconciler installed. */
  private ensureDeployment(): void {
    const d = this.c.deployment();
    const version = this.c.runtime.operatorVersion;
    const labels = { 'kyma-project.io/module': 'istio', 'app.kubernetes.io/name': 'istio-operator', 'operator.kyma-project.io/managed-by': 'declarative-v2', 'operator.kyma-project.io/watched-by': 'module-manager' };
    if (d) {
      // LM applies the module's Deployment (replicas 1) with server-side apply and forced ownership: an operator
      // someone scaled to 0 runs again.
      const replicas = ((d.spec ?? {}) as { replicas?: number }).replicas;
      if (sameJson({ ...(d.metadata.labels ?? {}), ...labels }, d.metadata.labels) && replicas === 1) return;
      this.c.skr.store.update(DEPLOYMENT, { ...d, metadata: { ...d.metadata, labels: { ...(d.metadata.labels ?? {}), ...labels } }, spec: { ...(d.spec ?? {}), replicas: 1 } }, { actor: 'controller' });
      return;
    }
    const selector = { 'app.kubernetes.io/name': 'istio-operator', 'control-plane': 'controller-manager' };
    this.c.skr.store.create(
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
    // customResourcePolicy Ignore: LM installs the module but creates and manages no default CR.
    if (!this.tracking || this.c.skr.store.get(ISTIO, KYMA_SYSTEM, 'default') || this.moduleEntry()?.customResourcePolicy === 'Ignore') {
      this.mirror();
      return;
    }
    const data: K8sObject = (this.template()?.spec as { data?: K8sObject } | undefined)?.data ?? {
      apiVersion: `${KYMA_GROUP}/v1alpha2`,
      kind: 'Istio',
      metadata: { name: 'default', namespace: KYMA_SYSTEM },
    };
    this.c.skr.store.create(
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
    if (!this.tracking) return;
    this.c.sim.recordReconcile(this.c.runtimeId, 'lm');
    const kcp = this.c.kcp();
    const m = kcp.store.get(MANIFEST, KCP_SYSTEM, this.manifestName());
    if (!m || (statusOf(m).state === 'Error' && this.c.scenario === 'manifest-error')) return;
    let state: State = 'Processing';
    let operation = 'module operator deployment is not ready';
    if (this.c.sim.kcpGeneration === 'current' || this.moduleEntry()?.customResourcePolicy === 'Ignore') {
      // Today's LM, and any LM told to ignore the module's CR: the manager Deployment's state, whatever the Istio CR's.
      state = deploymentState(this.c.deployment());
      operation = state === 'Ready' ? 'installation is ready and resources can be used' : state === 'Error' ? 'manager is in error state' : operation;
    } else if (this.c.operatorActive()) {
      const cr = this.c.skr.store.get(ISTIO, KYMA_SYSTEM, 'default');
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
          name: this.entryName(),
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
      const modules = (st.modules ?? []).filter((x) => x.name !== 'istio' && (x as { fqdn?: string }).fqdn !== ISTIO_FQDN);
      if (entry) modules.push(entry);
      const worst = modules.some((x) => x.state === 'Error') ? 'Error' : modules.some((x) => x.state === 'Warning') ? 'Warning' : modules.some((x) => x.state !== 'Ready') ? 'Processing' : 'Ready';
      const next = { ...st, modules, state: worst, lastOperation: { operation: worst === 'Ready' ? 'kyma is ready' : 'waiting for modules to be ready', lastUpdateTime: nowTimestamp() } };
      if (sameJson({ ...next, lastOperation: undefined }, { ...st, lastOperation: undefined })) return;
      cluster.store.update(KYMA, { ...kyma, status: next }, { subresource: 'status', actor: 'controller' });
    };
    const kcp = this.c.kcp();
    update(kcp, kcp.store.get(KYMA, KCP_SYSTEM, this.c.runtimeId));
    update(this.c.skr, this.c.kyma());
  }
}
