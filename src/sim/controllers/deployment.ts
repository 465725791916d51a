/**
 * The Deployment controller of one SKR, for the Istio operator's `istio-controller-manager`: a new Deployment's
 * pods become ready after deploymentReadyMs, a scaled one reaches its replica count after deploymentScaleMs, and a
 * rolled-out Deployment gets the conditions today's LM reads (lifecycle-manager.ts deploymentState).
 */
import { nowTimestamp, type StoreEvent } from '../k8s/store.js';
import { DEPLOYMENT } from '../k8s/resources.js';
import type { K8sObject } from '../types.js';
import { sameJson, statusOf, type SkrContext } from './skr-context.js';

export type DeploymentCondition = { type: string; status: string; reason?: string; message?: string; lastUpdateTime?: string; lastTransitionTime?: string };

export class DeploymentController {
  constructor(private readonly c: SkrContext) {}

  /** The operator Deployment was created or changed: roll it out unless its status already matches. */
  onChange(e: StoreEvent): void {
    const spec = (e.object.spec ?? {}) as { replicas?: number };
    const want = spec.replicas ?? 1;
    const status = (e.object.status ?? {}) as { readyReplicas?: number; replicas?: number };
    if ((status.readyReplicas ?? 0) === want && (status.replicas ?? 0) === want) return;

    const delay = e.type === 'ADDED' ? this.c.t.deploymentReadyMs : this.c.t.deploymentScaleMs;
    this.c.after(delay, () => {
      const d = this.c.deployment();
      if (!d) return;
      const replicas = ((d.spec ?? {}) as { replicas?: number }).replicas ?? 1;
      const next: Record<string, unknown> = {
        ...statusOf(d),
        replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        updatedReplicas: replicas,
        observedGeneration: d.metadata.generation,
        conditions: this.conditions(d),
      };
      if (replicas === 0) {
        // A Deployment scaled to zero reports no ready or available replicas at all.
        delete next.readyReplicas;
        delete next.availableReplicas;
      }
      if (!sameJson(next, d.status)) this.c.skr.store.update(DEPLOYMENT, { ...d, status: next }, { subresource: 'status', actor: 'controller' });
    });
  }

  /** A cluster restored from a previous process: finish a rollout it had started. */
  resync(): void {
    const d = this.c.deployment();
    if (d) this.onChange({ type: 'MODIFIED', object: d, resource: DEPLOYMENT, resourceVersion: Number(d.metadata.resourceVersion) });
  }

  /**
   * The Deployment controller's conditions of a rolled-out Deployment (what today's LM reads, see deploymentState).
   * Until the controller has rolled it out, a new Deployment has none, which deploymentState counts as Processing.
   */
  private conditions(d: K8sObject): DeploymentCondition[] {
    const now = nowTimestamp();
    const rs = `${d.metadata.name}-${(d.metadata.uid ?? '').replace(/-/g, '').slice(0, 10)}`;
    const old = ((d.status ?? {}) as { conditions?: DeploymentCondition[] }).conditions ?? [];
    const since = (type: string) => old.find((c) => c.type === type && c.status === 'True')?.lastTransitionTime ?? now;
    return [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: now, lastTransitionTime: since('Available') },
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rs}" has successfully progressed.`, lastUpdateTime: now, lastTransitionTime: since('Progressing') },
    ];
  }
}
