// The operations dashboard: sign in with an API key, then one live metrics subscription (a snapshot a second)
// drives the traffic, latency, quality and queue panels, while models, training and experiments refresh every
// few seconds and on change. Admin-only panels and buttons appear for admin keys.
import './styles.css';
import { el, replace } from './dom';
import { liveMetricsSubscription } from './queries';
import { rememberedKey, signIn, signOut, type Session } from './session';
import type { ConnectionState } from './graphqlClient';
import type { SystemMetrics } from './types';
import { overviewPanel } from './panels/overview';
import { trafficPanel } from './panels/traffic';
import { latencyPanel } from './panels/latency';
import { qualityPanel } from './panels/quality';
import { queuesPanel } from './panels/queues';
import { shopperPanel } from './panels/shopper';
import { modelsPanel } from './panels/models';
import { trainingPanel } from './panels/training';
import { experimentsPanel } from './panels/experiments';

const WINDOWS = ['1m', '5m', '15m', '1h'];
const REFRESH_MS = 5000;
const app = document.getElementById('app') as HTMLElement;

function brand(): HTMLElement {
  return el('div', { class: 'brand' }, el('img', { src: '/dashboard/favicon.svg', alt: '', width: 26, height: 26 }), el('span', {}, 'freshrec'), el('span', { class: 'brand-sub' }, 'Operations'));
}

function toaster() {
  const box = el('div', { class: 'toasts', role: 'status' });
  document.body.appendChild(box);
  return (text: string, tone: 'ok' | 'bad' = 'ok') => {
    const t = el('div', { class: `toast toast-${tone}` }, text);
    box.appendChild(t);
    setTimeout(() => t.remove(), 5000);
  };
}

function showLogin(message?: string): void {
  const key = el('input', { type: 'password', placeholder: 'API key', autocomplete: 'current-password', 'data-testid': 'api-key', 'aria-label': 'API key', required: true });
  const error = el('p', { class: 'login-error', 'data-testid': 'login-error' }, message ?? '');
  const submit = el('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'login' }, 'Sign in');
  const form = el(
    'form',
    { class: 'login-card' },
    brand(),
    el('h1', {}, 'Operations dashboard'),
    el('p', { class: 'muted' }, 'Sign in with an API key. Client keys see traffic and quality; admin keys can also promote, roll back, retrain and run experiments.'),
    key,
    submit,
    error,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.setAttribute('disabled', '');
    error.textContent = '';
    try {
      showDashboard(await signIn(key.value));
    } catch (err) {
      error.textContent = (err as Error).message;
      submit.removeAttribute('disabled');
    }
  });
  replace(app, el('div', { class: 'login-page' }, form));
  key.focus();
}

function showDashboard(session: Session): void {
  const admin = session.role === 'admin';
  const notify = toaster();
  let windowLabel = sessionStorage.getItem('freshrec.dashboard.window') ?? '5m';

  const connection = el('span', { class: 'connection', 'data-testid': 'connection' }, el('span', { class: 'dot dot-idle' }), 'connecting');
  const setConnection = (s: ConnectionState) => {
    replace(connection, el('span', { class: `dot ${s === 'live' ? 'dot-live' : s === 'offline' ? 'dot-bad' : 'dot-idle'}` }), s === 'live' ? 'live' : s);
  };
  session.api.onConnectionState(setConnection);
  const updatedAt = el('span', { class: 'updated muted' }, '');
  const windowButtons = WINDOWS.map((w) => {
    const b = el('button', { type: 'button', class: `seg${w === windowLabel ? ' is-on' : ''}`, 'data-window': w }, w);
    b.addEventListener('click', () => {
      windowLabel = w;
      sessionStorage.setItem('freshrec.dashboard.window', w);
      windowButtons.forEach((x) => x.classList.toggle('is-on', x.dataset.window === w));
      subscribe();
    });
    return b;
  });
  const signOutButton = el('button', { type: 'button', class: 'btn btn-ghost' }, 'Sign out');
  signOutButton.addEventListener('click', () => {
    signOut(session);
    location.reload();
  });
  const header = el(
    'header',
    { class: 'topbar' },
    brand(),
    el('div', { class: 'topbar-right' }, updatedAt, el('div', { class: 'segmented', role: 'group', 'aria-label': 'window' }, ...windowButtons), connection, el('span', { class: `role role-${session.role}` }, session.role), signOutButton),
  );

  const overview = overviewPanel();
  const traffic = trafficPanel();
  const latency = latencyPanel();
  const quality = qualityPanel();
  const queues = queuesPanel(admin);
  const shopper = shopperPanel(session.api);
  const experiments = experimentsPanel(session.api, admin, notify);
  const models = admin ? modelsPanel(session.api, notify) : null;
  const training = admin ? trainingPanel(session.api, notify) : null;

  replace(
    app,
    header,
    el(
      'main',
      { class: 'page' },
      overview.root,
      el(
        'div',
        { class: 'grid' },
        traffic.root,
        el('div', { class: 'columns' }, el('div', { class: 'column' }, latency.root, training?.root, queues.root), el('div', { class: 'column' }, quality.root, shopper.root)),
        experiments.root,
        models?.root,
      ),
    ),
  );

  let lastModel: string | null = null;
  const onMetrics = (m: SystemMetrics) => {
    updatedAt.textContent = `updated ${new Date(m.at).toLocaleTimeString('en-GB', { hour12: false })}`;
    for (const panel of [overview, traffic, latency, quality, queues]) {
      try {
        panel.update(m);
      } catch (err) {
        console.error(err);
      }
    }
    // A promotion, rollback or retrain anywhere in the cluster shows up here first.
    if (m.activeModel !== lastModel) {
      lastModel = m.activeModel;
      void models?.refresh().catch(() => undefined);
    }
  };

  let unsubscribe: (() => void) | null = null;
  const subscribe = () => {
    unsubscribe?.();
    unsubscribe = session.api.subscribe<{ liveMetrics: SystemMetrics }>(liveMetricsSubscription(admin), { window: windowLabel }, (d) => onMetrics(d.liveMetrics), (err) => notify(err.message, 'bad'));
  };
  subscribe();

  const refreshSlow = () => {
    for (const p of [experiments, models, training]) void p?.refresh().catch((err: Error) => console.warn(err.message));
  };
  refreshSlow();
  setInterval(refreshSlow, REFRESH_MS);
}

async function start(): Promise<void> {
  const key = rememberedKey();
  if (!key) return showLogin();
  try {
    showDashboard(await signIn(key));
  } catch (err) {
    signOut(null);
    showLogin((err as Error).message);
  }
}

void start();
