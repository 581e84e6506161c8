// Online quality: click-through and conversion of the lists actually served, attributed through their recommId,
// per model version and per fusion strategy.
import { card, el, emptyState, replace } from '../dom';
import * as f from '../format';
import type { QualityRow, SystemMetrics } from '../types';

function table(caption: string, rows: QualityRow[], best: number): HTMLElement {
  return el(
    'table',
    { class: 'data' },
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, ...['', 'lists', 'clicked', 'CTR', 'converted'].map((h, i) => el('th', { class: i ? 'num' : '' }, h)))),
    el(
      'tbody',
      {},
      ...rows.map((r) =>
        el(
          'tr',
          {},
          el('td', { class: 'mono' }, r.key),
          el('td', { class: 'num' }, f.count(r.impressions)),
          el('td', { class: 'num' }, f.count(r.clicks)),
          el('td', { class: 'num' }, el('span', { class: 'bar-cell' }, el('span', { class: 'bar', 'data-fraction': best ? r.ctr / best : 0 }), el('strong', {}, f.pct(r.ctr)))),
          el('td', { class: 'num' }, f.pct(r.conversionRate)),
        ),
      ),
    ),
  );
}

export function qualityPanel() {
  const { root, body, subtitle } = card('Online quality', { subtitle: 'lists served, clicks and purchases attributed by recommId' });

  return {
    root,
    update(m: SystemMetrics) {
      const q = m.quality;
      subtitle.textContent = `lists served in the last ${m.window}, clicks and purchases attributed by recommId`;
      if (!q.totals.impressions) {
        replace(body, emptyState('No lists served in this window yet.'));
        return;
      }
      const best = Math.max(...q.byModelVersion.map((r) => r.ctr), ...q.byStrategy.map((r) => r.ctr), 0);
      replace(body, table('by model version', q.byModelVersion, best), table('by fusion strategy', q.byStrategy, best));
      body.querySelectorAll<HTMLElement>('.bar').forEach((b) => (b.style.width = `${Math.round(Number(b.dataset.fraction) * 48)}px`));
    },
  };
}
