/**
 * `migrateRuntime`: what happens to ONE Kyma runtime (DESIGN.md §4, DOMAIN.md §2 and §9.3). The steps of
 * migrate.sh, in its order and with its messages, made safe:
 *
 *   access → template → kyma (the runtime's? being deleted?) → already-migrated → skip-reconciliation → inventory →
 *   conflict → patch → wait
 *
 * As LM does, it addresses the SKR Kyma `kyma-system/default` by name (lifecycle-manager `api/shared/operator_labels.go`
 * DefaultRemoteKymaName, `internal/remote/skr_context.go`): other Kymas there are listed, never patched. It reads
 * skip-reconciliation where LM reads it, on the KCP Kyma `kcp-system/<runtime-id>` (`internal/controller/kyma/controller.go`);
 * without KCP access that check is not done and the result says so.
 *
 * Each step either passes to the next or ends the run with an outcome. Nothing ever removes `istio` from a
 * Kyma. The patch is one JSON patch guarded by a `test` op; a reset after the server applied it is detected by
 * re-reading, so a runtime is never patched twice. Kubeconfigs are held in memory only.
 */
import { RemoteError } from '../clients/errors.js';
import { KubeClient, RequestCounter, type KubeClientOptions, type KubeObject, type Throttle } from '../clients/kube-client.js';
import { backoffDelay, DEFAULT_RETRY, sleep, type RetryPolicy } from '../clients/retry.js';
import { classOf, SCRIPT_MESSAGES, type ErrorReason, type Outcome, type Reason } from './outcomes.js';
import { isIstioTemplate, isVersionedTemplate, resolveIstioTemplates } from './module-templates.js';
import {
  ISTIO_FQDN,
  ISTIOS,
  KCP_SYSTEM,
  KYMA_SYSTEM,
  KYMAS,
  MANIFESTS,
  MODULE_RELEASE_METAS,
  manifestName as lmManifestName,
  MODULE_TEMPLATES,
  SKIP_RECONCILIATION_LABEL,
  SKR_KYMA_NAME,
} from './resources.js';
import type { IstioCrInfo, MigrationResult, SkipReconciliationCheck, Transition } from './result.js';
import { beingDeleted, checkSkipReconciliation, istioEntry, istioPatch, istioReferences, modulesOf, ownerMismatch } from './kyma-checks.js';
import { KubeconfigUnavailableError, resolveSkrAccess } from './skr-access.js';
import { conflictingCrs } from './istio-conflict.js';
import { decide, istioInfo, kymaEvidence, manifestEvidence, waitForDecision, type Evidence, type ManifestSource } from './wait.js';

export type ConflictPolicy = 'hold' | 'proceed';

/** Where the run stands, for the journal: a resumed run can tell "never patched" from "maybe patched". */
export type Checkpoint = 'before-patch' | 'patched';

export interface MigrateOptions {
  runtimeId?: string;
  /** SKR kubeconfig given directly (as `kcp taskrun` does through $KUBECONFIG). */
  skrKubeconfig?: string;
  /** KCP kubeconfig: SKR access through the `kubeconfig-<runtime-id>` secret, and the Manifest as evidence. */
  kcpKubeconfig?: string;
  /**
   * Whether the KCP Kyma carries skip-reconciliation, when the caller already knows: a wave watches every labelled
   * KCP Kyma with one stream and is asked right before the patch (undefined: it does not know now). Unset or
   * undefined: read from the KCP Kyma when there is KCP access, else "not checked".
   */
  kcpSkipReconciliation?: boolean | (() => Promise<boolean | undefined>);
  /**
   * The runtime's `kubeconfig-<runtime-id>` secret, when the caller already read it (a wave reads them in batches);
   * unset: read from KCP.
   */
  kcpSecretKubeconfig?: string;
  /** The wave's shared view of the istio Manifests on KCP (one watch for all runtimes); unset: a watch of its own. */
  manifests?: ManifestSource;
  /** Gardener fallback for SKR access. */
  gardener?: { kubeconfig: string; namespace: string; shootName: string };
  dryRun?: boolean;
  onConflict?: ConflictPolicy;
  /** How long to wait for a decision after the patch. Default: the script's ≈ 8.5 min. */
  deadlineMs?: number;
  /** Base interval of the polling fallback. */
  pollIntervalMs?: number;
  retry?: RetryPolicy;
  signal?: AbortSignal;
  throttle?: Throttle;
  /** Told of every failed remote request (the wave's concurrency limiter backs off on 429/5xx). */
  onRemoteError?: KubeClientOptions['onRemoteError'];
  /**
   * A previous attempt of this wave may have sent the patch (its last checkpoint was "before patch"): `istio`
   * found in the Kyma then counts as patched by this wave (C5), never as already migrated.
   */
  resumeAfterPatch?: boolean;
  /** Script-compatible progress lines (the CLI prints them). */
  log?: (line: string) => void;
  onCheckpoint?: (c: Checkpoint) => void | Promise<void>;
}

/** The default deadline: migrate.sh's 100 × 5 s sleeps plus its 15 s head start and call time (≈ 8.5 min). */
export const DEFAULT_DEADLINE_MS = 510_000;

/** An early end of the run with its outcome. */
class Finish extends Error {
  constructor(
    readonly outcome: Outcome,
    readonly reason: Reason | null,
    override readonly message: string,
    readonly detail: string | null = null,
  ) {
    super(message);
  }
}

export async function migrateRuntime(opts: MigrateOptions): Promise<MigrationResult> {
  const started = Date.now();
  const counter = new RequestCounter();
  const transitions: Transition[] = [];
  const record = (t: Omit<Transition, 'at'>) => transitions.push({ at: new Date().toISOString(), ...t });
  const log = opts.log ?? (() => undefined);
  const retry = opts.retry ?? DEFAULT_RETRY;
  const clientOpts = { counter, retry, signal: opts.signal, throttle: opts.throttle, onRemoteError: opts.onRemoteError };
  const runtimeId = opts.runtimeId ?? null;

  let patched = false;
  let kymaName: string | null = null;
  let inventoryBefore: IstioCrInfo[] = [];
  let inventoryAfter: IstioCrInfo[] = [];
  let manifest: MigrationResult['manifest'] = null;
  let access: MigrationResult['access'] = null;
  let skipCheck: SkipReconciliationCheck | undefined;
  const notes: string[] = [];

  const finish = (outcome: Outcome, reason: Reason | null, message: string, detail: string | null): MigrationResult => {
    const finished = Date.now();
    return {
      runtimeId,
      outcome,
      reason,
      class: classOf(outcome),
      patched,
      dryRun: !!opts.dryRun,
      message,
      detail,
      kymaName,
      inventoryBefore,
      inventoryAfter,
      transitions,
      manifest,
      requests: { ...counter.counts, total: counter.total },
      access,
      ...(skipCheck ? { skipReconciliation: skipCheck } : {}),
      ...(notes.length ? { notes } : {}),
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      durationMs: finished - started,
    };
  };

  try {
    // Step: SKR access.
    const client = (kubeconfig: string, system: 'kcp' | 'skr' | 'gardener') => {
      try {
        return new KubeClient(kubeconfig, { system, ...clientOpts });
      } catch (e) {
        throw new Finish('error', 'kubeconfig-unavailable', SCRIPT_MESSAGES.failed, `the ${system} kubeconfig is not usable: ${(e as Error).message}`);
      }
    };
    const kcp = opts.kcpKubeconfig ? client(opts.kcpKubeconfig, 'kcp') : undefined;
    let skrKubeconfig = opts.skrKubeconfig;
    if (skrKubeconfig) access = 'kubeconfig';
    else {
      if (!runtimeId) throw new Finish('error', 'kubeconfig-unavailable', SCRIPT_MESSAGES.failed, 'no SKR kubeconfig and no runtime id to look one up');
      // The Gardener client only when the fallback may be needed (not when the wave already read the KCP secret).
      const gardener = () => (opts.gardener ? { client: client(opts.gardener.kubeconfig, 'gardener'), namespace: opts.gardener.namespace, shootName: opts.gardener.shootName } : undefined);
      try {
        const a = opts.kcpSecretKubeconfig ? { kubeconfig: opts.kcpSecretKubeconfig, via: 'kcp-secret' as const } : await resolveSkrAccess(runtimeId, kcp, gardener());
        skrKubeconfig = a.kubeconfig;
        access = a.via;
      } catch (e) {
        if (e instanceof KubeconfigUnavailableError) throw new Finish('error', 'kubeconfig-unavailable', SCRIPT_MESSAGES.failed, e.message);
        throw e;
      }
    }
    const skr = client(skrKubeconfig, 'skr');
    // LM's Manifest of the module entry (its name is part of it): `<kyma>-istio-<hash>` for the `istio` entry.
    let manifestName = runtimeId ? lmManifestName(runtimeId, 'istio', ISTIO_FQDN) : null;

    // Step: the SKR catalog has an Istio ModuleTemplate (the script's test, both generations).
    const templates = await skr.listOrEmpty(MODULE_TEMPLATES, undefined);
    const istioTemplates = templates.items.filter(isIstioTemplate);
    if (!istioTemplates.length) throw new Finish('module-template-missing', null, SCRIPT_MESSAGES.templateMissing, `no ModuleTemplate with spec.data.kind Istio among ${templates.items.length} on the SKR`);
    const istioRefs = istioReferences(istioTemplates);
    // Today's catalog (templates named by version, no channel) is reached through the synced ModuleReleaseMeta:
    // one more read, only on such an SKR.
    const releaseMetas = istioTemplates.some(isVersionedTemplate) ? (await skr.listIfServed(MODULE_RELEASE_METAS, KYMA_SYSTEM))?.items : undefined;

    // Step: the Kyma LM reads, kyma-system/default; others are listed, never patched.
    const kymas = await skr.listOrEmpty(KYMAS, KYMA_SYSTEM);
    const others = kymas.items.map((k) => k.metadata.name).filter((n) => n !== SKR_KYMA_NAME);
    if (others.length) notes.push(`other Kymas in ${KYMA_SYSTEM}, which LM ignores (it reads only ${KYMA_SYSTEM}/${SKR_KYMA_NAME}): ${others.join(', ')}`);
    const found = kymas.items.find((k) => k.metadata.name === SKR_KYMA_NAME);
    if (!found) {
      throw new Finish(
        'kyma-cr-missing',
        null,
        others.length ? `No Kyma CR ${SKR_KYMA_NAME} found in ${KYMA_SYSTEM}` : `No Kyma CR found in ${KYMA_SYSTEM}`,
        others.length ? `LM reads only ${KYMA_SYSTEM}/${SKR_KYMA_NAME}; ${KYMA_SYSTEM} has ${others.join(', ')}` : 'LM has not synced a Kyma to this SKR (or it was removed)',
      );
    }
    let kyma = found;
    kymaName = kyma.metadata.name;
    // Step: the SKR is the runtime's (a stale $RUNTIME_ID beside another SKR's kubeconfig would patch the wrong one).
    const mismatch = await ownerMismatch(kyma, runtimeId, kcp);
    if (mismatch) throw new Finish('error', 'kubeconfig-unavailable', SCRIPT_MESSAGES.failed, mismatch);

    // The template LM would resolve for the Kyma's channel (module-templates.ts: release meta or channel templates).
    const channel = ((kyma.spec ?? {}) as { channel?: string }).channel || 'regular';
    const resolved = resolveIstioTemplates(templates.items, releaseMetas, [channel], KYMA_SYSTEM);
    if (!resolved.templates.length) throw new Finish('module-template-missing', null, SCRIPT_MESSAGES.templateMissing, `for the Kyma's channel ${channel}: ${resolved.problems.join('; ')}`);

    // Step: already migrated (unless a previous attempt of this wave may have sent the patch). Listed before this
    // run, it is verified read-only (DOMAIN.md §9.3 step 4): `already-migrated` only when the wait below finds the
    // Istio CR and LM's evidence Ready; a broken runtime ends with what is wrong (error, multiple-istio-crs, timeout).
    let listedBefore = false;
    const entry = istioEntry(kyma, istioRefs);
    if (entry) {
      if (opts.resumeAfterPatch) patched = true;
      else {
        listedBefore = true;
        log(SCRIPT_MESSAGES.alreadyPresent);
      }
      if (entry.name !== 'istio') {
        // Listed by another reference LM resolves to the same module (its FQDN, a template's name): never a second entry.
        notes.push(`istio is listed in spec.modules as ${entry.name}, which LM resolves to the istio module`);
        if (runtimeId) manifestName = lmManifestName(runtimeId, entry.name, ISTIO_FQDN);
      }
    }

    // Step: a Kyma being deleted (the runtime is going away): LM removes its modules rather than installing one. Held.
    const going = beingDeleted(kyma);
    if (!patched && !listedBefore && going) throw kymaDeleting(`${KYMA_SYSTEM}/${kymaName}`, going);

    // Step: skip-reconciliation, on the KCP Kyma — LM would not act, so patching would only leave a module entry
    // that LM takes up whenever the freeze is lifted.
    // Listed before the run, it is checked only where it can be (without KCP access the verification goes on, as
    // it did, with no note about a label it would not act on anyway).
    if (!patched && (!listedBefore || opts.kcpSkipReconciliation !== undefined || (kcp && runtimeId))) {
      const checked = await checkSkipReconciliation(opts.kcpSkipReconciliation, kcp, runtimeId, notes);
      skipCheck = checked.check;
      const kcpDeleting = checked.kcpKymas?.map((k) => [k, beingDeleted(k)] as const).find(([, d]) => d);
      if (kcpDeleting && !listedBefore) throw kymaDeleting(`${KCP_SYSTEM}/${kcpDeleting[0].metadata.name} on KCP`, kcpDeleting[1]!);
      if (skipCheck === 'labelled' && !listedBefore) {
        throw new Finish(
          'skipped',
          'skip-reconciliation',
          `Kyma CR ${KCP_SYSTEM}/${runtimeId} on KCP is labelled ${SKIP_RECONCILIATION_LABEL}=true, skipping migration`,
          'LM does not reconcile this Kyma; not patched',
        );
      }
    }

    // Step: pre-patch Istio CR inventory (all namespaces; its resourceVersion anchors the watch).
    const istios = await skr.listOrEmpty(ISTIOS, undefined);
    inventoryBefore = istios.items.map(istioInfo);
    inventoryAfter = inventoryBefore;
    for (const c of inventoryBefore) record({ object: `istio/${c.namespace}/${c.name}`, state: c.state ?? 'no state', detail: 'before patch' });

    // Listed before, but LM does not reconcile this Kyma now: its states are what they are, and nothing will change
    // them while the label stays. Migrated only if LM's evidence says so already; otherwise skipped, not waited for.
    if (listedBefore && skipCheck === 'labelled') {
      const evidence = await currentEvidence(kcp, manifestName, kyma);
      if (kcp && manifestName) manifest = manifestRecord(manifestName, evidence);
      const frozen = `the KCP Kyma ${KCP_SYSTEM}/${runtimeId} is labelled ${SKIP_RECONCILIATION_LABEL}=true: LM does not reconcile it now`;
      if (decide(inventoryBefore, evidence)?.outcome === 'migrated') return finish('already-migrated', null, SCRIPT_MESSAGES.alreadyPresent, `${evidenceText(manifest, evidence)}; ${frozen}`);
      const states = inventoryBefore.map((c) => `${c.name}=${c.state ?? 'no state'}`).join(', ') || 'no Istio CR';
      throw new Finish('skipped', 'skip-reconciliation', `Kyma CR ${KCP_SYSTEM}/${runtimeId} on KCP is labelled ${SKIP_RECONCILIATION_LABEL}=true, skipping migration`, `${LISTED_BEFORE}${frozen}, so it was not waited for; now ${states}, ${evidenceText(manifest, evidence)}`);
    }

    // Step: an Istio CR in kyma-system being deleted means Istio is being uninstalled. LM creates default whenever
    // there is none (DOMAIN.md §6.3), so a patch would install Istio again once the deletion is through: held.
    const deleting = inventoryBefore.filter((c) => c.namespace === KYMA_SYSTEM && (c.deleting || c.state === 'Deleting'));
    if (!patched && !listedBefore && deleting.length) {
      throw new Finish(
        'error',
        'istio-error',
        `Istio CR ${deleting.map((c) => c.name).join(', ')} in ${KYMA_SYSTEM} is being deleted, skipping migration`,
        `held before the patch: Istio CR ${deleting.map((c) => `${c.name} (${c.deleting ? 'deletionTimestamp set' : 'state Deleting'})`).join(', ')} is being deleted, so Istio is being uninstalled; LM would create default again and reinstall it. Not patched: find out who removes Istio, and run again once the deletion is through (or stopped)`,
      );
    }

    // Step: conflict — a CR not named default means LM's default would be the newer one and never reconcile; unless
    // `default` exists and is older than every other CR: the operator reconciles it, and LM takes it over.
    const foreign = conflictingCrs(inventoryBefore);
    // The other customer CRs are no conflict for LM, but the customer's configuration in them is not in use: named
    // in the detail of a migrated runtime, so the SRE can tell the customer.
    const strays: string[] = [];
    for (const c of inventoryBefore.filter((x) => x.name !== 'default' && !foreign.includes(x))) {
      strays.push(
        c.namespace === KYMA_SYSTEM
          ? `Istio CR ${c.name} in ${KYMA_SYSTEM} is newer than default: the operator reconciles default (the oldest) and leaves ${c.name} unreconciled; LM takes default over`
          : `Istio CR ${c.namespace}/${c.name} is outside ${KYMA_SYSTEM}: the operator never reconciles it (${c.state ?? 'no state'})`,
      );
    }
    if (!patched && !listedBefore && foreign.length && (opts.onConflict ?? 'hold') === 'hold') {
      const list = foreign.map((c) => `${c.name} (created ${c.createdAt ?? '?'}, ${c.state ?? 'no state'})`).join(', ');
      throw new Finish('multiple-istio-crs', null, SCRIPT_MESSAGES.multipleCrs, `held before the patch: Istio CR ${list} in ${KYMA_SYSTEM} is not named default; LM's default would not reconcile. Not patched; rename-to-default needs the customer's agreement.`);
    }

    if (listedBefore && opts.dryRun) {
      // A dry run does not wait: what the states say now.
      const evidence = await currentEvidence(kcp, manifestName, kyma);
      if (kcp && manifestName) manifest = manifestRecord(manifestName, evidence);
      const d = decide(inventoryBefore, evidence);
      if (d && d.outcome !== 'migrated') return finish(d.outcome, d.outcome === 'error' ? d.reason : null, SCRIPT_MESSAGES.failed, `${LISTED_BEFORE}${d.detail}`);
      return finish('already-migrated', null, SCRIPT_MESSAGES.alreadyPresent, `${evidenceText(manifest, evidence)}${d ? '' : ' (not Ready yet)'}`);
    }

    // Step: the patch.
    if (!patched && !listedBefore) {
      if (opts.dryRun) {
        const ops = istioPatch(kyma);
        await skr.jsonPatch(KYMAS, KYMA_SYSTEM, kymaName, ops, { dryRun: true });
        const message = `Dry run: would add {"name":"istio"} to Kyma CR ${kymaName} with the JSON patch ${JSON.stringify(ops)}; nothing was changed`;
        log(message);
        return finish('skipped', 'dry-run', message, foreign.length ? `Istio CRs not named default: ${foreign.map((c) => c.name).join(', ')}` : null);
      }
      await opts.onCheckpoint?.('before-patch');
      if (modulesOf(kyma) === undefined || modulesOf(kyma) === null) log(SCRIPT_MESSAGES.initModules);
      log(SCRIPT_MESSAGES.proceeding(kymaName));
      const r = await patchOnce(skr, kyma, istioRefs, retry, opts.signal);
      kyma = r.kyma;
      if (r.outcome === 'already-migrated') {
        log(SCRIPT_MESSAGES.alreadyPresent);
        return finish('already-migrated', null, SCRIPT_MESSAGES.alreadyPresent, 'istio was added to the Kyma by someone else while this run was reading it');
      }
      patched = true;
      record({ object: `kyma/${kymaName}`, state: 'patched', detail: 'istio added to spec.modules' });
      await opts.onCheckpoint?.('patched');
    }

    // Step: wait for LM and the operator, and decide.
    const waited = await waitForDecision({
      skr,
      kcp: kcp && manifestName ? kcp : undefined,
      manifests: opts.manifests,
      manifestName: manifestName ?? '',
      kymaName,
      istioResourceVersion: istios.metadata.resourceVersion,
      initialCrs: inventoryBefore,
      // Patched by this run (or maybe by the attempt it resumes): the states read before the patch prove nothing for
      // as long as the script's initial wait, in proportion to the deadline (15 s of its ≈ 8.5 min).
      staleGraceMs: patched ? Math.round(((opts.deadlineMs ?? DEFAULT_DEADLINE_MS) * 15) / 510) : 0,
      deadlineMs: opts.deadlineMs ?? DEFAULT_DEADLINE_MS,
      pollIntervalMs: opts.pollIntervalMs ?? 5000,
      signal: opts.signal,
      record,
    });
    inventoryAfter = waited.crs;
    manifest = kcp && manifestName ? manifestRecord(manifestName, waited.evidence) : null;
    const d = waited.decision;
    const before = listedBefore ? LISTED_BEFORE : '';
    switch (d.outcome) {
      case 'migrated':
        if (listedBefore) return finish('already-migrated', null, SCRIPT_MESSAGES.alreadyPresent, [evidenceText(manifest, waited.evidence), ...strays].join('; '));
        log(SCRIPT_MESSAGES.success);
        return finish('migrated', null, SCRIPT_MESSAGES.success, strays.length ? strays.join('; ') : null);
      case 'multiple-istio-crs':
        log(SCRIPT_MESSAGES.multipleCrs);
        return finish('multiple-istio-crs', null, SCRIPT_MESSAGES.multipleCrs, `${before}${d.detail}`);
      case 'error':
        log(SCRIPT_MESSAGES.failed);
        return finish('error', d.reason, SCRIPT_MESSAGES.failed, `${before}${d.detail}`);
      case 'timeout':
        log(SCRIPT_MESSAGES.failed);
        return finish('timeout', null, SCRIPT_MESSAGES.failed, `${before}${d.detail}`);
    }
  } catch (e) {
    if (e instanceof Finish) {
      log(e.message);
      return finish(e.outcome, e.reason, e.message, e.detail);
    }
    if (opts.signal?.aborted) throw e;
    if (e instanceof RemoteError) {
      const reason: ErrorReason = 'api-error';
      log(SCRIPT_MESSAGES.failed);
      return finish('error', reason, SCRIPT_MESSAGES.failed, e.message);
    }
    throw e;
  }
}

/** The end of a runtime whose SKR or KCP Kyma is being deleted: `kyma-cr-missing` (it is going), never patched. */
function kymaDeleting(which: string, how: string): Finish {
  return new Finish('kyma-cr-missing', null, `Kyma CR ${which} is being deleted, skipping migration`, `held before the patch: the Kyma ${which} is being deleted (${how}), so the runtime is going away and LM removes its modules rather than installing one. Not patched`);
}

/** The detail of an outcome of a runtime whose Kyma listed istio before this run. */
const LISTED_BEFORE = 'istio was in spec.modules before this run (not patched by it); ';

/** LM's evidence now, read once: the istio Manifest on KCP, else the SKR Kyma's `status.modules` entry. */
async function currentEvidence(kcp: KubeClient | undefined, manifestName: string | null, kyma: KubeObject): Promise<Evidence> {
  return kcp && manifestName ? manifestEvidence(await kcp.get(MANIFESTS, KCP_SYSTEM, manifestName)) : kymaEvidence(kyma);
}

function evidenceText(manifest: MigrationResult['manifest'], evidence: Evidence | undefined): string {
  return manifest ? `Manifest ${manifest.name}: ${manifest.state ?? 'absent'}` : `istio in the Kyma's status: ${evidence?.state ?? 'absent'}`;
}

function manifestRecord(name: string, evidence: Evidence | undefined): MigrationResult['manifest'] {
  return { name, state: evidence?.state ?? null, message: evidence?.message ?? null };
}

/**
 * Sends the guarded patch, each attempt exactly once. A 422 (the `test` failed: someone changed the modules)
 * re-reads and retries; a lost answer re-reads to learn whether the patch landed — if istio is then present,
 * it was ours.
 */
async function patchOnce(skr: KubeClient, kyma: KubeObject, istioRefs: Set<string>, retry: RetryPolicy, signal?: AbortSignal): Promise<{ kyma: KubeObject; outcome: 'patched' | 'already-migrated' }> {
  let current = kyma;
  let maybeLanded = false;
  for (let attempt = 0; attempt < retry.attempts + 4; attempt++) {
    try {
      const out = await skr.jsonPatch(KYMAS, KYMA_SYSTEM, current.metadata.name, istioPatch(current), { once: true });
      return { kyma: out, outcome: 'patched' };
    } catch (e) {
      if (!(e instanceof RemoteError)) throw e;
      if (e.status === 422 || e.status === 409) {
        // The modules changed under us (or our own earlier attempt landed).
      } else if (e.kind === 'permanent' || attempt + 1 >= retry.attempts) {
        throw e;
      } else {
        maybeLanded = true;
        await sleep(backoffDelay(retry, attempt, e.kind, e.retryAfterSeconds), signal);
      }
      const fresh = await skr.get(KYMAS, KYMA_SYSTEM, current.metadata.name);
      if (!fresh) throw new Finish('kyma-cr-missing', null, `No Kyma CR found in ${KYMA_SYSTEM}`, `Kyma ${current.metadata.name} disappeared during the migration`);
      if (istioEntry(fresh, istioRefs)) return { kyma: fresh, outcome: maybeLanded ? 'patched' : 'already-migrated' };
      const deleting = beingDeleted(fresh);
      if (deleting) throw kymaDeleting(`${KYMA_SYSTEM}/${fresh.metadata.name}`, deleting);
      current = fresh;
    }
  }
  throw new RemoteError(`patch kymas/${current.metadata.name} on skr: the modules kept changing; gave up`, 'skr', 'permanent', 422);
}
