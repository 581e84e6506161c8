// `npm run chaos`: a bounded fault drill on loopback. While a load generator sends events and queries, it
// kills and restarts the worker, restarts Redis (a private redis-server, never the machine's), and drops
// every Postgres connection; then checks that each acknowledged event is stored exactly once and that every
// user's online state equals a rebuild from Postgres.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { Client } from 'pg';
import Redis from 'ioredis';
import { loadConfig } from '../config';
import { ensureDatabase, applyMigrations } from '../db/migrationRunner';
import { generateSampleStore, loadSampleStore } from '../sample/sampleStore';

const ROOT = path.resolve(__dirname, '../..');
const DURATION_S = 60;
const USERS = 40;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startProcess(cmd: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(cmd, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
}

/**
 * A freshrec process run by node itself with tsx as a loader: the pid is the server's own, so SIGKILL kills
 * it. (The tsx binary is a wrapper: killing it leaves the real process running as an orphan.)
 */
function startRole(role: 'api' | 'worker', env: Record<string, string>): ChildProcess {
  return startProcess(process.execPath, ['--import', 'tsx', path.join(ROOT, `src/main/${role}.ts`)], env);
}

async function waitHttp(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await sleep(200);
  }
  throw new Error(`${url} did not become ready`);
}

interface PhaseStats {
  sent: number;
  failed: number;
  /** The first error message seen in the phase, to tell timeouts from refusals. */
  sample?: string;
}

async function main(): Promise<void> {
  const base = loadConfig();
  const run = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const dbUrl = new URL(base.databaseUrl);
  dbUrl.pathname = `/freshrec_chaos_${run}`;
  const redisPort = await freePort();
  const apiPort = await freePort();
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const startRedis = () => startProcess('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {});
  let redisProc = startRedis();
  const env: Record<string, string> = {
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: redisUrl,
    REDIS_PREFIX: `freshrec-chaos-${run}`,
    ADMIN_API_KEY: base.adminApiKey,
    CLIENT_API_KEY: base.clientApiKey,
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    RATE_LIMIT_PER_SECOND: '0',
  };
  console.error(`chaos: scratch database ${dbUrl.pathname.slice(1)}, private Redis on :${redisPort}, API on :${apiPort}`);
  await ensureDatabase(env.DATABASE_URL);
  await applyMigrations(env.DATABASE_URL);
  await loadSampleStore(env.DATABASE_URL);

  const api = startRole('api', env);
  let worker = startRole('worker', env);
  const url = `http://127.0.0.1:${apiPort}/graphql`;
  await waitHttp(`http://127.0.0.1:${apiPort}/healthz`);
  console.error('chaos: system up; load and faults start');

  const acked = new Set<string>();
  const phases = new Map<string, PhaseStats>();
  let phase = 'steady';
  const itemIds = generateSampleStore().items.map((i) => i.id);
  let seq = 0;
  let stopping = false;
  const post = async (query: string, variables: Record<string, unknown>) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${env.CLIENT_API_KEY}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(5000),
    });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const count = (failed: boolean, err?: unknown) => {
    const p = phases.get(phase) ?? { sent: 0, failed: 0 };
    p.sent++;
    if (failed) p.failed++;
    if (failed && !p.sample) p.sample = String((err as Error)?.message ?? err).slice(0, 120);
    phases.set(phase, p);
  };
  // Each virtual shopper sends an event, retrying with the same eventId until acknowledged, then asks for a list.
  const shopper = async (u: number) => {
    while (!stopping) {
      const eventId = `chaos-${u}-${seq++}`;
      const input = { eventId, userId: `chaos-user-${u}`, itemId: itemIds[(u * 7 + seq) % itemIds.length], type: 'VIEW' };
      for (let attempt = 0; attempt < 20 && !acked.has(eventId); attempt++) {
        try {
          await post('mutation($i: EventInput!) { trackEvent(input: $i) { accepted duplicate } }', { i: input });
          acked.add(eventId);
          count(false);
        } catch (err) {
          count(true, err);
          await sleep(200);
        }
      }
      await post('query($u: ID!) { recommendations(userId: $u, limit: 5) { recommId } }', { u: input.userId }).then(() => count(false), (err) => count(true, err));
      await sleep(200);
    }
  };
  const load = Promise.all(Array.from({ length: USERS }, (_, u) => shopper(u)));

  const admin = new Client({ connectionString: base.databaseUrl.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  const timeline: [number, string, () => Promise<void>][] = [
    [10, 'worker killed', async () => void worker.kill('SIGKILL')],
    [15, 'worker restarted', async () => void (worker = startRole('worker', env))],
    [25, 'redis down', async () => void redisProc.kill('SIGKILL')],
    [32, 'redis restarted (empty)', async () => void (redisProc = startRedis())],
    [42, 'postgres connections dropped', async () => {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbUrl.pathname.slice(1)]);
    }],
    [48, 'steady again', async () => undefined],
  ];
  const t0 = Date.now();
  for (const [at, name, act] of timeline) {
    await sleep(Math.max(0, t0 + at * 1000 - Date.now()));
    phase = name;
    console.error(`chaos: t=${at}s ${name}`);
    await act();
  }
  await sleep(Math.max(0, t0 + DURATION_S * 1000 - Date.now()));
  stopping = true;
  await load;

  // Let the online path catch up, then verify against Postgres.
  const db = new Client({ connectionString: env.DATABASE_URL });
  await db.connect();
  const redis = new Redis(redisUrl);
  const users = Array.from({ length: USERS }, (_, u) => `chaos-user-${u}`);
  let mismatched: string[] = users;
  const deadline = Date.now() + 90_000;
  while (mismatched.length && Date.now() < deadline) {
    await sleep(1000);
    mismatched = [];
    for (const user of users) {
      const rows = await db.query<{ item_id: string }>('SELECT item_id FROM events WHERE user_id = $1 AND NOT flagged AND item_id IS NOT NULL ORDER BY id DESC LIMIT 50', [user]);
      const hist = await redis.lrange(`${env.REDIS_PREFIX}:u:{${user}}:hist`, 0, -1);
      const live = hist.map((h) => JSON.parse(h)[0] as string);
      if (JSON.stringify(live) !== JSON.stringify(rows.rows.map((r) => r.item_id))) mismatched.push(user);
    }
  }
  const stored = await db.query<{ event_id: string; n: string }>(`SELECT event_id, count(*) AS n FROM events WHERE event_id LIKE 'chaos-%' GROUP BY event_id`);
  const storedIds = new Map(stored.rows.map((r) => [r.event_id, Number(r.n)]));
  const lost = [...acked].filter((id) => !storedIds.has(id));
  const duplicated = [...storedIds.values()].filter((n) => n > 1).length;

  api.kill('SIGTERM');
  worker.kill('SIGTERM');
  await sleep(2000);
  redisProc.kill('SIGKILL');
  redis.disconnect();
  await db.end();
  await admin.query(`DROP DATABASE IF EXISTS "${dbUrl.pathname.slice(1)}" WITH (FORCE)`);
  await admin.end();

  const summary = {
    duration_s: DURATION_S,
    shoppers: USERS,
    events_acknowledged: acked.size,
    events_stored: storedIds.size,
    lost: lost.length,
    stored_twice: duplicated,
    users_state_matching_rebuild: `${USERS - mismatched.length}/${USERS}`,
    phases: Object.fromEntries([...phases].map(([name, p]) => [name, { requests: p.sent, errors: p.failed, error_rate: +(p.failed / Math.max(1, p.sent)).toFixed(3), first_error: p.sample ?? '' }])),
  };
  console.table(Object.entries(summary.phases).map(([name, p]) => ({ phase: name, ...p })));
  console.table([{ acknowledged: acked.size, stored: storedIds.size, lost: lost.length, stored_twice: duplicated, state_matches: summary.users_state_matching_rebuild }]);
  const jsonArg = process.argv.indexOf('--json');
  if (jsonArg >= 0) writeFileSync(process.argv[jsonArg + 1], JSON.stringify(summary, null, 2));
  process.exit(lost.length === 0 && duplicated === 0 && mismatched.length === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
