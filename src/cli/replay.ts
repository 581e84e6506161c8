// `npm run replay`: evaluates the live system as a shopper meets it. Trains on the first part of the events
// in time order, then replays the rest through the real GraphQL API, asking for a list before each event
// (prequential HR@10 / NDCG@10), with online updates on and off, and measures event→push latency.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Pool } from 'pg';
import { createPgPool } from '../db/pgPool';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { ensureDatabase, applyMigrations } from '../db/migrationRunner';
import { createServices } from '../app/services';
import { startApiRole, startWorkerRole } from '../app/processRoles';
import { eventRowBatches, itemRowBatches, isRowError, type EventRow } from '../domain/import/eventCsvRows';
import { importEvents, importItems } from '../domain/import/bulkImporter';
import { openCsvFile } from '../io/csvRows';
import { deleteKeysWithPrefix } from '../redis/redisConnections';
import { createRng, randInt } from '../ml/random';

interface Args {
  events: string;
  items?: string;
  split: number;
  online: ('on' | 'off')[];
  models: string[];
  maxEvents: number;
  json?: string;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const events = get('events');
  if (!events) {
    console.error('usage: npm run replay -- --events <events.csv> [--items <items.csv>] [--split 0.8] [--online on|off|both] [--models pop,itemknn] [--max-events 5000] [--json out.json]');
    process.exit(2);
  }
  const online = get('online') ?? 'both';
  return {
    events,
    items: get('items'),
    split: Number(get('split') ?? 0.8),
    online: online === 'both' ? ['off', 'on'] : [online as 'on' | 'off'],
    models: (get('models') ?? 'pop,itemknn').split(','),
    maxEvents: Number(get('max-events') ?? 5000),
    json: get('json'),
  };
}

async function readAllEvents(path: string): Promise<EventRow[]> {
  const rows: EventRow[] = [];
  for await (const batch of eventRowBatches(openCsvFile(path))) for (const r of batch) if (!isRowError(r)) rows.push(r);
  // Stable sort by time: file order breaks ties, as in the offline protocol.
  return rows.map((r, k) => ({ r, k })).sort((a, b) => a.r.occurredAt.getTime() - b.r.occurredAt.getTime() || a.k - b.k).map((x) => x.r);
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface RunResult {
  online: 'on' | 'off';
  replayed: number;
  'HR@10': number;
  'NDCG@10': number;
  pushes: number;
  push_p50_ms: number;
  push_p99_ms: number;
  seconds: number;
}

async function runOnce(args: Args, mode: 'on' | 'off', train: EventRow[], test: EventRow[]): Promise<RunResult> {
  const base = loadConfig();
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const dbUrl = new URL(base.databaseUrl);
  dbUrl.pathname = `/freshrec_replay_${suffix}`;
  const config = loadConfig({
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: base.redisUrl,
    REDIS_PREFIX: `freshrec-replay-${suffix}`,
    ONLINE_UPDATES: mode,
    ADMIN_API_KEY: base.adminApiKey,
    CLIENT_API_KEY: base.clientApiKey,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'test',
  });
  await ensureDatabase(config.databaseUrl);
  await applyMigrations(config.databaseUrl);
  const pool = createPgPool(config.databaseUrl, 4);
  // Lists only hold catalogue items: without an items file, every item id of the data set is one (titled by its id).
  const catalogue = args.items ? itemRowBatches(openCsvFile(args.items)) : [...new Set([...train, ...test].flatMap((e) => e.itemId ?? []))].map((id) => ({ id, title: id }));
  await importItems(pool, catalogue);
  await importEvents(pool, train);
  await pool.end();
  const services = await createServices(config, createLogger('warn'));
  const worker = await startWorkerRole(services);
  const api = await startApiRole(services, 0);
  try {
    await services.training.retrain(args.models);
    await services.activeModel.refresh();
    const url = api.server.url;
    const auth = { authorization: `Bearer ${config.clientApiKey}`, 'content-type': 'application/json' };
    const post = async (query: string, variables: Record<string, unknown>) => {
      const res = await fetch(url, { method: 'POST', headers: auth, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { data?: any; errors?: unknown[] };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    // Push latency: one WebSocket, one subscription per replayed shopper, time from trackEvent to push.
    const ws = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${config.clientApiKey}` } });
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const subscribed = new Set<string>();
    const subscribe = async (userId: string) => {
      if (subscribed.has(userId)) return;
      subscribed.add(userId);
      ws.subscribe(
        { query: 'subscription($u: ID!) { recommendationsUpdated(userId: $u, limit: 10) { recommId } }', variables: { u: userId } },
        {
          next: () => {
            const t = sentAt.get(userId);
            if (t !== undefined) latencies.push(performance.now() - t);
            sentAt.delete(userId);
          },
          error: () => undefined,
          complete: () => undefined,
        },
      );
      await new Promise((r) => setTimeout(r, 5));
    };
    const bar = new SingleBar({ format: `replay online=${mode} [{bar}] {value}/{total} HR@10 {hr}`, stream: process.stderr }, Presets.shades_classic);
    bar.start(test.length, 0, { hr: '-' });
    let hits = 0;
    let ndcg = 0;
    const started = performance.now();
    for (const [k, e] of test.entries()) {
      if (mode === 'on') await subscribe(e.userId);
      const data = await post('query($u: ID!) { recommendations(userId: $u, limit: 10) { items { item { id } } } }', { u: e.userId });
      const ids: string[] = data.recommendations.items.map((i: { item: { id: string } }) => i.item.id);
      const rank = e.itemId ? ids.indexOf(e.itemId) : -1;
      if (rank >= 0) {
        hits++;
        ndcg += 1 / Math.log2(rank + 2);
      }
      sentAt.set(e.userId, performance.now());
      await post('mutation($i: EventInput!) { trackEvent(input: $i) { accepted } }', {
        i: { userId: e.userId, itemId: e.itemId, type: e.type, value: e.value, occurredAt: e.occurredAt.toISOString() },
      });
      bar.update(k + 1, { hr: (hits / (k + 1)).toFixed(4) });
    }
    bar.stop();
    const seconds = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 500));
    await ws.dispose();
    latencies.sort((a, b) => a - b);
    return {
      online: mode,
      replayed: test.length,
      'HR@10': hits / test.length,
      'NDCG@10': ndcg / test.length,
      pushes: latencies.length,
      push_p50_ms: percentile(latencies, 50),
      push_p99_ms: percentile(latencies, 99),
      seconds,
    };
  } finally {
    await api.stop();
    await worker.stop();
    await deleteKeysWithPrefix(services.redis, config.redisPrefix);
    await services.close();
    const admin = createPgPool(base.databaseUrl.replace(/\/[^/]*$/, '/postgres'), 1);
    await admin.query(`DROP DATABASE IF EXISTS "freshrec_replay_${suffix}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

/**
 * Caps the replay at about `max` events by taking whole shoppers (in a seeded random order) rather than the
 * first events in time: where many shoppers share timestamps (sequence positions), the first events would all
 * be each shopper's first replayed one, and online learning would have nothing to act on.
 */
function sampleByShopper(rest: EventRow[], max: number): EventRow[] {
  const byUser = new Map<string, number>();
  for (const e of rest) byUser.set(e.userId, (byUser.get(e.userId) ?? 0) + 1);
  const rng = createRng(42);
  const users = [...byUser.keys()];
  for (let i = users.length - 1; i > 0; i--) {
    const j = randInt(rng, i + 1);
    [users[i], users[j]] = [users[j], users[i]];
  }
  const chosen = new Set<string>();
  let total = 0;
  for (const u of users) {
    if (total >= max) break;
    chosen.add(u);
    total += byUser.get(u)!;
  }
  return rest.filter((e) => chosen.has(e.userId));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // Shift every timestamp so the newest event is now: the live system meets them as they happen, and time decay
  // behaves alike on sets with real dates and on sets whose timestamps are sequence positions (1970).
  const read = await readAllEvents(args.events);
  const shift = read.length ? Date.now() - read[read.length - 1].occurredAt.getTime() : 0;
  const events = read.map((e) => ({ ...e, occurredAt: new Date(e.occurredAt.getTime() + shift) }));
  const cut = Math.floor(events.length * args.split);
  const train = events.slice(0, cut);
  // Only events of shoppers seen in training can be judged against a personal list; cap for run time.
  const known = new Set(train.map((e) => e.userId));
  const test = sampleByShopper(events.slice(cut).filter((e) => known.has(e.userId) && e.itemId), args.maxEvents);
  console.log(`replay: ${events.length} events; trained on the first ${train.length} in time order; replaying ${test.length} of the rest through the GraphQL API`);
  const results: RunResult[] = [];
  for (const mode of args.online) results.push(await runOnce(args, mode, train, test));
  console.table(results.map((r) => ({ ...r, 'HR@10': r['HR@10'].toFixed(4), 'NDCG@10': r['NDCG@10'].toFixed(4), push_p50_ms: r.push_p50_ms.toFixed(1), push_p99_ms: r.push_p99_ms.toFixed(1), seconds: r.seconds.toFixed(1) })));
  const on = results.find((r) => r.online === 'on');
  const off = results.find((r) => r.online === 'off');
  if (on && off && off['HR@10'] > 0) console.log(`online on / off, prequential HR@10: ${(on['HR@10'] / off['HR@10']).toFixed(2)}×`);
  if (args.json) writeFileSync(args.json, JSON.stringify({ protocol: 'prequential, time-ordered split', events: events.length, train: train.length, replayed: test.length, runs: results }, null, 2));
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
