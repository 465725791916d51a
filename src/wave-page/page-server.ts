/**
 * Read-only wave pages under `/waves/`, served on HEALTH_PORT by the bot and by `istio-migrate serve`, rendered from
 * the journal only (wave-view.ts):
 * - `/waves/<waveId>?exp=…&sig=…` the page; `…/events` its live updates (server-sent events); `…/chart.svg` the
 *   timeline chart; all three need the wave's signed link (signed-link.ts), otherwise 403;
 * - `/waves/index/<env>?exp=…&sig=…` the environment's waves, each with a signed link;
 * - `/waves/assets/…` uPlot (from node_modules) and the page's own script and stylesheet: public, no data.
 * Without a key nothing but the assets is served (403): a page is reached only through a link the bot made.
 * Limitation: the live updates poll the journal (every `pollMs`), so a page follows a wave run by another replica too.
 */
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { createRequire } from 'node:module';
import type { Journal } from '../journal/journal.js';
import type { BudgetPolicy } from '../rollout/wave-budget.js';
import { isFinalWaveState } from '../journal/ids-and-states.js';
import { PAGE_CSS, PAGE_JS } from './page-assets.js';
import { checkLink, signedQuery, type LinkSubject } from './signed-link.js';
import { timelineSvg } from './timeline-chart.js';
import { buildWaveView, type Breakdown, type WaveView } from './wave-view.js';
import { runningWord } from '../text/words.js';

export interface WavePageDeps {
  journal: () => Promise<Journal>;
  /** The link key; undefined: pages are off (every page answers 403). */
  key: Buffer | undefined;
  budget: BudgetPolicy;
  envs: readonly string[];
  /** How often live pages re-read the journal (default 1000 ms). */
  pollMs?: number;
  now?: () => number;
}

const require = createRequire(import.meta.url);
let uplot: { js: Buffer; css: Buffer } | undefined;
function uplotAssets(): { js: Buffer; css: Buffer } {
  uplot ??= { js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js')), css: readFileSync(require.resolve('uplot/dist/uPlot.min.css')) };
  return uplot;
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export function esc(s: string | number | null | undefined): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fmtDuration(s: number | null): string {
  if (s === null) return '—';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${m} min` : m ? `${m} min` : `${s} s`;
}

function breakdownTable(caption: string, rows: Breakdown[], limit = 50): string {
  const shown = rows.slice(0, limit);
  return `<table><caption>${esc(caption)}${rows.length > limit ? ` (first ${limit} of ${rows.length})` : ''}</caption>
<thead><tr><th scope="col">${esc(caption.split(' ').pop())}</th><th class="n" scope="col">runtimes</th><th class="n" scope="col">done</th><th class="n" scope="col">ok</th><th class="n" scope="col">customer</th><th class="n" scope="col">platform failures</th><th class="n" scope="col">skipped</th></tr></thead><tbody>
${shown.map((b) => `<tr><th scope="row">${esc(b.key)}</th><td class="n">${b.total}</td><td class="n">${b.done}</td><td class="n">${b.ok}</td><td class="n">${b.customer}</td><td class="n">${b.platform}</td><td class="n">${b.skipped}</td></tr>`).join('\n')}
</tbody></table>`;
}

/** The parts of the page that change while a wave runs (the live updates replace them as a whole). */
export function renderSections(v: WaveView): string {
  const count = (name: string, label: string, n: number) => `<dt>${esc(label)}</dt><dd data-count="${esc(name)}">${n}</dd>`;
  const counts = Object.entries(v.counts)
    .map(([k, n]) => count(k, k, n))
    .join('');
  const progressRows = v.timeline
    .slice(-30)
    .map((p) => `<tr><td>${new Date(p.t * 1000).toISOString().slice(11, 19)}</td><td class="n">${p.done}</td><td class="n">${p.perMinute}</td><td class="n">${p.inFlight}</td><td class="n">${p.failures}</td><td class="n">${p.p50 ?? '—'}</td><td class="n">${p.p90 ?? '—'}</td><td class="n">${p.unpatchedP50 ?? '—'}</td><td class="n">${p.unpatchedP90 ?? '—'}</td></tr>`)
    .join('\n');
  const lim = v.limitNow;
  const limitText = lim
    ? `concurrency limit now <strong data-field="limit">${lim.limit}</strong> of ${lim.requested} requested, <span data-field="limitCause">${esc(lim.cause)}</span>`
    : `concurrency ${v.concurrency} requested (${isFinalWaveState(v.state) ? 'the wave has ended' : 'no limit saved by its runner now'})`;
  const changes = v.limitHistory.slice(-30);
  const limitRows = changes
    .map((p) => `<tr><td>${new Date(p.t * 1000).toISOString().slice(11, 19)}</td><td class="n">${p.limit}</td><td class="n">${p.requested}</td><td>${esc(p.cause)}</td></tr>`)
    .join('\n');
  const nr = v.notReady.slice(0, 500);
  return `<section aria-labelledby="h-progress"><h2 id="h-progress">Progress</h2>
<p>State <strong data-field="state">${esc(v.state)}</strong>. <span data-field="finished">${v.finished}</span> of <span data-field="total">${v.total}</span> runtimes done; ${v.counts.running} ${runningWord(v.state, 'in flight')}; ${limitText};
platform failures <span data-field="platformFailures">${v.platformFailures}</span> of a budget of <span data-field="budget">${v.budget}</span>${v.platformFailures >= v.budget ? ' — budget reached: no new starts' : ''}; ETA ${esc(fmtDuration(v.etaSeconds))}.</p>
<dl class="counts" aria-label="counts by outcome">${count('total', 'total', v.total)}${counts}</dl>
<table><caption>Progress every ${v.bucketSeconds} s (last 30 intervals; the charts' text equivalent)</caption><thead><tr><th scope="col">time (UTC)</th><th class="n" scope="col">done</th><th class="n" scope="col">done per minute</th><th class="n" scope="col">in flight</th><th class="n" scope="col">platform failures</th><th class="n" scope="col">patch to Ready p50 s</th><th class="n" scope="col">patch to Ready p90 s</th><th class="n" scope="col">start to result p50 s (not patched)</th><th class="n" scope="col">start to result p90 s (not patched)</th></tr></thead><tbody>
${progressRows}</tbody></table>
${changes.length ? `<table data-table="limit"><caption>Concurrency limit changes (${v.limitHistory.length > changes.length ? `last ${changes.length} of ${v.limitHistory.length}` : changes.length}; the limit chart's text equivalent)</caption><thead><tr><th scope="col">from (UTC)</th><th class="n" scope="col">limit</th><th class="n" scope="col">requested</th><th scope="col">cause</th></tr></thead><tbody>
${limitRows}</tbody></table>` : '<p>No concurrency limit history recorded for this wave.</p>'}
</section>
<section aria-labelledby="h-outcomes"><h2 id="h-outcomes">Outcomes</h2>
${breakdownTable('Outcomes by region', v.byRegion)}${breakdownTable('Outcomes by plan', v.byPlan)}${breakdownTable('Outcomes by global account', v.byAccount)}</section>
<section aria-labelledby="h-notready"><h2 id="h-notready">Not Ready (<span data-count="notReady">${v.notReady.length}</span>)</h2>
${nr.length ? `<table><caption>Runtimes that did not end Ready, with what to do${v.notReady.length > nr.length ? ` (first ${nr.length}; export the wave for all)` : ''}</caption><thead><tr><th scope="col">runtime</th><th scope="col">shoot</th><th scope="col">region</th><th scope="col">plan</th><th scope="col">global account</th><th scope="col">outcome</th><th scope="col">reason</th><th scope="col">detail</th><th scope="col">what to do</th></tr></thead><tbody>
${nr.map((r) => `<tr><td>${esc(r.runtimeId)}</td><td>${esc(r.shootName)}</td><td>${esc(r.region)}</td><td>${esc(r.plan)}</td><td>${esc(r.globalAccountId)}</td><td>${esc(r.outcome)}</td><td>${esc(r.reason ?? '')}</td><td>${esc(r.detail ?? '')}</td><td>${esc(r.todo)}</td></tr>`).join('\n')}</tbody></table>` : '<p>none</p>'}</section>
<section aria-labelledby="h-tasks"><h2 id="h-tasks">Customer tasks (<span data-count="tasks">${v.tasks.length}</span>)</h2>
${v.tasks.length ? `<table><caption>Customer-contact tasks of this wave</caption><thead><tr><th scope="col">task</th><th scope="col">runtime</th><th scope="col">shoot</th><th scope="col">global account</th><th scope="col">state</th><th scope="col">Istio CRs</th></tr></thead><tbody>
${v.tasks.map((t) => `<tr><td>${esc(t.taskId)}</td><td>${esc(t.runtimeId)}</td><td>${esc(t.shootName)}</td><td>${esc(t.globalAccountId)}</td><td>${esc(t.state)}</td><td>${esc(t.istioCrs)}</td></tr>`).join('\n')}</tbody></table>` : '<p>none</p>'}</section>
<section aria-labelledby="h-approvals"><h2 id="h-approvals">Approval trail</h2>
<p>Requested by <strong>${esc(v.requestedBy)}</strong>${v.approvedBy ? `, approved by <strong>${esc(v.approvedBy)}</strong>` : ', no approval needed or recorded'}; plan <code>${esc(v.planHash)}</code>; created ${esc(v.createdAt)}${v.finishedAt ? `, ended ${esc(v.finishedAt)}` : ''}.</p>
${v.approvals.length ? `<table><caption>Approvals of plan ${esc(v.planHash.slice(0, 12))}</caption><thead><tr><th scope="col">approver</th><th scope="col">for</th><th scope="col">action</th><th scope="col">plan hash</th><th scope="col">at</th><th scope="col">expires</th><th scope="col">used</th></tr></thead><tbody>
${v.approvals.map((a) => `<tr><td>${esc(a.approver)}</td><td>${esc(a.requestedBy)}</td><td>${esc(a.action)}</td><td><code>${esc(a.planHash)}</code></td><td>${esc(a.createdAt)}</td><td>${esc(a.expiresAt)}</td><td>${a.usedAt ? `${esc(a.usedAt)} by ${esc(a.usedBy)}` : 'no'}</td></tr>`).join('\n')}</tbody></table>` : ''}</section>`;
}

function pageHtml(v: WaveView, query: string): string {
  const json = JSON.stringify(v).replace(/</g, '\\u003c');
  const live = !isFinalWaveState(v.state);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(v.waveId)} — istio-migrate</title><link rel="stylesheet" href="/waves/assets/uPlot.min.css"><link rel="stylesheet" href="/waves/assets/page.css"></head>
<body><h1>Wave ${esc(v.waveId)}: ${esc(v.env)} ${esc(v.target)}</h1>
<p id="live" class="live" aria-live="polite">${live ? `generated ${esc(v.generatedAt)}; live updates on` : 'wave ended; page final'}</p>
<div class="charts" role="group" aria-label="charts (the tables below say the same in text)"><div id="chart-progress" class="chart"></div><div id="chart-rate" class="chart"></div><div id="chart-latency" class="chart"></div><div id="chart-limit" class="chart"></div></div>
<p><a href="/waves/${encodeURIComponent(v.waveId)}/chart.svg?${esc(query)}">timeline chart (SVG)</a></p>
<div id="sections">${renderSections(v)}</div>
<script type="application/json" id="wave-data"${live ? ` data-events="/waves/${esc(encodeURIComponent(v.waveId))}/events?${esc(query)}"` : ''}>${json}</script>
<script src="/waves/assets/uPlot.iife.min.js"></script><script src="/waves/assets/page.js"></script></body></html>`;
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'Content-Type': type, ...SECURITY_HEADERS }).end(body);
}

function forbidden(res: http.ServerResponse, why: string): void {
  send(res, 403, 'text/plain; charset=utf-8', `forbidden: ${why}. Open the page through the link the bot posted (it is signed and expires); ask the bot for a new one with: status WAVE\n`);
}

/** The signed path of a wave's page (`/waves/<id>?exp=…&sig=…`), relative to the base URL. */
export function wavePagePath(key: Buffer, waveId: string, ttlSeconds: number, now = Date.now()): string {
  return `/waves/${encodeURIComponent(waveId)}?${signedQuery(key, `wave:${waveId}`, ttlSeconds, now)}`;
}

export function indexPagePath(key: Buffer, env: string, ttlSeconds: number, now = Date.now()): string {
  return `/waves/index/${encodeURIComponent(env)}?${signedQuery(key, `index:${env}`, ttlSeconds, now)}`;
}

/** Answers a request under `/waves/`; false when the path is not one of ours. */
export async function handleWavePage(req: http.IncomingMessage, res: http.ServerResponse, deps: WavePageDeps): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://x');
  if (!url.pathname.startsWith('/waves/')) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain', 'read only\n');
    return true;
  }
  let parts: string[];
  try {
    parts = url.pathname.slice('/waves/'.length).split('/').map(decodeURIComponent);
  } catch {
    // A malformed %-escape: answered like every other refusal here (with the security headers), not as a crash.
    send(res, 400, 'text/plain; charset=utf-8', 'bad request: the path has a malformed %-escape. Open the page through the link the bot posted\n');
    return true;
  }
  if (parts[0] === 'assets') {
    const name = parts[1];
    if (name === 'uPlot.iife.min.js') send(res, 200, 'text/javascript; charset=utf-8', uplotAssets().js);
    else if (name === 'uPlot.min.css') send(res, 200, 'text/css; charset=utf-8', uplotAssets().css);
    else if (name === 'page.js') send(res, 200, 'text/javascript; charset=utf-8', PAGE_JS);
    else if (name === 'page.css') send(res, 200, 'text/css; charset=utf-8', PAGE_CSS);
    else send(res, 404, 'text/plain', 'no such asset\n');
    return true;
  }
  const now = deps.now?.() ?? Date.now();
  const subject: LinkSubject = parts[0] === 'index' ? `index:${parts[1] ?? ''}` : `wave:${parts[0]}`;
  if (!deps.key) {
    forbidden(res, 'wave pages are not configured (page.keyEnv or page.keyFile)');
    return true;
  }
  const check = checkLink(deps.key, subject, url.searchParams, now);
  if (check !== 'ok') {
    forbidden(res, check === 'expired' ? 'the link has expired' : check === 'unsigned' ? 'the link is not signed' : 'the link signature does not match');
    return true;
  }
  const query = `exp=${url.searchParams.get('exp')}&sig=${url.searchParams.get('sig')}`;
  const journal = await deps.journal();
  if (parts[0] === 'index') {
    const env = parts[1];
    const waves = (await journal.listWaves({ env })).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const ttl = Number(url.searchParams.get('exp')) - Math.floor(now / 1000);
    const rows = waves.map((w) => `<tr><td><a href="${esc(wavePagePath(deps.key!, w.waveId, ttl, now))}">${esc(w.waveId)}</a></td><td>${esc(w.target)}</td><td>${esc(w.state)}</td><td>${esc(w.requestedBy)}</td><td>${esc(w.approvedBy ?? '')}</td><td>${esc(w.createdAt)}</td><td>${esc(w.finishedAt ?? '')}</td></tr>`);
    send(
      res,
      200,
      'text/html; charset=utf-8',
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Waves of ${esc(env)} — istio-migrate</title><link rel="stylesheet" href="/waves/assets/page.css"></head><body><h1>Waves of ${esc(env)}</h1>
<table><caption>${waves.length} waves, newest first</caption><thead><tr><th scope="col">wave</th><th scope="col">target</th><th scope="col">state</th><th scope="col">requested by</th><th scope="col">approved by</th><th scope="col">created</th><th scope="col">ended</th></tr></thead><tbody>
${rows.join('\n')}</tbody></table></body></html>`,
    );
    return true;
  }
  const waveId = parts[0];
  const viewDeps = { journal, budget: deps.budget, now: deps.now };
  const view = await buildWaveView(viewDeps, waveId);
  if (!view) {
    send(res, 404, 'text/plain', `no wave ${waveId}\n`);
    return true;
  }
  if (parts[1] === 'chart.svg') {
    send(res, 200, 'image/svg+xml', timelineSvg(view));
    return true;
  }
  if (parts[1] === 'events') {
    streamEvents(req, res, view, () => buildWaveView({ ...viewDeps, now: undefined }, waveId), deps.pollMs ?? 1000);
    return true;
  }
  if (parts.length > 1) {
    send(res, 404, 'text/plain', 'not found\n');
    return true;
  }
  send(res, 200, 'text/html; charset=utf-8', pageHtml(view, query));
  return true;
}

/** Server-sent events: a `view` event whenever the view changes (the first at once), `end` when the wave ended. */
function streamEvents(req: http.IncomingMessage, res: http.ServerResponse, first: WaveView, read: () => Promise<WaveView | undefined>, pollMs: number): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  let lastKey = '';
  let closed = false;
  const emit = (v: WaveView) => {
    const { generatedAt: _ignored, ...rest } = v;
    const key = JSON.stringify(rest);
    if (key !== lastKey) {
      lastKey = key;
      res.write(`event: view\ndata: ${JSON.stringify({ view: v, html: renderSections(v) })}\n\n`);
    }
    if (isFinalWaveState(v.state)) {
      res.end('event: end\ndata: {}\n\n');
      closed = true;
    }
  };
  req.on('close', () => (closed = true));
  emit(first);
  const tick = async () => {
    if (closed) return;
    try {
      const v = await read();
      if (v && !closed) emit(v);
    } catch {
      // The journal was closed under us (shutdown): end the stream; the browser reconnects to a live process.
      closed = true;
      res.end();
      return;
    }
    if (!closed) setTimeout(() => void tick(), pollMs).unref();
  };
  setTimeout(() => void tick(), pollMs).unref();
}
