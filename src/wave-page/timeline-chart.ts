/**
 * The wave's timeline chart, rendered server-side: runtimes done (cumulative), in flight, and platform failures
 * against the error budget, per minute. SVG built here (lines told apart by dash pattern and a label at each line's
 * end, not by colour alone); PNG through @resvg/resvg-js (its binary ships in the npm package). Used by
 * `export W --format svg|png` and by the chart posted into a wave's thread when it ends.
 */
import type { WaveView } from './wave-view.js';

const W = 800;
const H = 360;
const M = { left: 56, right: 120, top: 40, bottom: 44 };

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function hhmm(t: number): string {
  return new Date(t * 1000).toISOString().slice(11, 19);
}

export function timelineSvg(v: WaveView): string {
  const pts = v.timeline.length ? v.timeline : [{ t: Math.floor(Date.parse(v.createdAt) / 1000), done: 0, inFlight: 0, failures: 0, perMinute: 0, p50: null, p90: null, unpatchedP50: null, unpatchedP90: null }];
  const t0 = pts[0].t;
  const t1 = Math.max(pts[pts.length - 1].t + v.bucketSeconds, t0 + 60);
  const yMax = Math.max(1, v.total, v.budget);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (t: number) => M.left + ((t - t0) / (t1 - t0)) * pw;
  const y = (n: number) => M.top + ph - (n / yMax) * ph;
  const line = (get: (p: (typeof pts)[number]) => number) => pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(get(p)).toFixed(1)}`).join('');
  const last = pts[pts.length - 1];
  const series = [
    { name: 'done', d: line((p) => p.done), dash: '', width: 3, color: '#1f5fa8', value: last.done },
    { name: 'in flight', d: line((p) => p.inFlight), dash: '8 4', width: 2, color: '#6b4c9a', value: last.inFlight },
    { name: 'platform failures', d: line((p) => p.failures), dash: '2 3', width: 2.5, color: '#b3261e', value: last.failures },
    { name: `budget (${v.budget})`, d: `M${x(t0)},${y(v.budget)}L${x(t1)},${y(v.budget)}`, dash: '12 4 2 4', width: 1.5, color: '#444', value: v.budget },
  ];
  const ticksY = [0, Math.round(yMax / 4), Math.round(yMax / 2), Math.round((3 * yMax) / 4), yMax];
  const ticksX = [t0, t0 + (t1 - t0) / 2, t1];
  const desc = `${v.waveId}: ${last.done} of ${v.total} runtimes done, ${last.inFlight} in flight, ${last.failures} platform failures against a budget of ${v.budget}.`;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="t d" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<title id="t">Timeline of wave ${esc(v.waveId)}</title><desc id="d">${esc(desc)}</desc>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${M.left}" y="22" font-size="15" font-weight="bold">${esc(v.waveId)} (${esc(v.env)} ${esc(v.target)}): ${esc(v.state)}</text>`,
  ];
  for (const n of ticksY) out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(n)}" y2="${y(n)}" stroke="#ddd"/><text x="${M.left - 6}" y="${y(n) + 4}" text-anchor="end">${n}</text>`);
  for (const t of ticksX) out.push(`<text x="${x(t)}" y="${M.top + ph + 18}" text-anchor="middle">${hhmm(t)}</text>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 6}" text-anchor="middle">time (UTC)</text>`);
  out.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" stroke="#000"/><line x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="#000"/>`);
  for (const s of series) out.push(`<path d="${s.d}" fill="none" stroke="${s.color}" stroke-width="${s.width}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
  // Labels at the lines' ends, lowest value first, each at least a line above the one below it.
  let below = Infinity;
  for (const s of [...series].sort((a, b) => a.value - b.value)) {
    const ly = Math.min(y(s.value) + 4, below - 13);
    below = ly;
    out.push(`<text x="${M.left + pw + 6}" y="${ly}">${esc(s.name)}: ${s.value}</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

export async function timelinePng(v: WaveView): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const r = new Resvg(timelineSvg(v), { background: '#ffffff', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
  return r.render().asPng();
}
