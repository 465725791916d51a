/**
 * What the live wave messages show, read FROM THE JOURNAL (never from the events, so a skipped or refused update
 * loses nothing: the next render shows the truth): a wave's view for its parent message, the final check and the
 * runtimes not migrated for its summary, and whom its end mentions. The scheduler (wave-reporter.ts) decides when;
 * the messages themselves are built by ../wave-message.ts.
 */
import type { CommandResult } from '../../../commands/index.js';
import type { Services } from '../../app/services.js';
import type { EnvName } from '../../config/config.js';
import type { Wave } from '../../journal/journal.js';
import { etaPaceStart, liveEtaSeconds } from '../../rollout/eta.js';
import { readLimit } from '../../rollout/limit.js';
import { waveBudget } from '../../rollout/wave-budget.js';
import { effectiveState, platformFailuresOf, waveCounts } from '../../rollout/wave-status.js';
import { mention } from '../message.js';
import { FINAL_LIST_MAX, type FinalCheck, type FinalView, type WaveView } from '../wave-message.js';

const LIVE = ['running', 'paused', 'draining'];

/** A wave's parent-message view; `ended` once it is neither live nor interrupted. */
export async function waveViewOf(services: Services, waveId: string, extra: Pick<WaveView, 'pageUrl' | 'failureGroups'>): Promise<{ view: WaveView; ended: boolean } | undefined> {
  const journal = await services.journal();
  const wave = await journal.getWave(waveId);
  if (!wave) return undefined;
  const { counts, total } = await waveCounts(journal, waveId);
  const state = await effectiveState(journal, wave);
  const now = Date.now();
  const paceStart = etaPaceStart(now, Date.parse(wave.createdAt));
  const finishedInPace = await journal.countFinishedSince(waveId, new Date(paceStart));
  const view: WaveView = {
    waveId,
    env: wave.env,
    target: wave.target,
    state,
    counts,
    total,
    platformFailures: platformFailuresOf(counts),
    budget: await waveBudget(journal, services, wave, total),
    concurrency: wave.concurrency,
    requestedBy: wave.requestedBy,
    approvedBy: wave.approvedBy,
    planHash: wave.planHash,
    createdAt: wave.createdAt,
    finishedAt: wave.finishedAt,
    etaSeconds: liveEtaSeconds({ state, left: counts.pending + counts.running, finishedInPace, now, paceStart }),
    ...(extra.pageUrl ? { pageUrl: extra.pageUrl } : {}),
    failureGroups: extra.failureGroups,
  };
  if (LIVE.includes(state)) {
    const limit = await readLimit(journal, waveId);
    if (limit) view.limit = limit;
  }
  return { view, ended: !LIVE.includes(state) && state !== 'interrupted' };
}

/** The on-call approvers of an environment as mentions: its user group, then its approver user ids. */
export function approverMentions(services: Services, env: EnvName): string[] {
  const a = services.envConfig(env).approval;
  return [...(a.approverGroup ? [`<!subteam^${a.approverGroup}>`] : []), ...a.approvers.map(mention)];
}

/** Whom a wave's end mentions: the requester, and on-call where the environment requires approvals. */
export function endMentions(services: Services, wave: Wave): string[] {
  const env = wave.env as EnvName;
  return [mention(wave.requestedBy), ...(services.approvalRequired(env) ? approverMentions(services, env) : [])];
}

interface VerifyJson {
  ok: boolean;
  runtimes: number;
  manifests: { total: number; byState: Record<string, number> };
  missing: string[];
  nonReady: { runtimeId: string; state: string }[];
  error?: string;
}

/** The final summary of an ended wave: `verify` of its runtimes (run as a command) and the runtimes not migrated. */
export async function finalViewOf(services: Services, wave: Wave, dispatch: (name: string, argv: string[]) => Promise<CommandResult>): Promise<FinalView> {
  const journal = await services.journal();
  const plan = await journal.getPlan(wave.planHash);
  const specs = (plan?.document as { input?: { specs?: string[] } } | undefined)?.input?.specs ?? [];
  let check: FinalCheck;
  try {
    // The wave's own runtimes: a `--sample` or `--exclude` wave is not its whole target.
    const v = await dispatch('verify', [wave.env, ...specs, '--wave', wave.waveId, '--json']);
    const r = v.json as VerifyJson;
    if (v.exitCode !== 0 || !r?.manifests) throw new Error(r?.error ?? v.text);
    const notReady = [...r.nonReady.map((n) => `${n.runtimeId} ${n.state}`), ...r.missing.map((m) => `${m} no Manifest`)];
    check = { ok: r.ok, runtimes: r.runtimes, manifests: r.manifests.total, byState: r.manifests.byState, notReady: notReady.slice(0, FINAL_LIST_MAX), notReadyTotal: notReady.length };
  } catch (err) {
    check = { ok: false, runtimes: 0, manifests: 0, byState: {}, notReady: [], notReadyTotal: 0, problem: (err as Error).message.slice(0, 300) };
  }
  const notMigrated = (await journal.listWaveRuntimes(wave.waveId))
    .filter((r) => !(r.result && ['migrated', 'already-migrated'].includes(r.result.outcome)))
    .map((r) => `${r.runtimeId} ${r.result ? `${r.result.outcome}${r.result.reason ? `/${r.result.reason}` : ''}` : r.state}`);
  return { check, notMigrated: notMigrated.slice(0, FINAL_LIST_MAX), notMigratedTotal: notMigrated.length };
}
