// "Watch a shopper": enter a user id and see their list as it is now, then every refreshed list pushed to them,
// with the items that entered the top or moved marked.
import { card, el, emptyState, replace } from '../dom';
import * as f from '../format';
import { SHOPPER_LIST, SHOPPER_UPDATES } from '../queries';
import type { Api } from '../graphqlClient';
import type { PushedList } from '../types';

export function shopperPanel(api: Api) {
  const input = el('input', { type: 'text', placeholder: 'user id, e.g. u1', 'data-testid': 'shopper-id', 'aria-label': 'user id', autocomplete: 'off', spellcheck: 'false' });
  const button = el('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'watch' }, 'Watch');
  const form = el('form', { class: 'inline-form' }, input, button);
  const status = el('div', { class: 'shopper-status', 'data-testid': 'shopper-status' });
  const list = el('ol', { class: 'shopper-list', 'data-testid': 'shopper-list' });
  const listBox = el('div', {}, emptyState('Enter a user id to follow their recommendations.'));
  const { root, body } = card('Watch a shopper', { subtitle: 'their list, live as their events arrive' });
  replace(body, form, status, listBox);

  let stop: (() => void) | null = null;
  let previous: string[] = [];
  let updates = 0;

  const render = (l: PushedList, pushed: boolean) => {
    if (pushed) updates++;
    const ids = l.items.map((i) => i.item.id);
    status.replaceChildren(
      el('span', { class: `dot ${pushed ? 'dot-live' : 'dot-idle'}` }),
      el('span', {}, pushed ? `update ${updates} at ${f.time(l.generatedAt)}` : `current list at ${f.time(l.generatedAt)}`),
      el('span', { class: 'muted' }, ` · ${l.modelVersion}`),
    );
    list.replaceChildren(
      ...l.items.map((it, rank) => {
        const before = previous.indexOf(it.item.id);
        const move = !pushed || !previous.length ? null : before < 0 ? 'new' : before > rank ? 'up' : before < rank ? 'down' : null;
        const reason = it.reasons[0];
        return el(
          'li',
          { class: `shopper-item${move === 'new' ? ' is-new' : ''}`, 'data-item-id': it.item.id },
          el('span', { class: 'rank' }, rank + 1),
          el('div', { class: 'item-main' }, el('div', { class: 'item-title' }, it.item.title, move ? el('span', { class: `move move-${move}` }, move === 'new' ? 'new' : move === 'up' ? '▲' : '▼') : null), el('div', { class: 'item-meta' }, [it.item.category, reason?.explanation ?? reason?.source].filter(Boolean).join(' · '))),
          el('span', { class: 'score mono' }, it.score.toFixed(3)),
        );
      }),
    );
    if (list.parentElement !== listBox) replace(listBox, list);
    previous = ids;
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const userId = input.value.trim();
    if (!userId) return;
    stop?.();
    previous = [];
    updates = 0;
    status.replaceChildren(el('span', { class: 'dot dot-idle' }), el('span', {}, `following ${userId}…`));
    stop = api.subscribe<{ recommendationsUpdated: PushedList }>(SHOPPER_UPDATES, { u: userId }, (d) => render(d.recommendationsUpdated, true), (err) => status.replaceChildren(el('span', { class: 'bad' }, err.message)));
    api.request<{ recommendations: PushedList }>(SHOPPER_LIST, { u: userId }).then(
      (d) => {
        if (!updates) render(d.recommendations, false);
      },
      (err: Error) => status.replaceChildren(el('span', { class: 'bad' }, err.message)),
    );
  });

  return { root };
}
