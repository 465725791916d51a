/** KEB service plans, provider regions and providers of the generated runtimes (KEB internal/broker/plans.go). */
import type { Plan, RuntimeSpec } from '../types.js';
import { KEB_PLAN_IDS } from '../../clients/keb-plans.js';

/** Gardener provider types (shoot `spec.provider.type`). */
export type Provider = 'aws' | 'azure' | 'gcp' | 'openstack';

const AWS_REGIONS = ['eu-central-1', 'eu-west-2', 'us-east-1', 'us-west-2', 'ap-southeast-1', 'ap-northeast-1', 'ap-southeast-2', 'ap-south-1', 'ca-central-1', 'sa-east-1'];
const AZURE_REGIONS = ['westeurope', 'northeurope', 'switzerlandnorth', 'uksouth', 'eastus', 'westus2', 'centralus', 'japaneast', 'southeastasia', 'australiaeast'];
const GCP_REGIONS = ['europe-west3', 'us-central1', 'asia-south1'];
const SCC_REGIONS = ['eu-de-1', 'eu-de-2', 'ap-jp-1', 'ap-ae-1'];
/** Trial and free clusters run in a few AWS/Azure regions (KEB maps the platform region onto them). */
const TRIAL_REGIONS = ['eu-central-1', 'us-east-1', 'ap-southeast-1', 'westeurope', 'eastus', 'southeastasia'];
const FREE_REGIONS = ['eu-central-1', 'us-east-1', 'westeurope', 'eastus'];

export const REGIONS_BY_PLAN: Record<Plan, readonly string[]> = {
  aws: AWS_REGIONS,
  azure: AZURE_REGIONS,
  azure_lite: AZURE_REGIONS,
  gcp: GCP_REGIONS,
  trial: TRIAL_REGIONS,
  free: FREE_REGIONS,
  'sap-converged-cloud': SCC_REGIONS,
  preview: AWS_REGIONS,
  'build-runtime-aws': AWS_REGIONS,
};

const PROVIDER_BY_REGION = new Map<string, Provider>([
  ...AWS_REGIONS.map((r) => [r, 'aws'] as const),
  ...AZURE_REGIONS.map((r) => [r, 'azure'] as const),
  ...GCP_REGIONS.map((r) => [r, 'gcp'] as const),
  ...SCC_REGIONS.map((r) => [r, 'openstack'] as const),
]);

/** The infrastructure provider a runtime's shoot runs on (trial/free: by region). */
export function providerOf(rt: Pick<RuntimeSpec, 'region'>): Provider {
  return PROVIDER_BY_REGION.get(rt.region) ?? 'aws';
}

/** KEB service plan ids (`kyma-project.io/broker-plan-id`, KEB `servicePlanID`): the clients' one list. */
export const PLAN_IDS = KEB_PLAN_IDS as Readonly<Record<Plan, string>>;
