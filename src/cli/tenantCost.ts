// `node --expose-gc --import tsx src/cli/tenantCost.ts [--tenants 20] [--workers]`: measures what each further tenant
// costs one process: memory, Postgres and Redis connections, right after every tenant served a few requests and
// again once idle. Runs on a scratch control database and Redis prefix (created here, dropped at the end).
import { parseArgs } from 'node:util';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import Redis from 'ioredis';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { applyMigrations, ensureDatabase } from '../db/migrationRunner';
import { createServices } from '../app/services';
import { TenantDirectory } from '../app/tenantDirectory';
import { startApiRole, startWorkerRole, type RunningRole } from '../app/processRoles';
import { tenantDatabaseUrl } from '../app/tenantConfig';
import { deleteKeysWithPrefix } from '../redis/redisConnections';

/** This process's open TCP connections to a port, read from /proc (Linux): socket inodes matched to /proc/net/tcp. */
function connectionsTo(port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // The fd closed while listing.
    }
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols[2] remote address:port, cols[3] state (01 = established), cols[9] inode.
      if (cols.length > 9 && cols[2].endsWith(`:${hexPort}`) && cols[3] === '01' && inodes.has(cols[9])) n++;
    }
  }
  return n;
}

function snapshot() {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20, pg: connectionsTo(5432), redis: connectionsTo(6379) };
}

async function gql(url: string, key: string, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data as Record<string, any>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { tenants: { type: 'string', default: '20' }, workers: { type: 'boolean', default: false } } });
  const n = Number(values.tenants);
  const base = loadConfig();
  const suffix = randomBytes(3).toString('hex');
  const control = new URL(base.databaseUrl);
  control.pathname = `/freshrec_tcost_${suffix}`;
  const adminKey = randomBytes(18).toString('base64url');
  const config = loadConfig({ ...process.env, DATABASE_URL: control.toString(), REDIS_PREFIX: `freshrec_tcost_${suffix}`, ADMIN_API_KEY: adminKey, CLIENT_API_KEY: randomBytes(18).toString('base64url'), LOG_LEVEL: 'error', HOST: '127.0.0.1', RATE_LIMIT_PER_SECOND: '0' });
  await ensureDatabase(config.databaseUrl);
  await applyMigrations(config.databaseUrl);
  const services = await createServices(config, createLogger('error'));
  const directory = new TenantDirectory(services);
  const roles: RunningRole[] = [];
  const created: string[] = [];
  try {
    const api = await startApiRole(services, 0, directory);
    roles.push(api);
    if (values.workers) roles.push(await startWorkerRole(services, directory));
    // Warm the default tenant the same way, so the baseline holds everything a first tenant shares.
    await gql(api.server.url, adminKey, `query { trending { recommId } search(query: "lamp") { total } }`);
    await new Promise((r) => setTimeout(r, 1000));
    const before = snapshot();
    const provisionStart = Date.now();
    const keys: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = `t${i}`;
      const made = await gql(api.server.url, adminKey, `mutation($id: ID!) { createTenant(id: $id) { adminKey { key } } }`, { id });
      created.push(id);
      keys.push(made.createTenant.adminKey.key);
    }
    const provisionMs = (Date.now() - provisionStart) / n;
    const items = Array.from({ length: 50 }, (_, k) => ({ id: `i${k}`, title: `lamp ${k}`, category: `c${k % 5}` }));
    for (const key of keys) {
      await gql(api.server.url, key, `mutation($items: [ItemInput!]!) { upsertItems(items: $items) }`, { items });
      await gql(api.server.url, key, `mutation($e: [EventInput!]!) { trackEvents(inputs: $e) { accepted } }`, {
        e: Array.from({ length: 50 }, (_, k) => ({ userId: `u${k % 10}`, itemId: `i${(k * 7) % 50}`, type: 'VIEW' })),
      });
      await gql(api.server.url, key, `query { recommendations(userId: "u1") { recommId } search(query: "lamp") { total } trending { recommId } }`);
    }
    if (values.workers) await new Promise((r) => setTimeout(r, 2000));
    const busy = snapshot();
    // pg pools close connections idle for 10 s (node-postgres' default idleTimeoutMillis).
    await new Promise((r) => setTimeout(r, 15_000));
    const idle = snapshot();
    // What the connections tenants still hold when idle last ran: names the periodic work that keeps them open.
    const probe = new Client({ connectionString: config.databaseUrl });
    await probe.connect();
    const held = await probe.query<{ query: string; n: number }>(
      `SELECT left(regexp_replace(query, '\s+', ' ', 'g'), 90) AS query, count(*)::int AS n FROM pg_stat_activity
       WHERE datname LIKE $1 GROUP BY 1 ORDER BY 2 DESC LIMIT 5`,
      [`${control.pathname.slice(1)}_t_%`],
    );
    await probe.end();
    const per = (a: number, b: number) => ((a - b) / n).toFixed(2);
    console.log(`| | RSS MB | heap MB | Postgres conns | Redis conns |`);
    console.log(`|---|---|---|---|---|`);
    console.log(`| before (default tenant only) | ${before.rssMb.toFixed(0)} | ${before.heapMb.toFixed(0)} | ${before.pg} | ${before.redis} |`);
    console.log(`| ${n} tenants, just served | ${busy.rssMb.toFixed(0)} | ${busy.heapMb.toFixed(0)} | ${busy.pg} | ${busy.redis} |`);
    console.log(`| ${n} tenants, idle 15 s | ${idle.rssMb.toFixed(0)} | ${idle.heapMb.toFixed(0)} | ${idle.pg} | ${idle.redis} |`);
    console.log(`| per tenant, just served | ${per(busy.rssMb, before.rssMb)} | ${per(busy.heapMb, before.heapMb)} | ${per(busy.pg, before.pg)} | ${per(busy.redis, before.redis)} |`);
    console.log(`| per tenant, idle | ${per(idle.rssMb, before.rssMb)} | ${per(idle.heapMb, before.heapMb)} | ${per(idle.pg, before.pg)} | ${per(idle.redis, before.redis)} |`);
    console.log(`\nlast statement of the tenants' idle connections:`);
    for (const r of held.rows) console.log(`  ${r.n} × ${r.query}`);
    console.log(`\ncreateTenant (database created + migrated): ${provisionMs.toFixed(0)} ms per tenant; workers: ${values.workers ? 'on' : 'off'}; ${os.cpus().length} cores; loadavg ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    for (const r of roles.reverse()) await r.stop();
    await directory.close();
    await services.close();
    const admin = new Client({ connectionString: Object.assign(new URL(config.databaseUrl), { pathname: '/postgres' }).toString() });
    await admin.connect();
    for (const id of created) await admin.query(`DROP DATABASE IF EXISTS "${new URL(tenantDatabaseUrl(config.databaseUrl, id)).pathname.slice(1)}" WITH (FORCE)`);
    await admin.query(`DROP DATABASE IF EXISTS "${control.pathname.slice(1)}" WITH (FORCE)`);
    await admin.end();
    const redis = new Redis(config.redisUrl);
    await deleteKeysWithPrefix(redis, config.redisPrefix);
    redis.disconnect();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
