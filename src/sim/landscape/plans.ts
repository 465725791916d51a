/** KEB service plans, provider regions and providers of the generated runtimes (KEB internal/broker/plans.go). */
import type { Plan, RuntimeSpec } from '../types.js';

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

/** KEB service plan ids (`kyma-project.io/broker-plan-id`, KEB `servicePlanID`; KEB internal/broker/plans.go). */
export const PLAN_IDS: Record<Plan, string> = {
  preview: '5cb3d976-b85c-42ea-a636-79cadda109a9',
  'build-runtime-aws': '6aae0ff3-89f7-4f12-86de-51466145422e',
  azure: '4deee563-e5ec-4731-b9b1-53b42d855f0c',
  azure_lite: '8cb22518-aa26-44c5-91a0-e669ec9bf443',
  aws: '361c511f-f939-4621-b228-d0fb79a1fe15',
  gcp: 'ca6e5357-707f-4565-bbbd-b3ab732597c6',
  trial: '7d55d31d-35ae-4438-bf13-6ffdfa107d9f',
  free: 'b1a5764e-2ea1-4f95-94c0-2b4538b37b55',
  'sap-converged-cloud': '03b812ac-c991-4528-b5bd-08b303523a63',
};
