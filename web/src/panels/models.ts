// Model versions with their held-out (offline) metrics, the served one marked; admins can promote a ready or
// retired version and roll back to the previously active one (the registry's promoteModel / rollbackModel).
import { card, el, emptyState, replace } from '../dom';
import * as f from '../format';
import { MODEL_VERSIONS, PROMOTE, ROLLBACK } from '../queries';
import type { Api } from '../graphqlClient';
import type { ModelVersion } from '../types';

const STATUS_TONE: Record<string, string> = { active: 'green', ready: 'blue', training: 'amber', retired: 'grey', failed: 'red' };

/** What a version serves: its kind (or fused kinds) and, for a fusion, the strategy on a second line. */
function servesOf(v: ModelVersion): HTMLElement {
  if (v.kind !== 'fusion') return el('td', {}, v.kind);
  const params = v.params ?? {};
  const kinds = Array.isArray(params.components) ? (params.components as { kind: string }[]).map((c) => c.kind).join(' + ') : '';
  return el('td', {}, `fusion of ${kinds}`, el('span', { class: 'sub' }, String(params.strategy ?? 'weighted').replace('_', ' ')));
}

export function modelsPanel(api: Api, notify: (text: string, tone?: 'ok' | 'bad') => void) {
  const rollback = el('button', { class: 'btn', type: 'button', 'data-testid': 'rollback' }, 'Roll back');
  const { root, body } = card('Model versions', { subtitle: 'held-out metrics from training; ★ is served', actions: [rollback] });
  let busy = false;

  const act = async (label: string, run: () => Promise<unknown>) => {
    if (busy || !window.confirm(`${label}? Every API server will swap to it within a second.`)) return;
    busy = true;
    try {
      await run();
      notify(`${label}: done`, 'ok');
      await refresh();
    } catch (err) {
      notify(`${label} failed: ${(err as Error).message}`, 'bad');
    } finally {
      busy = false;
    }
  };

  rollback.addEventListener('click', () => void act('Roll back to the previously active version', () => api.request(ROLLBACK)));

  const refresh = async () => {
    const { modelVersions } = await api.request<{ modelVersions: ModelVersion[] }>(MODEL_VERSIONS);
    if (!modelVersions.length) {
      replace(body, emptyState('No model trained yet.'));
      return;
    }
    replace(
      body,
      el(
        'table',
        { class: 'data' },
        el('thead', {}, el('tr', {}, ...['version', 'serves', 'status', 'NDCG@10', 'hit rate', 'coverage', 'trained', 'note', ''].map((h, i) => el('th', { class: i >= 3 && i <= 5 ? 'num' : '' }, h)))),
        el(
          'tbody',
          {},
          ...modelVersions.map((v) => {
            const m = v.metrics ?? {};
            const promote =
              v.status === 'ready' || v.status === 'retired'
                ? el('button', { class: 'btn btn-small', type: 'button', 'data-testid': `promote-${v.id}` }, 'Promote')
                : null;
            promote?.addEventListener('click', () => void act(`Promote v${v.id}`, () => api.request(PROMOTE, { v: v.id })));
            return el(
              'tr',
              { class: v.status === 'active' ? 'is-active' : '' },
              el('td', { class: 'mono nowrap' }, v.status === 'active' ? el('span', { class: 'star' }, '★ ') : null, `v${v.id}`),
              servesOf(v),
              el('td', {}, el('span', { class: `pill pill-${STATUS_TONE[v.status] ?? 'grey'}` }, v.status)),
              el('td', { class: 'num' }, f.metric(m.ndcg)),
              el('td', { class: 'num' }, f.metric(m.hitRate)),
              el('td', { class: 'num' }, f.metric(m.coverage)),
              el('td', { class: 'muted nowrap' }, f.dateTime(v.createdAt)),
              el('td', { class: 'note' }, v.note ?? ''),
              el('td', { class: 'actions' }, promote),
            );
          }),
        ),
      ),
    );
  };

  return { root, refresh };
}
