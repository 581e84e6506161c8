// BullMQ queue depths (cluster-wide) and, for admins, the newest failed jobs with their error.
import { card, el, replace } from '../dom';
import * as f from '../format';
import type { SystemMetrics } from '../types';

const LABELS: Record<string, string> = { 'online-update': 'online updates', retrain: 'retraining' };

export function queuesPanel(admin: boolean) {
  const { root, body } = card('Queues', { subtitle: 'BullMQ job counts' });

  return {
    root,
    update(m: SystemMetrics) {
      const failures = admin ? m.queues.flatMap((q) => (q.failedJobs ?? []).map((j) => ({ ...j, queue: q.name }))) : [];
      replace(
        body,
        el(
          'table',
          { class: 'data' },
          el('thead', {}, el('tr', {}, ...['queue', 'waiting', 'active', 'delayed', 'failed', 'done'].map((h, i) => el('th', { class: i ? 'num' : '' }, h)))),
          el(
            'tbody',
            {},
            ...m.queues.map((q) =>
              el(
                'tr',
                {},
                el('td', {}, LABELS[q.name] ?? q.name),
                el('td', { class: `num${q.waiting > 100 ? ' warn' : ''}` }, f.count(q.waiting)),
                el('td', { class: 'num' }, f.count(q.active)),
                el('td', { class: 'num' }, f.count(q.delayed)),
                el('td', { class: `num${q.failed ? ' bad' : ''}` }, f.count(q.failed)),
                el('td', { class: 'num muted' }, f.count(q.completed)),
              ),
            ),
          ),
        ),
        admin
          ? failures.length
            ? el(
                'ul',
                { class: 'failures' },
                ...failures.slice(0, 5).map((j) =>
                  el('li', {}, el('div', { class: 'failure-head' }, el('span', { class: 'pill pill-red' }, LABELS[j.queue] ?? j.queue), el('span', { class: 'mono' }, `#${j.id}`), el('span', { class: 'muted' }, `${f.dateTime(j.failedAt)} · ${j.attempts} attempts`)), el('div', { class: 'failure-reason' }, j.reason ?? 'no reason recorded')),
                ),
              )
            : el('p', { class: 'muted small' }, 'No failed jobs kept.')
          : el('p', { class: 'muted small' }, 'Failure details need an admin key.'),
      );
    },
  };
}
