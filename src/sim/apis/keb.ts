/**
 * KEB's runtimes API (DOMAIN.md §7.1): `GET /keb/<env>/runtimes` with `page`/`page_size` paging, the
 * repeatable filters and the RuntimesPage shape. Without a `state` filter suspended and deprovisioned runtimes
 * are left out, as KEB does; `state=all` lists everything.
 *
 * Upstream (kyma-project/kyma-environment-broker): `page_size` above 100 is a 400 (common/pagination/
 * pagination.go `ExtractPaginationConfigFromRequest`, cmd/broker/main.go `MaxPaginationPage` default 100), with
 * KEB's `{"error": "while getting query parameters: …"}` body (internal/httputil/write_response.go);
 * `op_detail=last` sends only the last operation, anything else every operation (internal/runtime/handler.go
 * `getOpDetail`, default `all`); the state follows the last operation (internal/runtime/converter.go
 * `adjustRuntimeState`).
 */
import type { ApiResult } from '../k8s/request.js';
import { PLAN_IDS, providerOf } from '../landscape/plans.js';
import type { Route } from '../http-server.js';
import type { Simulator } from '../simulator.js';
import type { Env, RuntimeSpec } from '../types.js';

const PROVIDER_NAME = { aws: 'AWS', azure: 'Azure', gcp: 'GCP', openstack: 'SapConvergedCloud' } as const;

function bad(message: string): ApiResult {
  return { kind: 'json', status: 400, body: { error: message } };
}

/** KEB's largest `page_size` (cmd/broker/main.go `MaxPaginationPage`, default 100). */
export const KEB_MAX_PAGE_SIZE = 100;

/**
 * One runtime as KEB's RuntimeDTO. `opDetail` `last` carries only the last operation (in its own field:
 * `provisioning`, `update`, `upgradingCluster`, `suspension`, `deprovisioning`); `all` every operation.
 */
export function runtimeDto(rt: RuntimeSpec, referenceTime: number, opDetail: 'all' | 'last' = 'all'): Record<string, unknown> {
  const created = new Date(referenceTime - rt.ageSeconds * 1000).toISOString();
  const op = (type: string, state: string, at: string) => ({ state, description: `Operation ${type} ${state}`, createdAt: at, updatedAt: at, operationID: `${rt.instanceId.slice(0, 8)}-${type}`, orchestrationID: '' });
  const later = new Date(referenceTime - 3600_000).toISOString();
  const data = (o: object) => ({ data: [o], count: 1, totalCount: 1 });
  // Operations oldest first; the last decides the state (converter.go adjustRuntimeState).
  const ops: Array<[field: string, value: unknown]> = [['provisioning', op('provision', 'succeeded', created)]];
  if (rt.state === 'suspended') ops.push(['suspension', data(op('suspension', 'succeeded', later))]);
  if (rt.state === 'deprovisioning') ops.push(['deprovisioning', op('deprovision', 'in progress', later)]);
  if (rt.state === 'error') ops.push(['update', data(op('update', 'failed', later))]);
  if (rt.state === 'updating') ops.push(['update', data(op('update', 'in progress', later))]);
  if (rt.state === 'upgrading') ops.push(['upgradingCluster', data(op('cluster upgrade', 'in progress', later))]);
  const status: Record<string, unknown> = { createdAt: created, modifiedAt: ops.length > 1 ? later : created, state: rt.state };
  for (const [field, value] of opDetail === 'last' ? ops.slice(-1) : ops) status[field] = value;
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

/** Go's strconv.Atoi for a query value: optional sign and decimal digits only; undefined when it is not one. */
function goAtoi(v: string): number | undefined {
  return /^[+-]?\d+$/.test(v) ? Number(v) : undefined;
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
    // pagination.go ExtractPaginationConfigFromRequest, its messages and order of checks.
    if (q.getAll('page_size').length > 1) return bad('while getting query parameters: pageSize has to be one parameter');
    const pageSize = q.get('page_size') === null ? KEB_MAX_PAGE_SIZE : goAtoi(q.get('page_size')!);
    if (pageSize === undefined) return bad('while getting query parameters: pageSize has to be an integer');
    if (pageSize > KEB_MAX_PAGE_SIZE) return bad(`while getting query parameters: pageSize is bigger than maxPage(${KEB_MAX_PAGE_SIZE})`);
    if (pageSize < 1) return bad('while getting query parameters: pageSize cannot be smaller than 1');
    if (q.getAll('page').length > 1) return bad('while getting query parameters: page has to be one parameter');
    const page = q.get('page') === null ? 1 : goAtoi(q.get('page')!);
    if (page === undefined) return bad('while getting query parameters: page has to be an integer');
    if (page < 1) return bad('while getting query parameters: page cannot be smaller than 1');
    // handler.go getOpDetail: the last valid `op_detail` wins; default `all`.
    let opDetail: 'all' | 'last' = 'all';
    for (const v of q.getAll('op_detail')) if (v === 'all' || v === 'last') opDetail = v;
    const states = q.getAll('state');
    let list = sim.runtimesOf(env);
    for (const [param, field] of Object.entries(FILTERS)) {
      const values = q.getAll(param);
      if (values.length) list = list.filter((rt) => values.includes(String(rt[field])));
    }
    if (states.length === 0) list = list.filter((rt) => rt.state !== 'suspended');
    else if (!states.includes('all')) list = list.filter((rt) => states.includes(rt.state));
    const data = list.slice((page - 1) * pageSize, page * pageSize).map((rt) => runtimeDto(rt, sim.referenceTime, opDetail));
    return { kind: 'json', status: 200, body: { data, count: data.length, totalCount: list.length } };
  };
}
