/**
 * Waiting for LM and the Istio operator after the patch (DOMAIN.md §9.3 steps 7–8, improved): watch the
 * Istio CRs on the SKR and the evidence that LM manages the module (the istio Manifest on KCP, or the SKR
 * Kyma's `status.modules` entry without KCP access), decide as soon as the states allow, and give up at the
 * deadline. No blind initial sleep. A watch that ends is resumed from its last resourceVersion; one that
 * cannot be established falls back to polling with backoff. Objects that do not exist yet are "not yet".
 */
import type { KubeClient, KubeObject, WatchEvent } from '../clients/kube-client.js';
import { RemoteError } from '../clients/errors.js';
import { sleep } from '../clients/retry.js';
import { followStop } from '../clients/stop-followers.js';
import type { IstioCrInfo, Transition } from './result.js';
import { conflictingCrs } from './istio-conflict.js';
import { collectionPath, ISTIO_FQDN, ISTIOS, KCP_SYSTEM, KYMA_SYSTEM, KYMAS, MANIFESTS } from './resources.js';

export interface Evidence {
  /** `Ready`, `Error`, … or null while the object does not exist (yet). */
  state: string | null;
  message: string | null;
}

export type Decision =
  | { outcome: 'migrated' }
  | { outcome: 'multiple-istio-crs'; detail: string }
  | { outcome: 'error'; reason: 'istio-error' | 'manifest-error' | 'manifest-missing'; detail: string }
  | { outcome: 'timeout'; detail: string };

export function istioInfo(o: KubeObject): IstioCrInfo {
  const status = (o.status ?? {}) as { state?: string; description?: string; conditions?: { type?: string; reason?: string }[] };
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  return {
    name: o.metadata.name,
    namespace: o.metadata.namespace ?? '',
    createdAt: o.metadata.creationTimestamp ?? null,
    state: status.state ?? null,
    description: status.description ?? null,
    reason: ready?.reason ?? null,
    ...(o.metadata.deletionTimestamp ? { deleting: true as const } : {}),
  };
}

/** The operator's words for "not the oldest CR" (≤ 1.3 sets only this description). */
const ONLY_CR_RECONCILES = 'only Istio CR';

/** Whether two readings of a CR say the same about its state. */
const sameStatus = (a: IstioCrInfo, b: IstioCrInfo) => a.state === b.state && a.description === b.description && a.reason === b.reason;

/** The key of an Istio CR in the wait's bookkeeping. */
const crKey = (c: Pick<IstioCrInfo, 'namespace' | 'name'>) => `${c.namespace}/${c.name}`;

/**
 * The decision rule (DESIGN.md §4, DOMAIN.md §9.3 step 7), given what has been observed so far. Pure, so it is
 * tested by tables.
 *
 * `stale`: the CRs (`namespace/name`) whose status is still the one read before the patch. Like a Ready `default`
 * before the patch, an Error or Warning then proves nothing about LM's takeover, and neither does a Manifest in Error
 * beside such a CR (LM 2023 mirrors the CR's state). They decide nothing while stale; the wait lets them count after
 * a grace period (`WaitOptions.staleGraceMs`). A reason that says `default` is not the oldest CR (OlderCRExists,
 * the operator's description) is about ages, which no takeover changes: it decides at once.
 */
export function decide(crs: IstioCrInfo[], evidence: Evidence | undefined, stale?: ReadonlySet<string>): Decision | undefined {
  const inNs = crs.filter((c) => c.namespace === KYMA_SYSTEM);
  const def = inNs.find((c) => c.name === 'default');
  const badState = (c: IstioCrInfo) => c.state === 'Error' || c.state === 'Warning';
  const troubled = (c: IstioCrInfo) => badState(c) && !stale?.has(crKey(c));
  // What migrate.sh reads is `default`. Its Error or Warning beside other CRs is a conflict only when it is not the
  // oldest: a NEWER customer CR beside a reconciling `default` is left in Warning by the operator (OlderCRExists on
  // it), which does not stop LM taking `default` over, and `default`'s own Warning then has another cause.
  const conflict = def
    ? def.reason === 'OlderCRExists' || (def.description ?? '').includes(ONLY_CR_RECONCILES) || (conflictingCrs(inNs).length > 0 && troubled(def))
    : inNs.length > 1 && inNs.some(troubled);
  if (conflict) {
    const names = inNs.map((c) => `${c.name} (${c.state ?? 'no state'})`).join(', ');
    return { outcome: 'multiple-istio-crs', detail: `Istio CRs in ${KYMA_SYSTEM}: ${names}` };
  }
  // `default` in Error with no older CR beside it (newer strays are not reconciled and change nothing): its own error.
  if (def?.state === 'Error' && !conflictingCrs(inNs).length && troubled(def)) {
    return { outcome: 'error', reason: 'istio-error', detail: `Istio CR default is in Error: ${def.description ?? 'no description'}${def.reason ? ` (${def.reason})` : ''}` };
  }
  if (evidence?.state === 'Error' && !inNs.some((c) => badState(c) && stale?.has(crKey(c)))) {
    return { outcome: 'error', reason: 'manifest-error', detail: evidence.message ?? 'the istio module is in Error' };
  }
  if (def?.state === 'Ready' && evidence?.state === 'Ready') return { outcome: 'migrated' };
  return undefined;
}

/** LM's evidence in the istio Manifest on KCP (undefined: it does not exist). */
export function manifestEvidence(m: KubeObject | undefined): Evidence {
  const st = (m?.status ?? {}) as { state?: string; lastOperation?: { operation?: string } };
  return m ? { state: st.state ?? null, message: st.lastOperation?.operation ?? null } : { state: null, message: null };
}

/** LM's evidence without KCP access: the istio entry of the SKR Kyma's `status.modules`. */
export function kymaEvidence(kyma: KubeObject): Evidence {
  const m = ((kyma.status ?? {}) as { modules?: { name?: string; fqdn?: string; state?: string; message?: string }[] }).modules?.find((x) => x.name === 'istio' || x.fqdn === ISTIO_FQDN);
  return { state: m?.state ?? null, message: m?.message ?? null };
}

/**
 * A shared view of the istio Manifests on KCP (a wave watches them all with one stream). `subscribe` tells `on` the
 * Manifest's state now (when it exists) and at every change, and returns the unsubscribe; undefined when the view is
 * not available (then the runtime watches its Manifest itself, as it does when the view later calls `lost`).
 */
export interface ManifestSource {
  subscribe(name: string, on: (type: 'MODIFIED' | 'DELETED', obj: KubeObject) => void, lost: () => void): (() => void) | undefined;
}

export interface WaitOptions {
  skr: KubeClient;
  /** KCP access for the Manifest; without it the SKR Kyma's `status.modules` is the evidence. */
  kcp?: KubeClient;
  /** The wave's shared view of the Manifests (with `kcp`): no watch of its own while it serves. */
  manifests?: ManifestSource;
  manifestName: string;
  kymaName: string;
  /** resourceVersion of the pre-patch Istio list, so no change after it is missed. */
  istioResourceVersion?: string;
  initialCrs: IstioCrInfo[];
  /**
   * How long the pre-patch states of `initialCrs` that have not changed since decide nothing (see `decide`); after
   * it they count as they are. 0 or unset: they count at once (a runtime not patched by this run: LM's state is the
   * truth).
   */
  staleGraceMs?: number;
  deadlineMs: number;
  pollIntervalMs: number;
  signal?: AbortSignal;
  record: (t: Omit<Transition, 'at'>) => void;
}

export interface WaitResult {
  decision: Decision;
  crs: IstioCrInfo[];
  evidence: Evidence | undefined;
}

type Source = 'istio' | 'evidence';

export async function waitForDecision(o: WaitOptions): Promise<WaitResult> {
  const crs = new Map<string, IstioCrInfo>(o.initialCrs.map((c) => [crKey(c), c]));
  /**
   * The CRs whose status is still the one read before the patch (see `decide`). Another change (LM labelling the CR
   * it takes over) is no news about its state: only a new state, description or reason is.
   */
  const stale = new Set<string>(o.staleGraceMs ? crs.keys() : []);
  const initial = new Map(crs);
  let evidence: Evidence | undefined;
  let settle!: (d: Decision) => void;
  const decided = new Promise<Decision>((resolve) => (settle = resolve));
  let finished = false;
  const handles: { stop(): void }[] = [];
  const lastRv: Record<Source, string | undefined> = { istio: o.istioResourceVersion, evidence: undefined };

  // LM's Manifest mirrors the Istio CR: its Error can arrive (through the wave's shared Manifest stream, already
  // open) before this runtime's own Istio watch tells why. Before blaming the Manifest, the CRs are read once.
  let confirming = false;
  let confirmed = false;
  // A Manifest Error reported before a CR in kyma-system changed its state is not LM's verdict on the new state yet
  // (LM 2023 mirrors the CR: the operator may just have repaired it): it waits for LM's next word, or a grace period.
  let evidenceOutdated = false;
  let outdatedTimer: NodeJS.Timeout | undefined;
  const evaluate = () => {
    if (finished || confirming) return;
    const d = decide([...crs.values()], evidenceOutdated && evidence ? { ...evidence, state: 'Processing' } : evidence, stale);
    if (!d) return;
    if (d.outcome === 'error' && d.reason === 'manifest-error' && !confirmed) {
      confirming = confirmed = true;
      void o.skr
        .list(ISTIOS, undefined)
        .then((list) => applyIstioList(list.items), () => undefined) // unreadable: decide on what was seen
        .finally(() => {
          confirming = false;
          evaluate();
        });
      return;
    }
    finished = true;
    settle(d);
  };

  // Whether `default` turned Ready after the patch (LM created or reconciled it): only then does a missing
  // Manifest at the deadline mean "manifest-missing" rather than "LM never came" (timeout).
  let defaultReadyAfterPatch = false;
  const onIstio = (type: string, obj: KubeObject) => {
    const key = crKey({ namespace: obj.metadata.namespace ?? '', name: obj.metadata.name });
    const prev = crs.get(key);
    const was = initial.get(key);
    if (type === 'DELETED' || !was || !sameStatus(was, istioInfo(obj))) stale.delete(key);
    if (key === `${KYMA_SYSTEM}/default` && type !== 'DELETED' && istioInfo(obj).state === 'Ready' && prev?.state !== 'Ready') defaultReadyAfterPatch = true;
    if (type === 'DELETED') {
      crs.delete(key);
      o.record({ object: `istio/${key}`, state: 'deleted' });
    } else {
      const info = istioInfo(obj);
      crs.set(key, info);
      if (!prev || prev.state !== info.state) {
        o.record({ object: `istio/${key}`, state: info.state ?? 'no state', detail: info.description ?? undefined });
        if (prev && !finished && evidence?.state === 'Error' && info.namespace === KYMA_SYSTEM && info.state !== 'Error' && o.staleGraceMs) {
          // The grace runs from the latest change: one timer, restarted.
          evidenceOutdated = true;
          clearTimeout(outdatedTimer);
          outdatedTimer = setTimeout(() => {
            evidenceOutdated = false;
            evaluate();
          }, o.staleGraceMs);
        }
      }
    }
    evaluate();
  };

  /** A fresh list of the Istio CRs: what is gone is deleted, the rest as modified. */
  const applyIstioList = (items: KubeObject[]) => {
    const seen = new Set(items.map((i) => crKey({ namespace: i.metadata.namespace ?? '', name: i.metadata.name })));
    for (const key of [...crs.keys()]) if (!seen.has(key)) onIstio('DELETED', { metadata: { name: key.split('/')[1], namespace: key.split('/')[0] } });
    for (const i of items) onIstio('MODIFIED', i);
  };

  const setEvidence = (next: Evidence, object: string) => {
    // LM's next word (not the same one read again by a poll).
    if (!evidence || evidence.state !== next.state || evidence.message !== next.message) evidenceOutdated = false;
    if (!evidence || evidence.state !== next.state) o.record({ object, state: next.state ?? 'absent', detail: next.message ?? undefined });
    evidence = next;
    evaluate();
  };

  const onEvidence = (type: string, obj: KubeObject) => {
    if (o.kcp) setEvidence(manifestEvidence(type === 'DELETED' ? undefined : obj), `manifest/${o.manifestName}`);
    else setEvidence(kymaEvidence(obj), `kyma/${o.kymaName}`);
  };

  const istioPath = collectionPath(ISTIOS);
  const evidenceClient = o.kcp ?? o.skr;
  const evidencePath = o.kcp ? collectionPath(MANIFESTS, KCP_SYSTEM) : collectionPath(KYMAS, KYMA_SYSTEM);
  const evidenceSelector = `metadata.name=${o.kcp ? o.manifestName : o.kymaName}`;

  /** Polls one source until decided (the fallback when watching fails). */
  const poll = async (source: Source) => {
    let interval = o.pollIntervalMs;
    while (!finished) {
      try {
        if (source === 'istio') applyIstioList((await o.skr.list(ISTIOS, undefined)).items);
        else {
          const obj = o.kcp ? await o.kcp.get(MANIFESTS, KCP_SYSTEM, o.manifestName) : await o.skr.get(KYMAS, KYMA_SYSTEM, o.kymaName);
          if (obj) onEvidence('MODIFIED', obj);
          else if (o.kcp) setEvidence({ state: null, message: null }, `manifest/${o.manifestName}`);
        }
      } catch (e) {
        if (!(e instanceof RemoteError)) throw e;
        // A failing poll is tried again at the next interval; the deadline bounds it all.
      }
      if (finished) return;
      await sleep(interval, o.signal);
      interval = Math.min(interval * 1.5, o.pollIntervalMs * 4);
    }
  };

  /** Watches one source, resuming after each clean end; falls back to polling when watching fails. */
  const watchLoop = async (source: Source) => {
    const client = source === 'istio' ? o.skr : evidenceClient;
    const path = source === 'istio' ? istioPath : evidencePath;
    const handler = source === 'istio' ? onIstio : onEvidence;
    let failures = 0;
    while (!finished) {
      let gone = false;
      let handle;
      try {
        handle = await client.watch(
          path,
          {
            allowWatchBookmarks: true,
            resourceVersion: lastRv[source] ?? '0',
            ...(source === 'evidence' ? { fieldSelector: evidenceSelector } : {}),
          },
          (e: WatchEvent) => {
            if (e.type === 'ERROR') {
              if (e.object.code === 410) gone = true;
              return;
            }
            if (e.object.metadata?.resourceVersion) lastRv[source] = e.object.metadata.resourceVersion;
            if (e.type === 'BOOKMARK') return;
            handler(e.type, e.object);
          },
        );
      } catch (e) {
        if (!(e instanceof RemoteError)) throw e;
        failures++;
        if (failures >= 3) return poll(source);
        await sleep(o.pollIntervalMs, o.signal);
        continue;
      }
      handles.push(handle);
      // Decided while this watch was being established: nothing else will stop it.
      if (finished) {
        handle.stop();
        return;
      }
      const err = await handle.done;
      if (finished) return;
      if (gone) lastRv[source] = undefined; // too old: start again from the current state
      if (err && !(err instanceof DOMException && err.name === 'TimeoutError') && (err as Error).name !== 'AbortError') {
        failures++;
        if (failures >= 3) return poll(source);
        await sleep(Math.min(o.pollIntervalMs, 1000), o.signal);
      }
    }
  };

  /** The evidence through the wave's shared view while it serves, else through a watch of its own. */
  let unsubscribe: (() => void) | undefined;
  let release: () => void = () => undefined;
  const evidenceLoop = async (): Promise<void> => {
    const lost = new Promise<void>((resolve) => (release = resolve));
    unsubscribe = o.kcp && o.manifests?.subscribe(o.manifestName, onEvidence, () => release());
    if (!unsubscribe) return watchLoop('evidence');
    await lost;
    unsubscribe();
    if (!finished) {
      unsubscribe = undefined;
      return watchLoop('evidence');
    }
  };

  const atDeadline = async () => {
    if (finished) return;
    if (unsubscribe && o.kcp) {
      // The shared view may lag behind: decide on a fresh read of the Manifest.
      const m = await o.kcp.get(MANIFESTS, KCP_SYSTEM, o.manifestName).catch(() => undefined);
      if (m) onEvidence('MODIFIED', m);
      if (finished) return;
    }
    finished = true;
    const def = crs.get(`${KYMA_SYSTEM}/default`);
    if (def?.state === 'Ready' && defaultReadyAfterPatch && o.kcp && (!evidence || evidence.state === null)) {
      settle({ outcome: 'error', reason: 'manifest-missing', detail: `Istio CR default is Ready but Manifest ${KCP_SYSTEM}/${o.manifestName} does not exist` });
      return;
    }
    const states = [...crs.values()].map((c) => `${c.name}=${c.state ?? 'no state'}`).join(', ') || 'no Istio CR';
    settle({ outcome: 'timeout', detail: `after ${Math.round(o.deadlineMs / 1000)} s: ${states}; ${o.kcp ? 'Manifest' : 'Kyma istio module'}=${evidence?.state ?? 'absent'}` });
  };
  const deadline = setTimeout(() => void atDeadline(), o.deadlineMs);
  // Past the grace period, what was read before the patch and never changed counts as it is.
  const graceEnd = stale.size
    ? setTimeout(() => {
        stale.clear();
        evaluate();
      }, o.staleGraceMs)
    : undefined;

  const onAbort = () => {
    finished = true;
    settle({ outcome: 'timeout', detail: 'aborted' });
  };
  // One listener per wave signal, shared by every runtime in flight (stop-followers.ts).
  const unfollow = followStop(o.signal, { stop: onAbort });

  evaluate();
  const loops = [watchLoop('istio'), evidenceLoop()].map((p) =>
    p.catch((e: unknown) => {
      // An abort ends the loops; anything else is a bug worth surfacing through the decision.
      if (!finished && !(o.signal?.aborted)) {
        finished = true;
        settle({ outcome: 'timeout', detail: `waiting failed: ${(e as Error).message}` });
      }
    }),
  );
  const decision = await decided;
  clearTimeout(deadline);
  clearTimeout(graceEnd);
  clearTimeout(outdatedTimer);
  unfollow();
  for (const h of handles) h.stop();
  release();
  await Promise.allSettled(loops);
  o.signal?.throwIfAborted();
  return { decision, crs: [...crs.values()], evidence };
}
