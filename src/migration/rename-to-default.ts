/**
 * The safe rename-to-default (DOMAIN.md §3 and §9.5): moves the configuration of the customer's Istio CR —
 * the OLDEST non-`default` CR in `Ready` or `Warning`, the one the operator actually reconciles — into
 * `default`, removes the other CRs, and always gives the operator its replicas back, on every error path too
 * (the original script leaves it at 0). Runs only with the customer's agreement, and refuses while any CR is
 * `Processing` or `Deleting` (then nobody can tell which CR is being reconciled).
 */
import { KubeClient, RequestCounter, type KubeObject } from '../clients/kube-client.js';
import { RemoteError } from '../clients/errors.js';
import { DEFAULT_RETRY, sleep, type RetryPolicy } from '../clients/retry.js';
import { ISTIOS, KYMA_SYSTEM, OPERATOR_DEPLOYMENT } from './resources.js';
import type { IstioCrInfo } from './result.js';
import { conflictingCrs } from './istio-conflict.js';
import { istioInfo } from './wait.js';

export type RenameOutcome =
  /** `default` now carries the customer's spec, is the only CR, and is Ready. */
  | 'renamed'
  /** Only `default` exists: nothing to do. */
  | 'nothing-to-do'
  /** Dry run: the plan was shown, nothing changed. */
  | 'dry-run'
  /** Preconditions not met (no agreement, a CR Processing/Deleting, no Ready/Warning source). Nothing changed. */
  | 'refused'
  /** A step failed; the operator's replicas were restored (see `replicasRestored`). */
  | 'failed'
  /** Every step ran but `default` did not become Ready before the deadline. */
  | 'timeout';

export type RenameStepName = 'inventory' | 'scale-down' | 'write-default' | 'remove-others' | 'restore-replicas' | 'wait-ready';

export interface RenameStep {
  step: RenameStepName;
  status: 'done' | 'failed' | 'planned';
  detail: string;
  at: string;
}

export interface RenameResult {
  outcome: RenameOutcome;
  message: string;
  source: string | null;
  steps: RenameStep[];
  /** Whether the operator runs again (false only if even the restore failed — page someone). */
  replicasRestored: boolean;
  inventoryBefore: IstioCrInfo[];
  inventoryAfter: IstioCrInfo[];
  requests: number;
}

export interface RenameOptions {
  skrKubeconfig: string;
  customerAgreed: boolean;
  dryRun?: boolean;
  deadlineMs?: number;
  pollIntervalMs?: number;
  retry?: RetryPolicy;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Called before each step (progress for chat; tests use it to force a failure mid-rename). */
  onStep?: (step: RenameStepName) => void | Promise<void>;
}

/** C3 exit codes: 0 renamed / nothing to do / dry run; 2 timeout; 1 otherwise. */
export function renameExitCode(outcome: RenameOutcome): 0 | 1 | 2 {
  return outcome === 'renamed' || outcome === 'nothing-to-do' || outcome === 'dry-run' ? 0 : outcome === 'timeout' ? 2 : 1;
}

/** Labels LM and the module manager own on `default`; they survive the rename. */
function isLmLabel(key: string): boolean {
  return key.startsWith('operator.kyma-project.io/');
}

export async function renameToDefault(opts: RenameOptions): Promise<RenameResult> {
  const counter = new RequestCounter();
  const skr = new KubeClient(opts.skrKubeconfig, { system: 'skr', counter, retry: opts.retry ?? DEFAULT_RETRY, signal: opts.signal });
  const steps: RenameStep[] = [];
  const log = opts.log ?? (() => undefined);
  const note = (step: RenameStepName, status: RenameStep['status'], detail: string) => {
    steps.push({ step, status, detail, at: new Date().toISOString() });
    log(`${status === 'failed' ? 'FAILED ' : status === 'planned' ? 'would ' : ''}${step}: ${detail}`);
  };
  let inventoryBefore: IstioCrInfo[] = [];
  const result = (outcome: RenameOutcome, message: string, source: string | null, replicasRestored: boolean, inventoryAfter: IstioCrInfo[] = inventoryBefore): RenameResult => {
    log(message);
    return { outcome, message, source, steps, replicasRestored, inventoryBefore, inventoryAfter, requests: counter.total };
  };

  if (!opts.customerAgreed) {
    return result('refused', 'Refusing: rename-to-default changes the customer\'s Istio configuration and needs their agreement (--customer-agreed).', null, true);
  }

  // Reads before any change: one that fails ends the rename with nothing changed, as a result, not a throw.
  const unread = (e: unknown, what: string): RenameResult => {
    if (!(e instanceof RemoteError)) throw e;
    note('inventory', 'failed', `cannot read ${what}: ${e.message}`);
    return result('failed', `Rename failed: cannot read ${what} (${e.message}). Nothing was changed.`, null, true);
  };
  await opts.onStep?.('inventory');
  let crs: KubeObject[];
  try {
    crs = (await skr.list(ISTIOS, KYMA_SYSTEM)).items;
  } catch (e) {
    return unread(e, `the Istio CRs in ${KYMA_SYSTEM}`);
  }
  inventoryBefore = crs.map(istioInfo);
  note('inventory', 'done', inventoryBefore.map((c) => `${c.name}=${c.state ?? 'no state'}`).join(', ') || 'no Istio CR');
  const busy = crs.filter((c) => ['Processing', 'Deleting'].includes(istioInfo(c).state ?? ''));
  if (busy.length) {
    return result('refused', `Refusing: Istio CR ${busy.map((c) => `${c.metadata.name} is ${istioInfo(c).state}`).join(', ')}; the rename cannot tell which CR is being reconciled. Try again once it settles.`, null, true);
  }
  const others = crs.filter((c) => c.metadata.name !== 'default');
  if (!others.length) return result('nothing-to-do', crs.length ? 'Only the Istio CR default exists: no changes required' : 'No Istio CR exists: nothing to rename', null, true);
  // `default` older than every other CR is the one the operator reconciles: copying a newer, never-reconciled CR into
  // it would replace the configuration in use.
  const def = crs.find((c) => c.metadata.name === 'default');
  if (def && !conflictingCrs(inventoryBefore).length) {
    return result(
      'refused',
      `Refusing: Istio CR default is the oldest and the one the operator reconciles (${istioInfo(def).state ?? 'no state'}); ${others.map((c) => c.metadata.name).join(', ')} ${others.length === 1 ? 'is' : 'are'} newer and not in use. Copying ${others.length === 1 ? 'it' : 'one'} into default would replace the configuration in use. Nothing was changed; the customer may delete ${others.length === 1 ? 'it' : 'them'}.`,
      null,
      true,
    );
  }
  const candidates = others
    .filter((c) => ['Ready', 'Warning'].includes(istioInfo(c).state ?? ''))
    .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name));
  if (!candidates.length) {
    return result('refused', "No 'Ready' istio found. Make sure that your Istio CustomResource is not in 'Processing'", null, true);
  }
  const source = candidates[0];
  const sourceName = source.metadata.name;
  let deployment: Awaited<ReturnType<KubeClient['getDeployment']>>;
  try {
    deployment = await skr.getDeployment(KYMA_SYSTEM, OPERATOR_DEPLOYMENT);
  } catch (e) {
    return unread(e, `the deployment ${KYMA_SYSTEM}/${OPERATOR_DEPLOYMENT}`);
  }
  const replicas = Math.max(deployment?.spec?.replicas ?? 1, 1);

  if (opts.dryRun) {
    note('scale-down', 'planned', `scale ${OPERATOR_DEPLOYMENT} to 0 (from ${deployment?.spec?.replicas ?? 'absent'})`);
    note('write-default', 'planned', `write the spec of ${sourceName} (the oldest non-default CR in Ready/Warning) into default`);
    note('remove-others', 'planned', `clear finalizers of and delete ${others.map((c) => c.metadata.name).join(', ')}`);
    note('restore-replicas', 'planned', `scale ${OPERATOR_DEPLOYMENT} back to ${replicas}`);
    note('wait-ready', 'planned', 'wait for default to become Ready');
    return result('dry-run', `Dry run: would move the configuration of ${sourceName} into default; nothing was changed`, sourceName, true);
  }

  let failure: string | null = null;
  let replicasRestored = false;
  let restoreError = '';
  try {
    await opts.onStep?.('scale-down');
    if (deployment) {
      await skr.scaleDeployment(KYMA_SYSTEM, OPERATOR_DEPLOYMENT, 0);
      note('scale-down', 'done', `${OPERATOR_DEPLOYMENT} scaled to 0`);
    } else note('scale-down', 'done', `${OPERATOR_DEPLOYMENT} does not exist; nothing to stop`);

    await opts.onStep?.('write-default');
    const current = await skr.get(ISTIOS, KYMA_SYSTEM, 'default');
    const labels: Record<string, string> = { ...(source.metadata.labels ?? {}) };
    for (const [k, v] of Object.entries(current?.metadata.labels ?? {})) if (isLmLabel(k)) labels[k] = v;
    if (current) {
      await skr.replace(ISTIOS, KYMA_SYSTEM, {
        apiVersion: current.apiVersion,
        kind: current.kind,
        metadata: { ...current.metadata, labels },
        spec: structuredClone(source.spec ?? {}),
      });
      note('write-default', 'done', `default updated with the spec of ${sourceName}`);
    } else {
      await skr.create(ISTIOS, KYMA_SYSTEM, {
        apiVersion: source.apiVersion ?? 'operator.kyma-project.io/v1alpha2',
        kind: 'Istio',
        metadata: { name: 'default', namespace: KYMA_SYSTEM, labels },
        spec: structuredClone(source.spec ?? {}),
      });
      note('write-default', 'done', `default created with the spec of ${sourceName}`);
    }

    await opts.onStep?.('remove-others');
    for (const cr of others) {
      await skr.mergePatch(ISTIOS, KYMA_SYSTEM, cr.metadata.name, { metadata: { finalizers: null } });
      await skr.delete(ISTIOS, KYMA_SYSTEM, cr.metadata.name);
    }
    note('remove-others', 'done', `removed ${others.map((c) => c.metadata.name).join(', ')}`);
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
    const failedStep = (['scale-down', 'write-default', 'remove-others'] as const).find((s) => !steps.some((x) => x.step === s)) ?? 'remove-others';
    note(failedStep, 'failed', failure);
  } finally {
    // ALWAYS give the operator back, whatever happened above (the original script does not).
    if (deployment) {
      for (let attempt = 0; attempt < 5 && !replicasRestored; attempt++) {
        try {
          await skr.scaleDeployment(KYMA_SYSTEM, OPERATOR_DEPLOYMENT, replicas);
          replicasRestored = true;
        } catch (e) {
          // Whatever failed, keep trying to give the operator back; the result says if it never worked.
          restoreError = e instanceof Error ? e.message : String(e);
          await sleep(500 * (attempt + 1));
        }
      }
      note('restore-replicas', replicasRestored ? 'done' : 'failed', replicasRestored ? `${OPERATOR_DEPLOYMENT} scaled back to ${replicas}` : `could not scale ${OPERATOR_DEPLOYMENT} back to ${replicas} (${restoreError}): the operator is stopped, scale it by hand`);
    } else replicasRestored = true;
  }
  if (failure) return result('failed', `Rename failed: ${failure}. ${replicasRestored ? 'The operator was scaled back.' : 'The operator is still scaled to 0!'}`, sourceName, replicasRestored);

  await opts.onStep?.('wait-ready');
  const deadline = Date.now() + (opts.deadlineMs ?? 300_000);
  let interval = opts.pollIntervalMs ?? 2000;
  let after: KubeObject[] = [];
  // The rename is done: a read that fails while waiting is tried again until the deadline, so the result still
  // says what was changed.
  let unreadable: string | null = null;
  while (Date.now() < deadline) {
    try {
      after = (await skr.list(ISTIOS, KYMA_SYSTEM)).items;
      unreadable = null;
    } catch (e) {
      if (!(e instanceof RemoteError)) throw e;
      unreadable = e.message;
      await sleep(Math.min(interval, Math.max(deadline - Date.now(), 0)), opts.signal);
      continue;
    }
    const def = after.find((c) => c.metadata.name === 'default');
    if (after.length === 1 && def && istioInfo(def).state === 'Ready') {
      note('wait-ready', 'done', 'default is Ready and the only Istio CR');
      return result('renamed', `Istio CR default now carries the configuration of ${sourceName} and is Ready`, sourceName, true, after.map(istioInfo));
    }
    await sleep(Math.min(interval, Math.max(deadline - Date.now(), 0)), opts.signal);
    interval = Math.min(interval * 1.5, 10_000);
  }
  const seen = after.map((c) => `${c.metadata.name}=${istioInfo(c).state ?? 'no state'}`).join(', ');
  note('wait-ready', 'failed', `default did not become Ready in time: ${unreadable ? `the Istio CRs could not be read (${unreadable})${seen ? `; last seen ${seen}` : ''}` : seen}`);
  return result('timeout', 'Rename done, but Istio CR default did not become Ready before the deadline', sourceName, true, after.map(istioInfo));
}
