/**
 * What happens on one SKR, and on the KCP for it, without any client doing it: the Deployment controller
 * (deployment.ts), the Istio operator (istio-operator.ts) and Lifecycle Manager (lifecycle-manager.ts), sharing
 * one SkrContext (skr-context.ts). This routes the SKR's store events to them.
 */
import { OPERATOR_DEPLOYMENT } from '../../migration/resources.js';
import type { StoreEvent } from '../k8s/store.js';
import type { Cluster, Simulator } from '../simulator.js';
import { DeploymentController } from './deployment.js';
import { IstioOperator } from './istio-operator.js';
import { LifecycleManager } from './lifecycle-manager.js';
import type { LmLoad } from './lm-load.js';
import { SkrContext } from './skr-context.js';
import type { Timings } from './timings.js';

export class SkrControllers {
  private readonly c: SkrContext;
  private readonly deployment: DeploymentController;
  private readonly operator: IstioOperator;
  private readonly lm: LifecycleManager;
  private readonly unsubscribe: () => void;

  constructor(sim: Simulator, skr: Cluster, t: Timings, load?: LmLoad) {
    this.c = new SkrContext(sim, skr, t);
    this.deployment = new DeploymentController(this.c);
    this.operator = new IstioOperator(this.c, () => this.lm.tracked);
    this.lm = new LifecycleManager(this.c, load);
    this.unsubscribe = skr.store.subscribe((e) => this.onEvent(e));
    if (skr.restored) this.resync();
  }

  /**
   * A cluster restored from a previous process (persist.ts) lost the controllers' timers: each controller looks at
   * the objects again and finishes what it had started (every step is idempotent).
   */
  private resync(): void {
    this.deployment.resync();
    this.lm.resync();
    this.operator.schedule();
  }

  stop(): void {
    this.lm.stop();
    this.unsubscribe();
    this.c.stop();
  }

  /** A change of this runtime's KCP Kyma (index.ts routes it here). */
  onKcpKyma(e: StoreEvent): void {
    this.lm.onKcpKyma(e);
  }

  private onEvent(e: StoreEvent): void {
    switch (e.resource.kind) {
      case 'Deployment':
        if (e.object.metadata.name === OPERATOR_DEPLOYMENT) {
          if (e.type !== 'DELETED') this.deployment.onChange(e);
          this.operator.schedule();
          this.lm.onModuleChange();
        }
        break;
      case 'Istio':
        this.operator.schedule();
        this.lm.onModuleChange();
        break;
      case 'Kyma':
        this.lm.onKyma(e);
        break;
      default:
        break;
    }
  }
}
