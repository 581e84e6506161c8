// A/B experiments: per arm, lists served, click-through and conversion with 95% intervals, and the z-test of
// B against A; admins can start one (two versions or strategies, a share) and stop the running one.
import { card, el, emptyState, replace } from '../dom';
import { intervalBar } from '../charts';
import * as f from '../format';
import { ARM_COLOURS } from '../palette';
import { CREATE_EXPERIMENT, EXPERIMENTS, STOP_EXPERIMENT } from '../queries';
import type { Api } from '../graphqlClient';
import type { Experiment, ExperimentArm, SignificanceTest } from '../types';

const STRATEGIES = ['', 'WEIGHTED', 'RRF', 'BEST_COMPONENT'];

function armLabel(arm: ExperimentArm): string {
  return arm.fusionStrategy ? `${arm.label} · ${arm.fusionStrategy.toLowerCase().replace('_', ' ')}` : arm.label;
}

function verdict(name: string, t: SignificanceTest | null): HTMLElement {
  if (!t) return el('div', { class: 'verdict muted' }, `${name}: waiting for both arms to serve lists`);
  const tone = t.significant ? (t.difference > 0 ? 'good' : 'bad') : 'muted';
  const lift = t.relativeLift === null ? '' : ` (${t.relativeLift >= 0 ? '+' : '−'}${Math.abs(t.relativeLift * 100).toFixed(0)}% relative)`;
  return el(
    'div',
    { class: `verdict ${tone}` },
    el('strong', {}, `${name}: B − A = ${f.pp(t.difference)}`),
    ` [${f.pp(t.differenceLow)}, ${f.pp(t.differenceHigh)}]${lift} · z = ${t.z.toFixed(2)}, ${f.pValue(t.pValue)} · `,
    el('span', { class: `pill pill-${t.significant ? 'green' : 'grey'}` }, t.significant ? 'significant at 5%' : 'not significant'),
  );
}

function resultsOf(e: Experiment, admin: boolean, stop: (id: string) => void): HTMLElement {
  const scaleCtr = Math.max(...e.results.arms.map((a) => a.ctr.high), 0.05);
  const scaleConv = Math.max(...e.results.arms.map((a) => a.conversion.high), 0.05);
  const stopButton = admin && e.status === 'running' ? el('button', { class: 'btn btn-small btn-danger', type: 'button', 'data-testid': 'stop-experiment' }, 'Stop') : null;
  stopButton?.addEventListener('click', () => stop(e.id));
  const arms = { A: e.armA, B: e.armB } as Record<string, ExperimentArm>;
  return el(
    'div',
    { class: 'experiment' },
    el(
      'div',
      { class: 'experiment-head' },
      el('strong', {}, e.name),
      el('span', { class: `pill pill-${e.status === 'running' ? 'blue' : 'grey'}` }, e.status),
      el('span', { class: 'muted' }, `${f.pct(1 - e.share, 0)} A / ${f.pct(e.share, 0)} B · since ${f.dateTime(e.createdAt)}${e.stoppedAt ? ` until ${f.dateTime(e.stoppedAt)}` : ''}`),
      stopButton,
    ),
    el(
      'table',
      { class: 'data' },
      el('thead', {}, el('tr', {}, ...['arm', 'serves', 'shoppers', 'lists', 'CTR (95% CI)', '', 'conversion (95% CI)', ''].map((h, i) => el('th', { class: i >= 2 && i !== 5 && i !== 7 ? 'num' : '' }, h)))),
      el(
        'tbody',
        {},
        ...e.results.arms.map((a) => {
          const ctrCell = el('td', {});
          ctrCell.innerHTML = intervalBar(a.ctr.low, a.ctr.high, a.ctr.rate, scaleCtr, ARM_COLOURS[a.arm]);
          const convCell = el('td', {});
          convCell.innerHTML = intervalBar(a.conversion.low, a.conversion.high, a.conversion.rate, scaleConv, ARM_COLOURS[a.arm]);
          return el(
            'tr',
            { 'data-arm': a.arm },
            el('td', {}, el('span', { class: `arm arm-${a.arm}` }, a.arm)),
            el('td', { class: 'mono' }, armLabel(arms[a.arm])),
            el('td', { class: 'num' }, f.count(a.users)),
            el('td', { class: 'num' }, f.count(a.impressions)),
            el('td', { class: 'num' }, el('strong', {}, f.pct(a.ctr.rate)), el('span', { class: 'muted' }, ` ${f.pct(a.ctr.low)}–${f.pct(a.ctr.high)}`)),
            ctrCell,
            el('td', { class: 'num' }, el('strong', {}, f.pct(a.conversion.rate)), el('span', { class: 'muted' }, ` ${f.pct(a.conversion.low)}–${f.pct(a.conversion.high)}`)),
            convCell,
          );
        }),
      ),
    ),
    verdict('CTR', e.results.ctrTest),
    verdict('Conversion', e.results.conversionTest),
  );
}

function createForm(api: Api, done: () => void, notify: (text: string, tone?: 'ok' | 'bad') => void): HTMLElement {
  const name = el('input', { type: 'text', placeholder: 'name', required: true, maxlength: 200, 'aria-label': 'experiment name' });
  const versionA = el('input', { type: 'text', placeholder: 'active', 'aria-label': 'arm A version', class: 'narrow' });
  const versionB = el('input', { type: 'text', placeholder: 'active', 'aria-label': 'arm B version', class: 'narrow' });
  const strategy = (label: string) => el('select', { 'aria-label': label }, ...STRATEGIES.map((s) => el('option', { value: s }, s ? s.toLowerCase().replace('_', ' ') : 'its own strategy')));
  const strategyA = strategy('arm A strategy');
  const strategyB = strategy('arm B strategy');
  const share = el('input', { type: 'number', min: 0.01, max: 0.99, step: 0.01, value: 0.5, 'aria-label': 'share of shoppers in arm B', class: 'narrow' });
  const submit = el('button', { type: 'submit', class: 'btn btn-primary' }, 'Start experiment');
  const form = el(
    'form',
    { class: 'experiment-form' },
    el('label', {}, 'Name', name),
    el('label', {}, 'A: version', versionA),
    el('label', {}, 'A: strategy', strategyA),
    el('label', {}, 'B: version', versionB),
    el('label', {}, 'B: strategy', strategyB),
    el('label', {}, 'B share', share),
    submit,
  );
  const arm = (version: HTMLInputElement, s: HTMLSelectElement) => ({ modelVersion: version.value.trim().replace(/^v/, '') || null, fusionStrategy: s.value || null });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api.request(CREATE_EXPERIMENT, { input: { name: name.value, armA: arm(versionA, strategyA), armB: arm(versionB, strategyB), share: Number(share.value) } });
      notify(`Experiment "${name.value}" started`, 'ok');
      form.reset();
      done();
    } catch (err) {
      notify(`Could not start the experiment: ${(err as Error).message}`, 'bad');
    }
  });
  return el('details', { class: 'new-experiment' }, el('summary', {}, 'New experiment'), form);
}

export function experimentsPanel(api: Api, admin: boolean, notify: (text: string, tone?: 'ok' | 'bad') => void) {
  const { root, body } = card('A/B experiments', { subtitle: 'shoppers split by a hash of their id; each list is one trial' });
  const results = el('div', {});
  const form = admin ? createForm(api, () => void refresh(), notify) : null;
  replace(body, results, form);

  const stop = async (id: string) => {
    if (!window.confirm('Stop this experiment? Everyone gets the active version again.')) return;
    try {
      await api.request(STOP_EXPERIMENT, { id });
      notify('Experiment stopped', 'ok');
      await refresh();
    } catch (err) {
      notify(`Could not stop the experiment: ${(err as Error).message}`, 'bad');
    }
  };

  const refresh = async () => {
    const { experiments } = await api.request<{ experiments: Experiment[] }>(EXPERIMENTS);
    if (!experiments.length) {
      replace(results, emptyState(admin ? 'No experiment yet. Start one below: two model versions, or one version under two fusion strategies.' : 'No experiment yet.'));
      return;
    }
    const [latest, ...older] = experiments;
    replace(
      results,
      resultsOf(latest, admin, (id) => void stop(id)),
      older.length
        ? el('ul', { class: 'older' }, ...older.map((e) => el('li', {}, el('strong', {}, e.name), ` · ${e.status} · A ${f.pct(e.results.arms[0].ctr.rate)} vs B ${f.pct(e.results.arms[1].ctr.rate)} CTR · ${e.results.ctrTest ? f.pValue(e.results.ctrTest.pValue) : 'no test'}`)))
        : null,
    );
  };

  return { root, refresh };
}
