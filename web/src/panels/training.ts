// Retrain jobs: the newest ones with their state, the running one followed live over trainingProgress with a
// progress bar and its loss curve, and a Retrain button for admins.
import { card, el, emptyState, replace } from '../dom';
import { lineChart, progressBar } from '../charts';
import * as f from '../format';
import { RECENT_JOBS, RETRAIN, TRAINING_PROGRESS } from '../queries';
import type { Api } from '../graphqlClient';
import type { TrainingJob } from '../types';

const TONE: Record<TrainingJob['status'], 'blue' | 'green' | 'red' | 'grey'> = { running: 'blue', queued: 'grey', completed: 'green', failed: 'red' };

export function trainingPanel(api: Api, notify: (text: string, tone?: 'ok' | 'bad') => void) {
  const retrain = el('button', { class: 'btn', type: 'button', 'data-testid': 'retrain' }, 'Retrain');
  const { root, body } = card('Training', { subtitle: 'retrain jobs, progress and loss', actions: [retrain] });
  const live = el('div', { class: 'training-live' });
  const list = el('div', {});
  replace(body, live, list);

  let followed: string | null = null;
  let stopFollowing: (() => void) | null = null;
  let losses: { step: number; loss: number }[] = [];
  let current: TrainingJob | null = null;

  const drawLive = () => {
    if (!current) {
      replace(live, emptyState('No retrain running.'));
      return;
    }
    const j = current;
    const chart = el('div', { class: 'chart-box chart-small' });
    replace(
      live,
      el('div', { class: 'job-head' }, el('strong', {}, `Job #${j.id}`), el('span', { class: `pill pill-${TONE[j.status]}` }, j.status), el('span', { class: 'muted' }, [j.phase, j.epoch !== null ? `epoch ${j.epoch}` : null, j.loss !== null ? `loss ${j.loss.toFixed(4)}` : null].filter(Boolean).join(' · '))),
      el('div', { class: 'progress-row' }, el('div', { class: 'progress-slot' }), el('span', { class: 'mono' }, `${j.progress.toFixed(0)}%`)),
      j.error ? el('div', { class: 'failure-reason' }, j.error) : null,
      chart,
    );
    (live.querySelector('.progress-slot') as HTMLElement).innerHTML = progressBar(j.progress / 100, TONE[j.status]);
    if (!losses.length) {
      replace(chart, el('p', { class: 'muted small' }, 'No loss reported: only models trained by gradient steps (mf, seq) report one per epoch.'));
      return;
    }
    const values = losses.map((p) => p.loss);
    const min = Math.min(...values);
    chart.innerHTML = lineChart(chart.clientWidth || 400, 120, [{ name: 'loss', color: '#7c3aed', values, area: true }], losses.map((p) => `update ${p.step}`), {
      yFormat: (v) => v.toFixed(2),
      // Losses rarely start near 0: zoom the axis onto the range that moves.
      yMin: Math.max(0, min - (Math.max(...values) - min) * 0.1),
    });
  };

  const follow = (job: TrainingJob) => {
    if (followed === job.id) return;
    stopFollowing?.();
    followed = job.id;
    losses = [];
    current = job;
    stopFollowing = api.subscribe<{ trainingProgress: TrainingJob }>(TRAINING_PROGRESS, { id: job.id }, (d) => {
      const j = d.trainingProgress;
      current = j;
      if (j.loss !== null && Number.isFinite(j.loss)) losses.push({ step: losses.length + 1, loss: j.loss });
      drawLive();
      if (j.status === 'completed' || j.status === 'failed') void refresh();
    });
    drawLive();
  };

  const refresh = async () => {
    const { recentTrainingJobs: jobs } = await api.request<{ recentTrainingJobs: TrainingJob[] }>(RECENT_JOBS);
    const running = jobs.find((j) => j.status === 'running') ?? jobs.find((j) => j.status === 'queued');
    if (running) follow(running);
    else if (!followed) drawLive();
    replace(
      list,
      jobs.length
        ? el(
            'table',
            { class: 'data' },
            el('thead', {}, el('tr', {}, ...['job', 'models', 'status', 'progress', 'served', 'queued at'].map((h) => el('th', {}, h)))),
            el(
              'tbody',
              {},
              ...jobs.map((j) =>
                el(
                  'tr',
                  { title: j.error ?? '' },
                  el('td', { class: 'mono' }, `#${j.id}`),
                  el('td', {}, j.models.join(', ')),
                  el('td', {}, el('span', { class: `pill pill-${TONE[j.status]}` }, j.status)),
                  el('td', { class: 'mono' }, `${j.progress.toFixed(0)}%`),
                  el('td', { class: 'mono' }, j.servedVersion ? `v${j.servedVersion}` : '–'),
                  el('td', { class: 'muted' }, f.dateTime(j.createdAt)),
                ),
              ),
            ),
          )
        : emptyState('No retrain jobs kept.'),
    );
  };

  retrain.addEventListener('click', async () => {
    retrain.setAttribute('disabled', '');
    try {
      const { retrain: job } = await api.request<{ retrain: TrainingJob }>(RETRAIN);
      notify(`Retrain job #${job.id} queued`, 'ok');
      follow(job);
      await refresh();
    } catch (err) {
      notify(`Retrain failed: ${(err as Error).message}`, 'bad');
    } finally {
      retrain.removeAttribute('disabled');
    }
  });

  return { root, refresh };
}
