/**
 * The Istio operator of one SKR (kyma-project/istio): only the oldest Istio CR in kyma-system reconciles; the
 * others go `Error` (operator ≤ 1.3) or `Warning` with reason `OlderCRExists` (≥ 1.4); CRs outside kyma-system go
 * `Error`. It works only while its Deployment runs. A first installation takes operatorInstallMs.
 */
import { KYMA_SYSTEM } from '../../migration/resources.js';
import { nowTimestamp } from '../k8s/store.js';
import { ISTIO } from '../k8s/resources.js';
import { ISTIO_FINALIZER } from '../landscape/seed.js';
import type { K8sObject } from '../types.js';
import { sameJson, statusOf, type SkrContext, type Status } from './skr-context.js';

function versionAtLeast(v: string, major: number, minor: number): boolean {
  const [a, b] = v.split('.').map((x) => Number(x));
  return a > major || (a === major && b >= minor);
}

export class IstioOperator {
  /** Whether Istio itself is installed (a first installation takes operatorInstallMs). */
  private installed: boolean;

  /** `lmTracking`: whether LM has taken the istio module on (scenario `istio-error` fails only then). */
  constructor(
    private readonly c: SkrContext,
    private readonly lmTracking: () => boolean,
  ) {
    this.installed = statusOf(c.istios().find((i) => statusOf(i).state === 'Ready')).state === 'Ready';
  }

  /** An Istio CR or the operator's Deployment changed: reconcile soon (debounced). */
  schedule(): void {
    this.c.debounce('operator', this.c.t.operatorReconcileMs, () => this.reconcile());
  }

  private setIstioStatus(cr: K8sObject, status: Status): void {
    const cur = statusOf(cr);
    const next: Status = { ...cur, ...status };
    if (!status.description) delete next.description;
    if (sameJson(next, cur)) return;
    this.c.skr.store.update(ISTIO, { ...cr, status: next }, { subresource: 'status', actor: 'controller' });
  }

  private condition(status: 'True' | 'False', reason: string, message: string) {
    return [{ type: 'Ready', status, reason, message, lastTransitionTime: nowTimestamp() }];
  }

  /** The operator's reconcile of every Istio CR (only while its Deployment runs). */
  reconcile(): void {
    this.c.sim.recordReconcile(this.c.runtimeId, 'operator');
    if (!this.c.operatorActive()) return;
    const legacy = !versionAtLeast(this.c.runtime.operatorVersion, 1, 4);
    const all = this.c.istios();
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
      this.c.after(this.c.t.operatorReconcileMs, () => {
        const cur = this.c.skr.store.get(ISTIO, KYMA_SYSTEM, oldest.metadata.name!);
        if (cur) this.removeFinalizer(cur);
        this.installed = false;
      });
      return;
    }
    let cr = oldest;
    if (!cr.metadata.finalizers?.includes(ISTIO_FINALIZER)) {
      cr = this.c.skr.store.update(ISTIO, { ...cr, metadata: { ...cr.metadata, finalizers: [...(cr.metadata.finalizers ?? []), ISTIO_FINALIZER] } }, { actor: 'controller' });
    }
    if (this.c.scenario === 'istio-error' && this.lmTracking()) {
      this.setIstioStatus(cr, {
        state: 'Error',
        description: 'Istio install failed: pilot deployment is not ready: CrashLoopBackOff',
        conditions: this.condition('False', 'IstioInstallUninstallFailed', 'Istio install or uninstall failed'),
      });
      return;
    }
    if (statusOf(cr).state === 'Ready') return;
    if (this.installed) {
      this.setIstioStatus(cr, { state: 'Ready', description: undefined, conditions: this.condition('True', 'ReconcileSucceeded', 'Reconciliation succeeded') });
      return;
    }
    this.setIstioStatus(cr, { state: 'Processing', description: 'Installing Istio', conditions: this.condition('False', 'ReconcileUnknown', 'Reconciliation in progress') });
    this.c.debounce('install', this.c.t.operatorInstallMs, () => {
      this.installed = true;
      this.reconcile();
    });
  }

  private removeFinalizer(cr: K8sObject): void {
    if (!cr.metadata.finalizers?.includes(ISTIO_FINALIZER)) return;
    this.c.skr.store.update(ISTIO, { ...cr, metadata: { ...cr.metadata, finalizers: cr.metadata.finalizers.filter((f) => f !== ISTIO_FINALIZER) } }, { actor: 'controller' });
  }
}
