/**
 * KEB service plans by name with their plan ids (kyma-environment-broker internal/broker/plans.go). `openstack`
 * is the name the plan `03b812ac-…` had until Dec 2023 (commit e0a57e82b renamed it `sap-converged-cloud`);
 * runtimes of that time may still carry it. The selector's `plan=` reads it; it sits with
 * the clients so that the simulator may read the same list.
 */
export const KEB_PLAN_IDS: Readonly<Record<string, string>> = {
  aws: '361c511f-f939-4621-b228-d0fb79a1fe15',
  azure: '4deee563-e5ec-4731-b9b1-53b42d855f0c',
  azure_lite: '8cb22518-aa26-44c5-91a0-e669ec9bf443',
  gcp: 'ca6e5357-707f-4565-bbbd-b3ab732597c6',
  trial: '7d55d31d-35ae-4438-bf13-6ffdfa107d9f',
  free: 'b1a5764e-2ea1-4f95-94c0-2b4538b37b55',
  'sap-converged-cloud': '03b812ac-c991-4528-b5bd-08b303523a63',
  openstack: '03b812ac-c991-4528-b5bd-08b303523a63',
  preview: '5cb3d976-b85c-42ea-a636-79cadda109a9',
  'build-runtime-aws': '6aae0ff3-89f7-4f12-86de-51466145422e',
  'build-runtime-gcp': 'a310cd6b-6452-45a0-935d-d24ab53f9eba',
  'build-runtime-azure': '499244b4-1bef-48c9-be68-495269899f8e',
  alicloud: '9f2c3b4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d',
  'build-runtime-alicloud': '72efa867-7b54-4d59-8df7-68f4759ff271',
  gdch: '024e11fb-40df-4753-a992-24d136e2d15c',
};
