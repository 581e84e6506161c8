// `npx tsx src/cli/benchSwap.ts --database freshrec_bench_retrain_123 [--versions 5,9] [--rounds 6] [--ann-min-items n]`: measures how
// long a model swap blocks this process's event loop. It serves the given database like an API process would, then
// promotes two stored versions in turn (the swap every process does on a promotion) and reports, per swap, the
// event loop's longest stall (monitorEventLoopDelay), the swap's wall time and the steps ActiveModel logged.
// With --api-probe <rate>, an API process (src/main/api.ts) serves the database instead, a probe process sends it
// `recommendations` queries at that rate, and each promotion (published, not swapped here) is followed by the
// latency of the queries sent in the seconds after it: the swap as clients see it.
// Run it on a database kept by `benchRetrain.ts --keep-db`; under `flock /tmp/freshrec-measure.lock` when timing.
import { parseArgs } from 'node:util';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { loadConfig } from '../config';
import { createServices, type Services } from '../app/services';
import { deleteKeysWithPrefix } from '../redis/redisConnections';
import { fmt, median, sleep } from '../bench/stats';
import { startProbedApi, waitForApi } from '../bench/systemProcesses';
import { QueryProbe, type ProbeWindow } from '../bench/queryProbe';

interface Stall {
  /** ms since the swap began. */
  at: number;
  ms: number;
  /**
   * CPU time the process used during the stall (every thread: GC helpers included). On a shared machine a stall
   * much longer than its CPU time was mostly the process waiting for a core, not work it did.
   */
  cpuMs: number;
}

interface SwapMeasure {
  version: number;
  wallMs: number;
  maxDelayMs: number;
  p99DelayMs: number;
  /** CPU time of the stall that used the most. */
  maxStallCpuMs: number;
  /** Event-loop gaps over STALL_MS seen by a 1 ms timer, in order. */
  stalls: Stall[];
  steps: Record<string, number>;
}

const STALL_MS = 10;

/**
 * Records every gap of the event loop longer than STALL_MS, with when it happened: the histogram says how long
 * the worst one was, this says where in the swap it fell.
 */
class StallRecorder {
  private timer: NodeJS.Timeout | null = null;
  private last = 0;
  private lastCpu = 0;
  private origin = 0;
  stalls: Stall[] = [];

  start(): void {
    this.origin = performance.now();
    this.last = this.origin;
    this.lastCpu = cpuMs();
    this.stalls = [];
    const tick = () => {
      const now = performance.now();
      const cpu = cpuMs();
      const gap = now - this.last - 1;
      if (gap > STALL_MS) this.stalls.push({ at: Math.round(this.last - this.origin), ms: Math.round(gap), cpuMs: Math.round(cpu - this.lastCpu) });
      this.last = now;
      this.lastCpu = cpu;
      this.timer = setTimeout(tick, 1);
    };
    this.timer = setTimeout(tick, 1);
  }

  stop(): Stall[] {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.stalls;
  }
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

async function measureSwap(services: Services, version: number, swapLogs: Record<string, number>[]): Promise<SwapMeasure> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const recorder = new StallRecorder();
  const logged = swapLogs.length;
  histogram.enable();
  recorder.start();
  const started = performance.now();
  // promote() answers once this process has swapped (ActiveModel.refresh), as the admin mutation does.
  await services.registry.promote(String(version));
  const wallMs = performance.now() - started;
  // One more turn of the loop so a stall at the very end is seen by both monitors.
  await sleep(5);
  const stalls = recorder.stop();
  histogram.disable();
  if (services.activeModel.versionId !== version) throw new Error(`v${version} was not swapped in (serving v${services.activeModel.versionId})`);
  return {
    version,
    wallMs,
    maxDelayMs: histogram.max / 1e6,
    p99DelayMs: histogram.percentile(99) / 1e6,
    maxStallCpuMs: Math.max(0, ...stalls.map((s) => s.cpuMs)),
    stalls,
    steps: swapLogs[logged] ?? {},
  };
}

/**
 * The step a stall began in, placing the logged steps back to back so that they end where the swap ended (the
 * promotion's own queries come before them): approximate, each step's duration being rounded.
 */
function stepAt(m: SwapMeasure, at: number): string {
  const steps = Object.entries(m.steps);
  let start = m.wallMs - steps.reduce((sum, [, ms]) => sum + ms, 0);
  if (at < start) return 'before loading';
  for (const [name, ms] of steps) {
    if (at < start + ms) return name;
    start += ms;
  }
  return 'after the swap';
}

// Queries sent from a promotion's publication until this much later are counted as "during the swap".
const SWAP_WINDOW_MS = 6000;

/** Promotions published to an API process of its own while a probe queries it: latency in and out of the swaps. */
async function probeApiSwaps(services: Services, pair: number[], rounds: number, rate: number): Promise<void> {
  const { config } = services;
  // This process only publishes: it must not swap too, competing with the API process for the cores.
  await services.activeModel.stop();
  const api = await startProbedApi(config);
  const users = await services.db.user.count();
  const ids = (await services.db.user.findMany({ select: { id: true }, orderBy: { id: 'asc' } })).map((u) => u.id);
  let probe: QueryProbe | null = null;
  try {
    await waitForApi(api);
    probe = new QueryProbe({ url: api.url, clientKey: config.clientApiKey, rate, users, userId: (k) => ids[k] });
    await sleep(5000);
    const quiet: ProbeWindow[] = [];
    const swaps: ProbeWindow[] = [];
    let active = (await services.versions.active())?.id;
    for (let r = 0; r < rounds; r++) {
      // The quiet stretch before each promotion is the baseline it is compared with.
      const quietFrom = Date.now();
      await sleep(SWAP_WINDOW_MS);
      const target = pair[0] === active ? pair[1] : pair[0];
      const at = Date.now();
      await services.versions.activate(target);
      await services.pubsub.publish('model:published', { versionId: target });
      active = target;
      await sleep(SWAP_WINDOW_MS + 3000);
      quiet.push(probe.window(quietFrom, at));
      swaps.push(probe.window(at, at + SWAP_WINDOW_MS));
      const w = swaps[swaps.length - 1];
      console.log(`swap ${r + 1} to v${target}: queries in the ${SWAP_WINDOW_MS / 1000} s after publication p50 ${fmt(w.p50Ms)} / p99 ${fmt(w.p99Ms)} / max ${fmt(w.maxMs)} ms (${w.sent} sent, ${w.failed} failed); before it: p99 ${fmt(quiet[quiet.length - 1].p99Ms)} / max ${fmt(quiet[quiet.length - 1].maxMs)} ms`);
    }
    const med = (ws: ProbeWindow[], f: (w: ProbeWindow) => number) => fmt(median(ws.map(f)));
    console.log(`median of ${rounds}: after a publication p50 ${med(swaps, (w) => w.p50Ms)} / p99 ${med(swaps, (w) => w.p99Ms)} / max ${med(swaps, (w) => w.maxMs)} ms; quiet p50 ${med(quiet, (w) => w.p50Ms)} / p99 ${med(quiet, (w) => w.p99Ms)} / max ${med(quiet, (w) => w.maxMs)} ms; failed ${swaps.reduce((s, w) => s + w.failed, 0) + quiet.reduce((s, w) => s + w.failed, 0)}`);
    const reasons = [...swaps, ...quiet].flatMap((w) => Object.entries(w.failures)).map(([why, n]) => `${n}× ${why}`);
    if (reasons.length) console.log(`failures: ${reasons.join('; ')}`);
    console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await probe?.stop();
    await api.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      database: { type: 'string' },
      'database-url': { type: 'string', default: 'postgresql://postgres@127.0.0.1:5432/' },
      versions: { type: 'string' },
      rounds: { type: 'string', default: '6' },
      gap: { type: 'string', default: '3' },
      // Lower than the catalogue (e.g. 10000) to measure the approximate item index built for mf and seq in the swap.
      'ann-min-items': { type: 'string' },
      'api-probe': { type: 'string' },
    },
  });
  if (!values.database) throw new Error('--database <name of a database kept by benchRetrain --keep-db> is required');
  const url = new URL(values['database-url']);
  url.pathname = `/${values.database}`;
  const config = loadConfig({
    NODE_ENV: 'development',
    DATABASE_URL: url.toString(),
    REDIS_PREFIX: `bench-swap-${process.pid}`,
    ADMIN_API_KEY: 'bench-admin-key-0123456789',
    CLIENT_API_KEY: 'bench-client-key-0123456789',
    LOG_LEVEL: 'info',
    ...(values['ann-min-items'] ? { ANN_MIN_ITEMS: values['ann-min-items'] } : {}),
  });
  // The swap's per-step timings come from ActiveModel's own log line; everything else logged is dropped.
  const swapLogs: Record<string, number>[] = [];
  const log = pino({ level: 'info' }, {
    write(line: string) {
      const entry = JSON.parse(line) as { msg?: string; ms?: Record<string, number>; level?: number };
      if (entry.msg === 'model swapped in' && entry.ms) swapLogs.push(entry.ms);
      else if ((entry.level ?? 0) >= 40) process.stderr.write(line);
    },
  });
  const startup = monitorEventLoopDelay({ resolution: 1 });
  startup.enable();
  const services = await createServices(config, log);
  startup.disable();
  try {
    const candidates = (await services.versions.list(200)).filter((v) => ['ready', 'retired', 'active'].includes(v.status));
    const pair = values.versions
      ? values.versions.split(',').map(Number)
      : candidates.filter((v) => v.kind === 'fusion').slice(0, 2).map((v) => v.id);
    if (pair.length !== 2) throw new Error(`need two versions to promote in turn, found ${pair.join(',') || 'none'}; pass --versions a,b`);
    const labels = new Map(candidates.map((v) => [v.id, v.kind === 'fusion' ? `fusion(${(v.params.components as { kind: string }[]).map((c) => c.kind).join('+')})` : v.kind]));
    console.log(`database ${values.database}: swapping between v${pair[0]} ${labels.get(pair[0])} and v${pair[1]} ${labels.get(pair[1])}`);
    console.log(`start-up (services created, v${services.activeModel.versionId} loaded): max event-loop delay ${fmt(startup.max / 1e6)} ms; steps ${JSON.stringify(swapLogs[0] ?? {})}`);
    const rounds = Number(values.rounds);
    if (values['api-probe']) return await probeApiSwaps(services, pair, rounds, Number(values['api-probe']));
    const measures: SwapMeasure[] = [];
    for (let r = 0; r < rounds; r++) {
      const target = pair[0] === services.activeModel.versionId ? pair[1] : pair[0];
      // Each swap starts from a settled process: the previous model's disposal is 30 s later (DISPOSE_GRACE_MS).
      await sleep(Number(values.gap) * 1000);
      const m = await measureSwap(services, target, swapLogs);
      measures.push(m);
      const worst = [...m.stalls].sort((a, b) => b.ms - a.ms).slice(0, 6).map((s) => `${s.ms}(${s.cpuMs})@${s.at} ${stepAt(m, s.at)}`).join(', ');
      console.log(
        `swap ${r + 1} to v${m.version}: wall ${fmt(m.wallMs, 0)} ms, max delay ${fmt(m.maxDelayMs)} ms, p99 ${fmt(m.p99DelayMs)} ms, ` +
          `max CPU in one stall ${fmt(m.maxStallCpuMs, 0)} ms, stalls >${STALL_MS} ms: ${m.stalls.length} (worst: ms (CPU ms) @offset step: ${worst || '–'}); steps ${JSON.stringify(m.steps)}`,
      );
    }
    console.log(
      `median of ${rounds} swaps: wall ${fmt(median(measures.map((m) => m.wallMs)), 0)} ms, max delay ${fmt(median(measures.map((m) => m.maxDelayMs)))} ms ` +
        `(range ${fmt(Math.min(...measures.map((m) => m.maxDelayMs)))}–${fmt(Math.max(...measures.map((m) => m.maxDelayMs)))}), ` +
        `max CPU in one stall ${fmt(median(measures.map((m) => m.maxStallCpuMs)), 0)} ms, stalls >${STALL_MS} ms per swap ${fmt(median(measures.map((m) => m.stalls.length)), 0)}`,
    );
    console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await deleteKeysWithPrefix(services.redis, config.redisPrefix);
    await services.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
