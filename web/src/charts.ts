// Small SVG charts drawn as markup: a multi-series line chart with a grid and axis labels, an interval bar for
// confidence intervals, and a progress bar. Sized in pixels from their container, redrawn on every update.
import { escapeHtml } from './dom';

export interface Series {
  name: string;
  color: string;
  values: number[];
  /** Fill the area under the line (used for the total). */
  area?: boolean;
}

/** A round tick step (1, 2, 2.5 or 5 × 10^k) such that four steps reach `max`, so axes read 0, 25, 50, 75, 100. */
export function niceStep(max: number): number {
  if (!(max > 0)) return 0.25;
  const raw = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= raw) return step * magnitude;
  return 10 * magnitude;
}

export function lineChart(
  width: number,
  height: number,
  series: Series[],
  xLabels: string[],
  opts: { yFormat?: (v: number) => string; yMin?: number; emptyText?: string } = {},
): string {
  const w = Math.max(200, Math.floor(width));
  const h = height;
  const pad = { left: 44, right: 10, top: 10, bottom: 22 };
  const plotW = w - pad.left - pad.right;
  const plotH = h - pad.top - pad.bottom;
  const n = Math.max(...series.map((s) => s.values.length), 0);
  const fmt = opts.yFormat ?? ((v: number) => String(v));
  const all = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  const yMin = opts.yMin ?? 0;
  const yMax = yMin + 4 * niceStep(Math.max(...all, 0) - yMin);
  const x = (i: number) => pad.left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => pad.top + plotH - ((v - yMin) / (yMax - yMin)) * plotH;
  const parts: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const v = yMin + ((yMax - yMin) * t) / 4;
    const gy = y(v).toFixed(1);
    parts.push(`<line x1="${pad.left}" x2="${w - pad.right}" y1="${gy}" y2="${gy}" class="gridline"/>`);
    parts.push(`<text x="${pad.left - 6}" y="${gy}" class="axis" text-anchor="end" dominant-baseline="middle">${escapeHtml(fmt(v))}</text>`);
  }
  const ticks = n > 1 ? [0, Math.floor((n - 1) / 2), n - 1] : [0];
  for (const i of ticks) {
    if (!xLabels[i]) continue;
    const anchor = i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle';
    parts.push(`<text x="${x(i).toFixed(1)}" y="${h - 6}" class="axis" text-anchor="${anchor}">${escapeHtml(xLabels[i])}</text>`);
  }
  if (!all.length && opts.emptyText) {
    parts.push(`<text x="${pad.left + plotW / 2}" y="${pad.top + plotH / 2}" class="axis" text-anchor="middle">${escapeHtml(opts.emptyText)}</text>`);
  }
  for (const s of series) {
    if (!s.values.length) continue;
    const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(Number.isFinite(v) ? v : yMin).toFixed(1)}`);
    if (s.area) {
      const base = y(yMin).toFixed(1);
      parts.push(`<path d="M${x(0).toFixed(1)},${base} L${points.join(' L')} L${x(s.values.length - 1).toFixed(1)},${base} Z" fill="${s.color}" fill-opacity="0.10" stroke="none"/>`);
    }
    parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${s.color}" stroke-width="${s.area ? 2 : 1.5}" stroke-linejoin="round" stroke-linecap="round"/>`);
  }
  return `<svg class="chart" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img">${parts.join('')}</svg>`;
}

/** A 95% interval as a bar on a 0..scale axis, with the estimate as a dot. */
export function intervalBar(low: number, high: number, value: number, scale: number, color: string): string {
  const w = 140;
  const h = 14;
  const sx = (v: number) => (Math.min(Math.max(v / (scale || 1), 0), 1) * (w - 8) + 4).toFixed(1);
  return `<svg class="interval" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img">
    <line x1="4" x2="${w - 4}" y1="7" y2="7" class="track"/>
    <line x1="${sx(low)}" x2="${sx(high)}" y1="7" y2="7" stroke="${color}" stroke-width="6" stroke-linecap="round" stroke-opacity="0.35"/>
    <circle cx="${sx(value)}" cy="7" r="3.5" fill="${color}"/>
  </svg>`;
}

export function progressBar(fraction: number, tone: 'blue' | 'green' | 'red' | 'grey' = 'blue'): string {
  const p = Math.min(Math.max(fraction, 0), 1) * 100;
  return `<div class="progress progress-${tone}"><div class="progress-fill" style="width:${p.toFixed(1)}%"></div></div>`;
}
