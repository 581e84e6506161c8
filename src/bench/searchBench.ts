// `npx tsx src/bench/searchBench.ts [--items 100000] [--connections 20] [--seconds 20] [--warmup 10] [--distinct 5000] [--personal] [--no-cache] [--database <url>] [--keep] [--cpu-prof <dir>]`: search
// latency through HTTP. Writes a generated catalogue to a scratch database (created here, dropped at the end),
// starts a real API server (`src/main/api.ts`) as a child process on loopback, and drives `search` with
// autocannon: a Zipf-distributed mix of one-word, two-word, filtered, partial and misspelt queries. With
// --personal it also generates shoppers and events, trains pop + itemknn first, and half the searches carry a
// userId (blended with the shopper's preference, stored as SEARCH events). Prints p50/p90/p99 and throughput.
import { parseArgs } from 'node:util';
import os from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import Redis from 'ioredis';
import { deleteKeysWithPrefix } from '../redis/redisConnections';
import autocannon from 'autocannon';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { applyMigrations, ensureDatabase } from '../db/migrationRunner';
import { createServices } from '../app/services';
import { createRng, randInt, type Rng } from '../ml/random';
import { CATEGORIES, generateItems, generateQuery, pick, type BenchItem } from './searchMix';

const ROOT = path.resolve(__dirname, '../..');
/**
 * The request mix, as GraphQL bodies: `distinct` generated queries, drawn with Zipf-like popularity (the k-th
 * most popular is asked about 1/k as often), as shop search logs are: a head of frequent queries and a long tail.
 */
function queryBodies(count: number, distinct: number, rng: Rng, users: number): string[] {
  const q = `query($q: String!, $u: ID, $f: RecommendationFilter) { search(query: $q, userId: $u, limit: 20, filter: $f) { recommId total items { score item { id title } } facets { categories { value count } brands { value count } } } }`;
  const queries = Array.from({ length: distinct }, () => generateQuery(rng));
  const cumulative: number[] = [];
  let sum = 0;
  for (let k = 1; k <= distinct; k++) cumulative.push((sum += 1 / k));
  return Array.from({ length: count }, (_, n) => {
    const u = rng() * sum;
    let lo = 0;
    let hi = distinct - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    const { text, filter } = queries[lo];
    const userId = users > 0 && n % 2 === 0 ? `shopper-${randInt(rng, users)}` : undefined;
    return JSON.stringify({ query: q, variables: { q: text, u: userId, f: filter } });
  });
}

/** Index scans of the text-search indexes so far: how many searches reached Postgres rather than the cache. */
async function textIndexScans(databaseUrl: string): Promise<number> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const { rows } = await db.query<{ scans: string }>(
    `SELECT coalesce(sum(idx_scan), 0) AS scans FROM pg_stat_user_indexes WHERE indexrelname IN ('items_search_vector_idx', 'items_title_trgm_idx')`,
  );
  await db.end();
  return Number(rows[0].scans);
}

async function insertItems(databaseUrl: string, items: BenchItem[]): Promise<void> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    for (let i = 0; i < items.length; i += 5000) {
      await db.query(
        `INSERT INTO items (id, title, description, category, brand, tags, price, in_stock)
         SELECT r.id, r.title, r.description, r.category, r.brand, ARRAY(SELECT jsonb_array_elements_text(r.tags)), r.price, r.in_stock
         FROM jsonb_to_recordset($1::jsonb) AS r(id text, title text, description text, category text, brand text, tags jsonb, price float8, in_stock bool)`,
        [JSON.stringify(items.slice(i, i + 5000))],
      );
    }
    // A bulk load leaves the rows in the GIN indexes' pending lists, which every search would scan; in
    // production autovacuum merges them, here it is done at once.
    await db.query('VACUUM ANALYZE items');
  } finally {
    await db.end();
  }
}

/** Shoppers who each keep to one category, for the personalised run. */
async function insertEvents(databaseUrl: string, items: BenchItem[], users: number, rng: Rng): Promise<number> {
  const byCategory = new Map<string, string[]>();
  for (const it of items) byCategory.set(it.category, [...(byCategory.get(it.category) ?? []), it.id]);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  let total = 0;
  try {
    await db.query(`INSERT INTO users (id) SELECT 'shopper-' || g FROM generate_series(0, $1 - 1) g`, [users]);
    const start = Date.now() - 20 * 86400_000;
    for (let u0 = 0; u0 < users; u0 += 1000) {
      const rows: unknown[] = [];
      for (let u = u0; u < Math.min(users, u0 + 1000); u++) {
        const pool = byCategory.get(CATEGORIES[u % CATEGORIES.length]) as string[];
        const hot = pool.slice(0, 400);
        for (let e = 0; e < 10; e++) {
          rows.push({ event_id: `b-${u}-${e}`, user_id: `shopper-${u}`, item_id: pick(rng, hot), type: e === 9 ? 'PURCHASE' : 'VIEW', occurred_at: new Date(start + (u * 10 + e) * 1000).toISOString() });
        }
      }
      total += rows.length;
      await db.query(
        `INSERT INTO events (event_id, user_id, item_id, type, occurred_at)
         SELECT r.event_id, r.user_id, r.item_id, r.type::"EventType", r.occurred_at FROM jsonb_to_recordset($1::jsonb)
           AS r(event_id text, user_id text, item_id text, type text, occurred_at timestamptz)`,
        [JSON.stringify(rows)],
      );
    }
  } finally {
    await db.end();
  }
  return total;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`API exited early:\n${log()}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`API not ready in time:\n${log()}`);
}

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. Linux only (/proc). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds of the API process and of the Postgres backends serving the bench database. */
async function cpuSnapshot(apiPid: number, databaseName: string): Promise<{ api: number; postgres: Map<number, number> }> {
  const admin = new Client({ connectionString: 'postgresql://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [databaseName]);
  await admin.end();
  return { api: cpuSeconds(apiPid), postgres: new Map(rows.map((r) => [r.pid, cpuSeconds(r.pid)])) };
}

function run(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      items: { type: 'string', default: '100000' },
      connections: { type: 'string', default: '20' },
      seconds: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '10' },
      personal: { type: 'boolean', default: false },
      users: { type: 'string', default: '20000' },
      keep: { type: 'boolean', default: false },
      'no-cache': { type: 'boolean', default: false },
      /** Different queries in the mix (each a text and maybe a price filter), drawn Zipf-like. */
      distinct: { type: 'string', default: '5000' },
      /** An existing database of an earlier --keep run: nothing is generated, and it is kept. */
      database: { type: 'string' },
      /** A directory for a V8 CPU profile of the API process (written when it exits), for finding hot code. */
      'cpu-prof': { type: 'string' },
    },
  });
  const n = Number(values.items);
  const connections = Number(values.connections);
  const seconds = Number(values.seconds);
  const warmupSeconds = Number(values.warmup);
  const users = values.personal ? Number(values.users) : 0;
  const distinct = Number(values.distinct);
  const rng = createRng(7);
  const suffix = randomBytes(3).toString('hex');
  const reuse = values.database ?? null;
  const databaseUrl = reuse ?? `postgresql://postgres@127.0.0.1:5432/freshrec_bench_search_${suffix}`;
  const prefix = `freshrec_bench_search_${suffix}`;
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: prefix,
    ADMIN_API_KEY: `admin-${randomBytes(12).toString('hex')}`,
    CLIENT_API_KEY: `client-${randomBytes(12).toString('hex')}`,
    LOG_LEVEL: 'warn',
    SAMPLE_DATA: 'off',
    // The bench measures search, not the per-key rate limit.
    RATE_LIMIT_PER_SECOND: '0',
    SEARCH_CACHE_SECONDS: values['no-cache'] ? '0' : '30',
  };
  let child: ChildProcess | null = null;
  try {
    await ensureDatabase(databaseUrl);
    await applyMigrations(databaseUrl);
    let t = Date.now();
    const items = generateItems(n, rng);
    if (!reuse) {
      await insertItems(databaseUrl, items);
      console.error(`${n} items written in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
    if (users && !reuse) {
      t = Date.now();
      const events = await insertEvents(databaseUrl, items, users, rng);
      const config = loadConfig(env);
      const services = await createServices(config, createLogger('warn'));
      try {
        await services.training.retrain(['pop', 'itemknn']);
      } finally {
        await services.close();
      }
      console.error(`${events} events written and pop + itemknn trained in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
    const port = await freePort();
    let output = '';
    // node itself (not the tsx launcher, which forks), so the CPU time read from /proc is the API's.
    const profile = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(values['cpu-prof'])] : [];
    child = spawn(process.execPath, [...profile, '--import', 'tsx', path.join(ROOT, 'src/main/api.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    const base = `http://127.0.0.1:${port}`;
    // /readyz also wants a served model, which an anonymous run does not have; /healthz says the API answers.
    await waitReady(`${base}/healthz`, child, () => output);

    const bodies = queryBodies(20000, distinct, rng, users);
    // Every query answers without GraphQL errors before anything is timed.
    for (const body of bodies.slice(0, 50)) {
      const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${env.CLIENT_API_KEY}` }, body });
      const json = (await res.json()) as { errors?: unknown };
      if (json.errors) throw new Error(`search failed: ${JSON.stringify(json.errors)} for ${body}`);
    }
    let next = 0;
    const common: autocannon.Options = {
      url: `${base}/graphql`,
      method: 'POST',
      connections,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${env.CLIENT_API_KEY}` },
      requests: [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
    };
    // Warm-up: the JIT, the item cache loading at start, caches and connection pools. 3 s was too short on a slow
    // machine: measured right after it, the API still spent a tenth of its CPU compiling (personalised mix, 10 s
    // runs: 190-300 req/s, against 465 req/s over 40 s).
    await run({ ...common, duration: warmupSeconds });
    const databaseName = new URL(databaseUrl).pathname.slice(1);
    const before = await cpuSnapshot(child.pid as number, databaseName);
    const scansBefore = await textIndexScans(databaseUrl);
    // This process is autocannon's: on a small machine the load generator competes for the same cores.
    const driverBefore = process.cpuUsage();
    const result = await run({ ...common, duration: seconds });
    const driver = process.cpuUsage(driverBefore);
    const after = await cpuSnapshot(child.pid as number, databaseName);
    // Statistics reach pg_stat views with a short delay.
    await new Promise((r) => setTimeout(r, 1000));
    const scans = (await textIndexScans(databaseUrl)) - scansBefore;
    // Backends opened during the run started from 0; those that closed are not counted (pools keep theirs open).
    let postgresCpu = 0;
    for (const [pid, cpu] of after.postgres) postgresCpu += cpu - (before.postgres.get(pid) ?? 0);
    const apiCpu = after.api - before.api;
    const perRequest = (cpu: number) => ((1000 * cpu) / Math.max(1, result.requests.total)).toFixed(2);
    const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
    const lines = [
      `items ${n}, ${users ? `${users} shoppers, half the searches personalised` : 'anonymous searches'}, ${connections} connections, ${seconds} s, ` +
        `${distinct} distinct queries drawn Zipf-like, text-match cache ${values['no-cache'] ? 'off' : 'on (30 s)'}`,
      `requests ${result.requests.total}, ${result.requests.average.toFixed(0)} req/s, errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx}`,
      `latency ms: p50 ${result.latency.p50} p90 ${result.latency.p90} p99 ${result.latency.p99} max ${result.latency.max}`,
      `text-index scans in Postgres: ${scans} (${((100 * scans) / Math.max(1, result.requests.total)).toFixed(0)} per 100 requests)`,
      `CPU per request: API process ${perRequest(apiCpu)} ms, Postgres backends ${perRequest(postgresCpu)} ms, load generator ${perRequest((driver.user + driver.system) / 1e6)} ms (load average at the end: ${load})`,
      `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
    ];
    console.log(lines.join('\n'));
  } finally {
    if (child && child.exitCode === null) {
      await new Promise((resolve) => {
        child!.once('exit', resolve);
        child!.kill('SIGTERM');
      });
    }
    // The Redis keys (queues, user state, pages) belong to this run only; the database may be reused.
    const redis = new Redis(env.REDIS_URL);
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
    if (values.keep || reuse) console.error(`kept ${databaseUrl}`);
    else {
      const admin = new Client({ connectionString: 'postgresql://postgres@127.0.0.1:5432/postgres' });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "freshrec_bench_search_${suffix}" WITH (FORCE)`);
      await admin.end();
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
