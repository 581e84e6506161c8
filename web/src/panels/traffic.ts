// Events per second by type over the window, as a line per type plus the total, with the current rates beside it.
import { card, el, replace } from '../dom';
import { lineChart, type Series } from '../charts';
import * as f from '../format';
import { eventColour, TOTAL_COLOUR } from '../palette';
import type { SystemMetrics } from '../types';

export function trafficPanel() {
  const { root, body, subtitle } = card('Events per second', { subtitle: 'by type, cluster-wide' });
  const chart = el('div', { class: 'chart-box' });
  const legend = el('div', { class: 'legend' });
  replace(body, el('div', { class: 'chart-with-legend' }, chart, legend));

  return {
    root,
    update(m: SystemMetrics) {
      const step = m.series.length > 1 ? (Date.parse(m.series[1].at) - Date.parse(m.series[0].at)) / 1000 : 1;
      subtitle.textContent = `by type, cluster-wide · ${step === 1 ? 'per second' : 'per-minute averages'} · last ${m.window}`;
      const types = m.eventRates.map((r) => r.type);
      const series: Series[] = [
        { name: 'all', color: TOTAL_COLOUR, values: m.series.map((p) => p.events / step), area: true },
        ...types.map((type) => ({
          name: type,
          color: eventColour(type),
          values: m.series.map((p) => (p.byType.find((t) => t.type === type)?.count ?? 0) / step),
        })),
      ];
      const labels = m.series.map((p) => f.time(p.at));
      chart.innerHTML = lineChart(chart.clientWidth || 600, 210, series, labels, { yFormat: (v) => f.rate(v), emptyText: 'no events yet' });
      replace(
        legend,
        el('div', { class: 'legend-row legend-head' }, el('span', {}, 'type'), el('span', {}, 'now / s'), el('span', {}, m.window)),
        el('div', { class: 'legend-row' }, el('span', {}, el('i', { class: 'swatch', 'data-colour': TOTAL_COLOUR }), 'all'), el('strong', {}, f.rate(m.eventsCurrent)), el('span', {}, f.count(m.eventsInWindow))),
        ...m.eventRates.map((r) =>
          el('div', { class: 'legend-row' }, el('span', {}, el('i', { class: 'swatch', 'data-colour': eventColour(r.type) }), r.type.toLowerCase().replace(/_/g, ' ')), el('strong', {}, f.rate(r.current)), el('span', {}, f.count(r.count))),
        ),
      );
      // Swatch colours come from data attributes, so no inline style is written from data.
      legend.querySelectorAll<HTMLElement>('.swatch').forEach((s) => (s.style.background = s.dataset.colour ?? ''));
    },
  };
}
