// `npx tsx src/cli/benchRetrain.ts [--events 1000000] [--models pop,itemknn] [--fuse pop,itemknn]`: measures retrain
// jobs in a real BullMQ worker on a synthetic shop of ~N events written to a scratch database (created here and
// dropped at the end), and prints a Markdown table of wall time per phase and peak RSS for each model alone, for
// the fused full retrain of DEFAULT_MODELS and for the incremental retrain of INCREMENTAL_MODELS. Once a first model
// is served, an API process answers a steady stream of `recommendations` queries (--probe-rate per second), and each
// job's row gives their latency while it ran.
import { parseArgs } from 'node:util';
import os from 'node:os';
import { Client, type Pool } from 'pg';
import { createPgPool } from '../db/pgPool';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { applyMigrations, ensureDatabase } from '../db/migrationRunner';
import { createServices, type Services } from '../app/services';
import { startRetrainWorker } from '../jobs/retrainWorker';
import { lowerWorkerPriority } from '../app/workerPriority';
import { installRetrainSchedules } from '../jobs/retrainScheduler';
import { availableKinds } from '../domain/training/trainingService';
import { PeakRssSampler } from '../ml/evaluation/evaluateModel';
import { createRng, randInt, type Rng } from '../ml/random';
import type { TrainingJobChanged } from '../pubsub/topics';
import { deleteKeysWithPrefix } from '../redis/redisConnections';
import { startProbedApi, waitForApi, type SystemProcess } from '../bench/systemProcesses';
import { QueryProbe, type ProbeWindow } from '../bench/queryProbe';
import { fmt, sleep } from '../bench/stats';

const TYPES: [string, number][] = [
  ['VIEW', 0.7],
  ['CLICK', 0.15],
  ['ADD_TO_CART', 0.08],
  ['PURCHASE', 0.05],
  ['RATING', 0.02],
];

interface Shop {
  users: number;
  items: number;
  categories: number;
}

/** Zipf-like pick in [0, n): low indices are popular. */
function zipf(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(n * Math.pow(rng(), 2.5)));
}

/**
 * A synthetic shop: each user leans to 1-3 categories, popularity is skewed, and 30% of steps go to the
 * "next" item of the same category (structure an item-to-item model can learn). Streams batches of rows.
 */
function* syntheticEvents(shop: Shop, events: number, seed: number) {
  const rng = createRng(seed);
  const perCategory = Math.floor(shop.items / shop.categories);
  const start = Date.now() / 1000 - 60 * 86400;
  let made = 0;
  for (let u = 0; u < shop.users && made < events; u++) {
    const left = shop.users - u;
    const mean = (events - made) / left;
    const count = Math.max(1, Math.min(events - made, Math.round(-Math.log(1 - rng()) * mean)));
    const prefs = Array.from({ length: 1 + randInt(rng, 3) }, () => zipf(rng, shop.categories));
    let t = start + rng() * 50 * 86400;
    let prev = -1;
    const rows: { user: string; item: string; type: string; value: number | null; at: number }[] = [];
    for (let e = 0; e < count; e++) {
      let item: number;
      if (prev >= 0 && rng() < 0.3) item = Math.floor(prev / perCategory) * perCategory + ((prev % perCategory) + 1) % perCategory;
      else if (rng() < 0.8) item = prefs[randInt(rng, prefs.length)] * perCategory + zipf(rng, perCategory);
      else item = zipf(rng, shop.items);
      let r = rng();
      let type = 'VIEW';
      for (const [name, p] of TYPES) {
        if (r < p) {
          type = name;
          break;
        }
        r -= p;
      }
      t += 30 + rng() * (rng() < 0.1 ? 86400 : 600);
      rows.push({ user: `u${u}`, item: `i${item}`, type, value: type === 'RATING' ? 1 + randInt(rng, 5) : null, at: t });
      prev = item;
    }
    made += rows.length;
    yield rows;
  }
}

async function seedDatabase(url: string, shop: Shop, events: number): Promise<number> {
  const pool = createPgPool(url, 2);
  try {
    const perCategory = Math.floor(shop.items / shop.categories);
    for (let from = 0; from < shop.items; from += 10000) {
      const ids = Array.from({ length: Math.min(10000, shop.items - from) }, (_, k) => from + k);
      await pool.query(
        `INSERT INTO items (id, title, category, updated_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])`,
        [ids.map((i) => `i${i}`), ids.map((i) => `item ${i}`), ids.map((i) => `c${Math.floor(i / perCategory)}`), ids.map(() => new Date())],
      );
    }
    let stored = 0;
    let batch: { user: string; item: string; type: string; value: number | null; at: number }[] = [];
    const flush = async () => {
      if (!batch.length) return;
      const users = [...new Set(batch.map((r) => r.user))];
      await pool.query(`INSERT INTO users (id) SELECT * FROM unnest($1::text[]) ON CONFLICT DO NOTHING`, [users]);
      await pool.query(
        `INSERT INTO events (event_id, user_id, item_id, type, value, occurred_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::"EventType"[], $5::float8[], $6::timestamptz[])`,
        [
          batch.map((_, k) => `bench-${stored + k}`),
          batch.map((r) => r.user),
          batch.map((r) => r.item),
          batch.map((r) => r.type),
          batch.map((r) => r.value),
          batch.map((r) => new Date(r.at * 1000)),
        ],
      );
      stored += batch.length;
      batch = [];
      process.stderr.write(`\rseeded ${stored} events`);
    };
    for (const rows of syntheticEvents(shop, events, 11)) {
      batch.push(...rows);
      if (batch.length >= 20000) await flush();
    }
    await flush();
    process.stderr.write('\n');
    return stored;
  } finally {
    await pool.end();
  }
}

interface Measured {
  label: string;
  seconds: number;
  /** Epoch ms the worker started and finished the job. */
  startedAt: number;
  finishedAt: number;
  /** Latency of the probe's queries while the job ran; null before the API served. */
  queries: ProbeWindow | null;
  phases: Map<string, number>;
  peakRssMb: number;
  outcome: string;
}

/** Runs one retrain job through the queue and the worker, timing each phase from the published progress. */
async function measure(services: Services, label: string, models: string[], full: boolean): Promise<Measured> {
  const jobId = `bench-${label.replace(/\W+/g, '-')}-${Date.now()}`;
  const seen: { phase: string; at: number }[] = [];
  let final: TrainingJobChanged | null = null;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  const off = await services.pubsub.on(
    'training:job',
    (v) => {
      if (v.phase && seen[seen.length - 1]?.phase !== v.phase) seen.push({ phase: v.phase, at: v.at });
      if (v.status === 'completed' || v.status === 'failed') {
        final = v;
        resolveDone();
      }
    },
    jobId,
  );
  const sampler = new PeakRssSampler().start(100);
  await services.retrainProducer.queue.add('retrain', { models, full, requestedBy: 'admin' }, { jobId, attempts: 1 });
  await done;
  const peakRssMb = sampler.stop();
  await off();
  const job = await services.retrainProducer.queue.getJob(jobId);
  const seconds = ((job?.finishedOn ?? 0) - (job?.processedOn ?? 0)) / 1000;
  const phases = new Map<string, number>();
  for (let k = 0; k < seen.length; k++) {
    const end = k + 1 < seen.length ? seen[k + 1].at : (job?.finishedOn ?? seen[k].at);
    const name = seen[k].phase === 'evaluating fusion' ? seen[k].phase : seen[k].phase.replace(/^(training|evaluating|saving) .*/, '$1 components');
    phases.set(name, (phases.get(name) ?? 0) + (end - seen[k].at) / 1000);
  }
  const f = final as TrainingJobChanged | null;
  const outcome = !f ? 'unknown' : f.status === 'failed' ? `failed: ${f.error}` : `v${f.servedVersion}, ${f.metrics?.promoted ? 'promoted' : 'kept ready'}, NDCG@10 ${Number(f.metrics?.ndcg ?? 0).toFixed(4)}`;
  return { label, seconds, startedAt: job?.processedOn ?? 0, finishedAt: job?.finishedOn ?? 0, queries: null, phases, peakRssMb, outcome };
}

function table(rows: Measured[]): string {
  const cols: [string, (m: Measured) => number][] = [
    ['load + split', (m) => (m.phases.get('loading') ?? 0) + (m.phases.get('splitting') ?? 0)],
    ['fit', (m) => m.phases.get('training components') ?? 0],
    ['score held-out', (m) => (m.phases.get('evaluating components') ?? 0) + (m.phases.get('scoring kept components') ?? 0)],
    ['save', (m) => m.phases.get('saving components') ?? 0],
    ['fusion fit + score', (m) => (m.phases.get('fitting fusion') ?? 0) + (m.phases.get('evaluating fusion') ?? 0)],
    ['gate (score active)', (m) => (m.phases.get('comparing with the active version') ?? 0) + (m.phases.get('publishing') ?? 0)],
  ];
  const head = `| retrain | job wall time | ${cols.map((c) => c[0]).join(' | ')} | peak RSS | queries meanwhile: p50 / p99 (answered / failed) | result |`;
  const sep = `|${'---|'.repeat(cols.length + 5)}`;
  const body = rows.map(
    (m) =>
      `| ${m.label} | **${m.seconds.toFixed(1)} s** | ${cols.map((c) => `${c[1](m).toFixed(1)} s`).join(' | ')} | ${Math.round(m.peakRssMb)} MiB | ${probeCell(m.queries)} | ${m.outcome} |`,
  );
  return [head, sep, ...body].join('\n');
}

function probeCell(w: ProbeWindow | null): string {
  if (!w) return '–';
  const why = Object.entries(w.failures).map(([reason, n]) => `${n}× ${reason.replace(/\|/g, '/')}`).join('; ');
  return `${fmt(w.p50Ms)} / ${fmt(w.p99Ms)} ms (${w.sent - w.failed} / ${w.failed}${why ? `: ${why}` : ''})`;
}

async function dropScratch(services: Services | null, base: URL, name: string, keepDb: boolean): Promise<void> {
  if (services) {
    const { redis, config } = services;
    await deleteKeysWithPrefix(redis, config.redisPrefix);
    await services.close();
  }
  if (keepDb) {
    // benchSwap.ts --database <name> swaps between the versions it holds.
    console.log(`kept database ${name}`);
    return;
  }
  const admin = new Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '1000000' },
      users: { type: 'string' },
      items: { type: 'string', default: '20000' },
      models: { type: 'string' },
      fuse: { type: 'string' },
      'keep-db': { type: 'boolean', default: false },
      'probe-rate': { type: 'string', default: '20' },
    },
  });
  const events = Number(values.events);
  const shop: Shop = { users: Number(values.users ?? Math.round(events / 16)), items: Number(values.items), categories: 200 };
  const base = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
  const name = `freshrec_bench_retrain_${process.pid}`;
  const url = new URL(base);
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  await applyMigrations(url.toString());
  let services: Services | null = null;
  const rows: Measured[] = [];
  let cleaned: Promise<void> | null = null;
  const probing: { current: { api: SystemProcess; probe: QueryProbe; baseline: { from: number; to: number } } | null } = { current: null };
  const stopProbe = async () => {
    const running = probing.current;
    probing.current = null;
    await running?.probe.stop();
    await running?.api.stop();
  };
  const cleanup = () => (cleaned ??= stopProbe().then(() => dropScratch(services, base, name, values['keep-db'] === true)));
  // Cut short (a caller's timeout, Ctrl-C): report what was measured, then drop the scratch data.
  const stop = (signal: string) => {
    console.log(`interrupted by ${signal}; measured so far:\n\n${table(rows)}`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  try {
    const t0 = performance.now();
    const stored = await seedDatabase(url.toString(), shop, events);
    const seedSeconds = (performance.now() - t0) / 1000;
    const config = loadConfig({
      ...process.env,
      NODE_ENV: 'development',
      DATABASE_URL: url.toString(),
      REDIS_PREFIX: `bench-retrain-${process.pid}`,
      ADMIN_API_KEY: 'bench-admin-key-0123456789',
      CLIENT_API_KEY: 'bench-client-key-0123456789',
      LOG_LEVEL: 'warn',
    });
    const ready = await createServices(config, createLogger('warn'));
    services = ready;
    const worker = startRetrainWorker(ready.training, ready.blockingConnection('bench:retrain'), config.redisPrefix, ready.log);
    await worker.waitUntilReady();
    await installRetrainSchedules(ready.retrainProducer.queue, { fullCron: '', fullModels: [], incrementalCron: '', incrementalModels: [] });
    const kinds = values.models ? values.models.split(',') : availableKinds();
    const probeRate = Number(values['probe-rate']);
    // The probe needs a served model: it starts after the first job.
    const startProbe = async () => {
      const api = await startProbedApi(config);
      await waitForApi(api);
      const probe = new QueryProbe({ url: api.url, clientKey: config.clientApiKey, rate: probeRate, users: shop.users, userId: (k) => `u${k}` });
      // From here this process is the deployment's trainer: it takes the priority a trainer process runs at
      // (WORKER_NICE), now that the API and the probe are started and do not inherit it.
      lowerWorkerPriority(config.workerNice, ready.log);
      // A quiet stretch first: the same queries with no job running.
      const from = Date.now() + 2000;
      await sleep(17_000);
      probing.current = { api, probe, baseline: { from, to: Date.now() } };
    };
    const run = async (label: string, models: string[], full: boolean) => {
      rows.push(await measure(ready, label, models, full));
      // Each row as soon as it is measured, so a long run that is cut short still reports what it finished.
      process.stderr.write(`${table(rows.slice(-1)).split('\n')[2]}\n`);
      if (probeRate > 0 && !probing.current) await startProbe();
    };
    for (const kind of kinds) await run(`${kind} alone (full)`, [kind], true);
    // The scheduled retrains: a full fused retrain of DEFAULT_MODELS (or --fuse), then an incremental one of
    // INCREMENTAL_MODELS (tuned hyper-parameters reused, the active version's other components kept).
    const fused = values.fuse ? values.fuse.split(',') : config.defaultModels;
    if (fused.length > 1) await run(`${fused.join(' + ')} (full, fused)`, fused, true);
    await run(`${config.incrementalModels.join(' + ')} (incremental)`, config.incrementalModels, false);
    await worker.close();
    if (probing.current) {
      const { probe, baseline } = probing.current;
      // Queries still in flight when the last job ended get time to answer (or time out) before windows are read.
      await sleep(5000);
      for (const m of rows) if (m.startedAt >= baseline.to) m.queries = probe.window(m.startedAt, m.finishedAt);
      console.log(`queries with no job running (${probeRate}/s, ${((baseline.to - baseline.from) / 1000).toFixed(0)} s): ${probeCell(probe.window(baseline.from, baseline.to))}`);
      await stopProbe();
    }
    const sizes = await ready.db.$queryRawUnsafe<{ users: bigint; items: bigint }[]>(
      'SELECT count(DISTINCT user_id) AS users, count(DISTINCT item_id) AS items FROM events',
    );
    console.log(`events: ${stored} (seeded in ${seedSeconds.toFixed(0)} s), users: ${sizes[0].users}, items: ${sizes[0].items}`);
    console.log(`held-out users scored per model: ${config.retrainEvalUsers || 'all'} (RETRAIN_EVAL_USERS)`);
    console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log();
    console.log(table(rows));
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
