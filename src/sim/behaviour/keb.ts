/**
 * KEB's runtimes API (DOMAIN.md §7.1): `GET /keb/<env>/runtimes` with `page`/`page_size` paging, the
 * repeatable filters and the RuntimesPage shape. Without a `state` filter suspended and deprovisioned runtimes
 * are left out, as KEB does; `state=all` lists everything.
 */
import type { ApiResult } from '../k8s/api.js';
import { PLAN_IDS, providerOf } from '../landscape/generate.js';
import type { Route } from '../http-server.js';
import type { Simulator } from '../simulator.js';
import type { Env, RuntimeSpec } from '../types.js';

const PROVIDER_NAME = { aws: 'AWS', azure: 'Azure', gcp: 'GCP', openstack: 'SapConvergedCloud' } as const;

function bad(message: string): ApiResult {
  return { kind: 'json', status: 400, body: { error: message } };
}

export function runtimeDto(rt: RuntimeSpec, referenceTime: number): Record<string, unknown> {
  const created = new Date(referenceTime - rt.ageSeconds * 1000).toISOString();
  const op = (type: string, state: string, at: string) => ({ state, description: `Operation ${type} ${state}`, createdAt: at, updatedAt: at, operationID: `${rt.instanceId.slice(0, 8)}-${type}`, orchestrationID: '' });
  const status: Record<string, unknown> = {
    createdAt: created,
    modifiedAt: created,
    state: rt.state,
    provisioning: op('provision', 'succeeded', created),
  };
  const later = new Date(referenceTime - 3600_000).toISOString();
  if (rt.state === 'suspended') {
    status.suspension = { data: [op('suspension', 'succeeded', later)], count: 1, totalCount: 1 };
    status.modifiedAt = later;
  }
  if (rt.state === 'deprovisioning') {
    status.deprovisioning = op('deprovision', 'in progress', later);
    status.modifiedAt = later;
  }
  return {
    instanceID: rt.instanceId,
    runtimeID: rt.runtimeId,
    globalAccountID: rt.globalAccountId,
    subscriptionGlobalAccountID: rt.globalAccountId,
    subAccountID: rt.subaccountId,
    region: rt.region,
    subAccountRegion: rt.plan === 'trial' ? 'cf-eu10' : `cf-${rt.region.slice(0, 2)}10`,
    shootName: rt.shootName,
    servicePlanID: PLAN_IDS[rt.plan],
    servicePlanName: rt.plan,
    provider: PROVIDER_NAME[providerOf(rt)],
    status,
    betaEnabled: 'false',
    usedForProduction: rt.plan === 'trial' || rt.plan === 'free' ? 'NONE' : 'USED_FOR_PRODUCTION',
    licenseType: rt.plan === 'trial' ? 'TRIAL' : null,
  };
}

const FILTERS: Record<string, keyof RuntimeSpec> = {
  account: 'globalAccountId',
  subaccount: 'subaccountId',
  instance_id: 'instanceId',
  runtime_id: 'runtimeId',
  region: 'region',
  shoot: 'shootName',
  plan: 'plan',
};

export function kebRoute(sim: Simulator): Route {
  return (req) => {
    const env = req.env as Env;
    if (!['dev', 'stage', 'prod'].includes(env)) return { kind: 'json', status: 404, body: { error: `unknown environment ${req.env}` } };
    if (req.rest.replace(/\/$/, '') !== '/runtimes') return { kind: 'json', status: 404, body: { error: `no route ${req.rest}` } };
    if (req.method !== 'GET') return { kind: 'json', status: 405, body: { error: 'method not allowed' } };
    const q = req.query;
    const page = q.get('page') === null ? 1 : Number(q.get('page'));
    const pageSize = q.get('page_size') === null ? 100 : Number(q.get('page_size'));
    if (!Number.isInteger(page) || page < 1) return bad(`page must be a positive integer, got ${q.get('page')}`);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000) return bad(`page_size must be between 1 and 10000, got ${q.get('page_size')}`);
    const states = q.getAll('state');
    let list = sim.runtimesOf(env);
    for (const [param, field] of Object.entries(FILTERS)) {
      const values = q.getAll(param);
      if (values.length) list = list.filter((rt) => values.includes(String(rt[field])));
    }
    if (states.length === 0) list = list.filter((rt) => rt.state !== 'suspended');
    else if (!states.includes('all')) list = list.filter((rt) => states.includes(rt.state));
    const data = list.slice((page - 1) * pageSize, page * pageSize).map((rt) => runtimeDto(rt, sim.referenceTime));
    return { kind: 'json', status: 200, body: { data, count: data.length, totalCount: list.length } };
  };
}
