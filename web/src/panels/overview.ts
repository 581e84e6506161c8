// The headline tiles: live event rate, events stored, recommendation latency, error rate, pushes, click-through
// and the processes reporting. Each tile shows one number large and its context small.
import { el } from '../dom';
import * as f from '../format';
import type { SystemMetrics } from '../types';

interface Tile {
  value: HTMLElement;
  detail: HTMLElement;
}

function tile(label: string, testId: string): { root: HTMLElement } & Tile {
  const value = el('div', { class: 'tile-value', 'data-testid': testId }, '–');
  const detail = el('div', { class: 'tile-detail' }, '');
  return { root: el('div', { class: 'tile' }, el('div', { class: 'tile-label' }, label), value, detail), value, detail };
}

export function overviewPanel() {
  const tiles = {
    rate: tile('Events / second', 'events-rate'),
    total: tile('Events stored', 'events-total'),
    latency: tile('Recommend p95', 'recommend-p95'),
    errors: tile('Server error rate', 'error-rate'),
    pushes: tile('Pushes / second', 'pushes-rate'),
    ctr: tile('Click-through', 'ctr'),
    processes: tile('Processes', 'processes'),
  };
  const root = el('div', { class: 'tiles' }, ...Object.values(tiles).map((t) => t.root));
  const set = (t: Tile, value: string, detail: string) => {
    t.value.textContent = value;
    t.detail.textContent = detail;
  };

  return {
    root,
    update(m: SystemMetrics) {
      set(tiles.rate, f.rate(m.eventsCurrent), `${f.rate(m.eventsPerSecond)} / s over ${m.window}`);
      set(tiles.total, f.count(m.eventsTotal), `${f.count(m.eventsInWindow)} in the last ${m.window}`);
      const rec = m.operations.find((o) => o.operation === 'recommend');
      set(tiles.latency, f.ms(rec?.p95Ms), rec?.requests ? `p50 ${f.ms(rec.p50Ms)} · p99 ${f.ms(rec.p99Ms)}` : 'no requests in window');
      const requests = m.operations.reduce((s, o) => s + o.requests, 0);
      const serverErrors = m.operations.reduce((s, o) => s + o.serverErrors, 0);
      const clientErrors = m.operations.reduce((s, o) => s + o.clientErrors, 0);
      set(tiles.errors, requests ? f.pct(serverErrors / requests, 2) : '–', `${f.count(clientErrors)} refused as client errors`);
      tiles.errors.value.classList.toggle('bad', serverErrors > 0);
      set(tiles.pushes, f.rate(m.pushesCurrent), `${f.count(m.pushesTotal)} pushed in total`);
      const q = m.quality.totals;
      set(tiles.ctr, q.impressions ? f.pct(q.ctr) : '–', `${f.count(q.impressions)} lists · ${f.pct(q.conversionRate)} converted`);
      set(tiles.processes, String(m.processes), m.activeModel ? `serving ${m.activeModel}` : 'no model trained yet');
    },
  };
}
