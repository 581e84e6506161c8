// Operations metrics end to end: Prometheus /metrics parses and moves with traffic, the cluster-wide metrics
// query and liveMetrics subscription count events and latency, clicks and purchases carrying a recommId are
// attributed to the list served, requests carry ids, and /readyz tells the truth when Redis goes away.
import { spawn, type ChildProcess } from 'node:child_process';
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { collect, gql, gqlOk, waitFor, wsClient } from '../utils/graphqlClient';
import { seedPlantedShop } from '../utils/seedPlantedShop';
import { parsePrometheusText, sampleSum } from '../utils/prometheusText';
import { freePort } from '../utils/childProcesses';
import { createServices, type Services } from '../../src/app/services';
import { startApiRole } from '../../src/app/processRoles';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';

const METRICS = `at window windowSeconds eventsInWindow eventsPerSecond eventsCurrent eventsTotal pushesTotal processes activeModel
  eventRates { type count perSecond current }
  operations { operation requests perSecond serverErrors clientErrors errorRate p50Ms p95Ms p99Ms }
  series { at events requests errors pushes byType { type count } }
  quality { windowSeconds totals { key impressions clicks conversions ctr conversionRate } byModelVersion { key impressions clicks conversions ctr conversionRate } byStrategy { key impressions clicks conversions } }
  queues { name waiting active delayed failed completed }`;

describe('operations metrics', () => {
  let env: TestEnv;
  let sys: TestSystem;
  const base = () => sys.url.replace(/\/graphql$/, '');

  async function scrape() {
    const res = await fetch(`${base()}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    return parsePrometheusText(await res.text());
  }

  const track = (userId: string, itemId: string, type: string, recommId?: string) =>
    gqlOk(sys.url, env.clientKey, `mutation($i: EventInput!) { trackEvent(input: $i) { accepted } }`, { i: { userId, itemId, type, recommId } });

  beforeAll(async () => {
    env = await createTestEnv();
    sys = await startTestSystem(env);
    await seedPlantedShop(sys, env);
  }, 90000);

  afterAll(async () => {
    await sys?.stop();
    await env?.drop();
  });

  it('exposes Prometheus text whose counters and histograms move with traffic', async () => {
    const before = await scrape();
    expect(before.types.get('freshrec_http_request_duration_seconds')).toBe('histogram');
    expect(before.types.get('freshrec_graphql_operation_duration_seconds')).toBe('histogram');
    expect(before.types.get('freshrec_events_ingested_total')).toBe('counter');
    expect(before.types.get('freshrec_pushes_sent_total')).toBe('counter');
    expect(before.types.get('freshrec_queue_jobs')).toBe('gauge');
    const model = sys.services.activeModel.get()!;
    expect(sampleSum(before, 'freshrec_model_version_info', { version: String(model.versionId), label: model.label })).toBe(1);
    expect(before.samples.some((s) => s.name === 'freshrec_queue_jobs' && s.labels.queue === 'online-update' && s.labels.state === 'waiting')).toBe(true);

    // Lists are pushed only for shoppers someone watches: a subscriber, as a shop's page would hold.
    const client = wsClient(sys.url, env.clientKey);
    const watching = collect(client, `subscription { recommendationsUpdated(userId: "metrics-shopper") { recommId } }`, {});
    try {
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < 5; i++) await track('metrics-shopper', `p-books-${i}`, 'VIEW');
      for (let i = 0; i < 3; i++) await gqlOk(sys.url, env.clientKey, `query { recommendations(userId: "metrics-shopper", limit: 5) { recommId } }`);
      await gql(sys.url, env.clientKey, `query { recommendations(userId: "metrics-shopper", limit: 100000) { recommId } }`);
      // The push for the shopper's changed list is sent by the worker role running in this process.
      await waitFor(async () => sampleSum(await scrape(), 'freshrec_pushes_sent_total') > sampleSum(before, 'freshrec_pushes_sent_total'), 15000, 100);
    } finally {
      watching.dispose();
      await client.dispose();
    }

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sampleSum(after, name, labels) - sampleSum(before, name, labels);
    expect(delta('freshrec_events_ingested_total', { type: 'VIEW' })).toBe(5);
    expect(delta('freshrec_graphql_operation_duration_seconds_count', { field: 'trackEvent', outcome: 'ok' })).toBe(5);
    expect(delta('freshrec_graphql_operation_duration_seconds_count', { field: 'recommendations', outcome: 'ok' })).toBe(3);
    expect(delta('freshrec_graphql_operation_duration_seconds_count', { field: 'recommendations', outcome: 'client_error' })).toBe(1);
    // Every GraphQL request above, plus the scrapes in between.
    expect(delta('freshrec_http_request_duration_seconds_count', { route: 'graphql', method: 'POST', status: '200' })).toBeGreaterThanOrEqual(9);
    expect(delta('freshrec_http_request_duration_seconds_count', { route: 'metrics' })).toBeGreaterThanOrEqual(1);
  });

  it('counts events, latency and pushes cluster-wide in the metrics query and pushes them live every second', async () => {
    const q = async () => (await gqlOk(sys.url, env.clientKey, `query { metrics(window: "1m") { ${METRICS} } }`)).metrics;
    const first = await q();
    expect(first.window).toBe('1m');
    expect(first.series).toHaveLength(60);
    expect(first.processes).toBeGreaterThanOrEqual(1);
    expect(first.activeModel).toBe(sys.services.activeModel.get()!.label);

    const client = wsClient(sys.url, env.clientKey);
    const live = collect<{ liveMetrics: { at: string; eventsTotal: number } }>(client, `subscription { liveMetrics(window: "30s") { at eventsTotal } }`, {});
    try {
      const initial = await live.next();
      for (let i = 0; i < 6; i++) await track('live-shopper', `p-toys-${i}`, 'CLICK');
      // Counters are flushed to Redis four times a second; the next snapshots include these events.
      const risen = await live.next((v) => v.liveMetrics.eventsTotal >= initial.liveMetrics.eventsTotal + 6, 8000);
      expect(Date.parse(risen.liveMetrics.at)).toBeGreaterThan(Date.parse(initial.liveMetrics.at));
      expect(live.received.length).toBeGreaterThanOrEqual(2);
    } finally {
      live.dispose();
      await client.dispose();
    }

    for (let i = 0; i < 4; i++) await gqlOk(sys.url, env.clientKey, `query { recommendations(userId: "live-shopper", limit: 5) { recommId } }`);
    const later = await waitFor(async () => {
      const m = await q();
      const clicks = m.eventRates.find((r: { type: string }) => r.type === 'CLICK');
      return clicks?.count >= 6 && m.operations.find((o: { operation: string }) => o.operation === 'recommend').requests >= 4 ? m : null;
    }, 5000, 200);
    const recommend = later.operations.find((o: { operation: string }) => o.operation === 'recommend');
    expect(recommend.p50Ms).toBeGreaterThan(0);
    expect(recommend.p95Ms).toBeGreaterThanOrEqual(recommend.p50Ms);
    expect(recommend.p99Ms).toBeGreaterThanOrEqual(recommend.p95Ms);
    expect(later.operations.map((o: { operation: string }) => o.operation)).toEqual(expect.arrayContaining(['recommend', 'search', 'track']));
    expect(later.eventsTotal).toBeGreaterThanOrEqual(first.eventsTotal + 6);
    expect(later.series.reduce((s: number, p: { events: number }) => s + p.events, 0)).toBe(later.eventsInWindow);
    expect(later.queues.map((x: { name: string }) => x.name).sort()).toEqual(['online-update', 'retrain']);
  });

  it('attributes clicks and purchases carrying a recommId to the list served, and nothing else', async () => {
    const served = await gqlOk(sys.url, env.clientKey, `query { recommendations(userId: "attributed", limit: 5) { recommId modelVersion items { item { id } } } }`);
    const { recommId, modelVersion, items } = served.recommendations;
    const listed = items.map((i: { item: { id: string } }) => i.item.id);
    const notListed = ['p-outdoor-0', 'p-outdoor-1', 'p-outdoor-2', 'p-outdoor-3', 'p-outdoor-4', 'p-outdoor-5', 'p-outdoor-6'].find((id) => !listed.includes(id))!;
    // A second list served and ignored, and a third whose recommId is pasted onto an item it did not hold.
    await gqlOk(sys.url, env.clientKey, `query { recommendations(userId: "ignored", limit: 5) { recommId } }`);
    const other = (await gqlOk(sys.url, env.clientKey, `query { recommendations(userId: "pasted", limit: 5) { recommId } }`)).recommendations.recommId;
    await track('attributed', listed[0], 'CLICK', recommId);
    await track('attributed', listed[0], 'PURCHASE', recommId);
    await track('pasted', notListed, 'PURCHASE', other);
    // Impressions are written in batches about once a second; quality is then cached for up to 5 seconds.
    await waitFor(async () => (await sys.services.db.impression.count({ where: { recommId: { in: [recommId, other] } } })) === 2, 5000, 100);

    const quality = await waitFor(async () => {
      const m = (await gqlOk(sys.url, env.adminKey, `query { metrics(window: "10m") { quality { totals { impressions clicks conversions } byModelVersion { key impressions clicks conversions ctr conversionRate } byStrategy { key impressions } } } }`)).metrics;
      return m.quality.totals.clicks >= 1 && m.quality.totals.impressions >= 3 ? m.quality : null;
    }, 20000, 250);
    const row = quality.byModelVersion.find((r: { key: string }) => r.key === modelVersion);
    expect(row.clicks).toBe(1);
    expect(row.conversions).toBe(1);
    expect(row.ctr).toBeCloseTo(1 / row.impressions);
    const rows = await sys.services.db.impression.count({ where: { modelVersion } });
    expect(row.impressions).toBe(rows);
    const version = await sys.services.versions.get(sys.services.activeModel.get()!.versionId);
    expect(quality.byStrategy.map((r: { key: string }) => r.key)).toContain((version!.params as { strategy?: string }).strategy ?? 'weighted');
  });

  it('tags every request with an id, echoing a sane one the caller sent', async () => {
    const mine = await fetch(sys.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${env.clientKey}`, 'x-request-id': 'trace-abc.123' },
      body: JSON.stringify({ query: '{ trending(limit: 1) { recommId } }' }),
    });
    expect(mine.headers.get('x-request-id')).toBe('trace-abc.123');
    const insane = await fetch(`${base()}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(insane.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('is ready only while Postgres, Redis and a model answer', async () => {
    const ok = await fetch(`${base()}/readyz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ postgres: true, redis: true, model: true });

    // A second API on the same database but on a Redis of its own, which the test then stops and restarts.
    const port = await freePort();
    let redis = startRedis(port);
    let services: Services | null = null;
    try {
      await waitForRedis(redis);
      services = await createServices(loadConfig({ ...env.env, REDIS_URL: `redis://127.0.0.1:${port}` }), createLogger('fatal'));
      const api = await startApiRole(services, 0);
      const readyz = `http://127.0.0.1:${api.server.port}/readyz`;
      await waitFor(async () => (await fetch(readyz)).status === 200, 10000, 100);

      await stopRedis(redis);
      const started = Date.now();
      const down = await fetch(readyz);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ postgres: true, redis: false, model: true });
      expect(Date.now() - started).toBeLessThan(4000);
      expect((await fetch(readyz.replace('readyz', 'healthz'))).status).toBe(200);
      // Scrapes keep working through the outage; only the Redis-backed queue gauges drop out.
      const scrape = await fetch(readyz.replace('readyz', 'metrics'));
      expect(scrape.status).toBe(200);
      expect(parsePrometheusText(await scrape.text()).types.get('freshrec_http_request_duration_seconds')).toBe('histogram');

      redis = startRedis(port);
      await waitForRedis(redis);
      await waitFor(async () => (await fetch(readyz)).status === 200, 15000, 200);
      await api.stop();
    } finally {
      await services?.close();
      await stopRedis(redis);
    }
  }, 60000);
});

function startRedis(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'pipe' });
}

async function waitForRedis(proc: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10000);
    proc.stdout?.on('data', (d) => {
      out += d;
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
  });
}

function stopRedis(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}
