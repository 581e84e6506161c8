// Latency percentiles and error rates per operation group (recommend, search, track, other), with the request
// rate and a line of requests and server errors over the window.
import { card, el, replace } from '../dom';
import { lineChart } from '../charts';
import * as f from '../format';
import type { SystemMetrics } from '../types';

export function latencyPanel() {
  const { root, body, subtitle } = card('Latency and errors', { subtitle: 'GraphQL over HTTP, all API servers' });
  const table = el('div', { class: 'table-wrap' });
  const chart = el('div', { class: 'chart-box chart-small' });
  replace(body, table, chart);

  return {
    root,
    update(m: SystemMetrics) {
      subtitle.textContent = `GraphQL over HTTP, all API servers · last ${m.window}`;
      const rows = [...m.operations].sort((a, b) => order(a.operation) - order(b.operation) || b.requests - a.requests);
      replace(
        table,
        el(
          'table',
          { class: 'data' },
          el('thead', {}, el('tr', {}, ...['operation', 'req / s', 'p50', 'p95', 'p99', 'errors'].map((h, i) => el('th', { class: i ? 'num' : '' }, h)))),
          el(
            'tbody',
            {},
            ...rows.map((o) =>
              el(
                'tr',
                { 'data-operation': o.operation },
                el('td', {}, o.operation),
                el('td', { class: 'num' }, f.rate(o.perSecond)),
                el('td', { class: 'num' }, f.ms(o.p50Ms)),
                el('td', { class: 'num' }, el('strong', {}, f.ms(o.p95Ms))),
                el('td', { class: 'num' }, f.ms(o.p99Ms)),
                el('td', { class: `num${o.serverErrors ? ' bad' : ''}` }, o.requests ? f.pct(o.errorRate, 2) : '–'),
              ),
            ),
          ),
        ),
      );
      const step = m.series.length > 1 ? (Date.parse(m.series[1].at) - Date.parse(m.series[0].at)) / 1000 : 1;
      chart.innerHTML = lineChart(
        chart.clientWidth || 400,
        120,
        [
          { name: 'requests', color: '#0ea5e9', values: m.series.map((p) => p.requests / step), area: true },
          { name: 'errors', color: '#ef4444', values: m.series.map((p) => p.errors / step) },
        ],
        m.series.map((p) => f.time(p.at)),
        { yFormat: (v) => f.rate(v) },
      );
    },
  };
}

function order(op: string): number {
  return ['recommend', 'search', 'track'].indexOf(op) + 1 || 9;
}
