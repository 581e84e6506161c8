// `npm run bench`: starts the system (worker and API as child processes) on the local Postgres and Redis in a
// scratch database and Redis prefix of its own, loads a data set, trains, measures the serving, event and
// training paths, writes docs/benchmarks.md's bench section (and JSON), and removes everything it created.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import type { Pool } from 'pg';
import { createPgPool } from '../db/pgPool';
import Redis from 'ioredis';
import { loadConfig } from '../config';
import { parseBenchArgs, UsageError, USAGE, type Phase } from './benchArgs';
import { createScratchDeployment, type ScratchDeployment } from './scratchDeployment';
import { loadCsvDataSet, loadGeneratedShop, markAsRegulars, type LoadedData } from './benchData';
import { startSystemProcess, waitForApi, waitForWorkers, type SystemProcess } from './systemProcesses';
import { artefactBytesByKind, followTrainingJob, runRetrainBench, timeRetrain } from './trainingTimes';
import { benchmarkRecommendations } from './recommendationLoad';
import { benchmarkIngestion } from './ingestionLoad';
import { benchmarkPushLatency } from './pushLatency';
import { measureFanOutCost, measureRedisOpsPerEvent } from './perEventCosts';
import { eventsTableBytes } from './postgresCost';
import { benchmarkAnn, benchmarkTopK } from './topKMicro';
import { benchmarkLists } from './listMicro';
import { SCALES } from './syntheticShop';
import { runSearchBench } from './searchLatency';
import { waitForOnlineBacklog } from './onlineBacklog';
import { describeMachine } from './machineInfo';
import { MICRO_SECTION_END, MICRO_SECTION_START, renderMarkdown, renderMicroMarkdown, summaryLines, writeDocSection, writeJson, type BenchResults } from './benchReport';
import { progress } from './stats';
import { INITIAL_TRAINING_JOB } from '../app/bootstrap';


async function serviceVersions(databaseUrl: string, redisUrl: string): Promise<{ postgres: string | null; redis: string | null }> {
  // The maintenance database always exists; the configured one may not yet.
  const pool = createPgPool(new URL('/postgres', databaseUrl).toString(), 1);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const pg = (await pool.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version;
    const info = await redis.info('server');
    return { postgres: pg ? `Postgres ${pg.split(' ')[0]}` : null, redis: /redis_version:(\S+)/.exec(info)?.[1] ?? null };
  } catch {
    return { postgres: null, redis: null };
  } finally {
    await pool.end();
    redis.disconnect();
  }
}

/** In this process: top-K scoring and the approximate index (100,000 items × 64 dims, as the model issue's bar says), and a pushed list. */
async function runMicroBenchmarks(skip: Set<Phase>, results: BenchResults, phase: (name: string) => void): Promise<void> {
  if (!skip.has('topk')) {
    phase('top-K');
    results.topK = benchmarkTopK(100_000, 64, 500);
    progress(`top-K over 100,000 × 64: ${results.topK.simdTopK.cpuMs.toFixed(2)} ms CPU per call, wall p50 ${results.topK.simdTopK.p50Ms.toFixed(2)} ms (simd ${results.topK.simd})`);
  }
  if (!skip.has('ann')) {
    phase('ANN');
    progress('ANN: building IVF indexes over 100,000 × 64 embeddings (two data sets), then timing exact and approximate queries');
    results.ann = await benchmarkAnn(100_000, 64);
  }
  if (!skip.has('lists')) {
    phase('lists');
    results.lists = await benchmarkLists(SCALES.full);
    for (const d of results.lists.depths) progress(`a pushed list of ${d.listSize} over ${results.lists.items.toLocaleString('en-US')} items: ${d.cpuUsPerList.toFixed(0)} µs CPU`);
  }
}

/** `--only topk,ann,lists`: the micro-benchmarks alone, no deployment; they regenerate their own docs section. */
async function microOnly(args: ReturnType<typeof parseBenchArgs>, command: string, machine: BenchResults['machine']): Promise<void> {
  const started = performance.now();
  const results = emptyResults(command, 'micro-benchmarks only', machine, []);
  await runMicroBenchmarks(args.skip, results, (name) => {
    results.loadAverages[name] = Math.round(os.loadavg()[0] * 100) / 100;
  });
  results.seconds = (performance.now() - started) / 1000;
  if (args.json) writeJson(args.json, results);
  if (args.docs) writeDocSection(args.docs, renderMicroMarkdown(results), [MICRO_SECTION_START, MICRO_SECTION_END]);
  process.stderr.write(`${summaryLines(results).join('\n')}\n`);
  if (args.docs) process.stderr.write(`\nwritten: ${args.docs}${args.json ? `, ${args.json}` : ''}\n`);
}

function emptyResults(command: string, scale: string, machine: BenchResults['machine'], models: string[]): BenchResults {
  return {
    command,
    date: new Date().toISOString().slice(0, 10),
    scale,
    machine,
    dataset: { source: '', items: 0, events: 0, users: 0, loadSeconds: 0 },
    models,
    training: null,
    artefactBytes: {},
    epochTraining: null,
    retrainBench: null,
    recommendations: [],
    ingestion: [],
    pushLatency: null,
    pushLatencyCalm: null,
    redisOps: null,
    fanOut: null,
    storageBytesPerEvent: null,
    topK: null,
    ann: null,
    lists: null,
    search: [],
    memory: {},
    exitCodes: {},
    loadAverages: {},
    seconds: 0,
  };
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  if (args.renderFrom) {
    const earlier = JSON.parse(readFileSync(args.renderFrom, 'utf8')) as BenchResults;
    // Runs before the personalised search mix recorded one report, or none.
    const search = earlier.search as unknown as BenchResults['search'] | BenchResults['search'][number] | null;
    earlier.search = Array.isArray(search) ? search : search ? [{ ...search, mix: 'anonymous', p99Ms: null, requestsPerSecond: null }] : [];
    if (args.docs) writeDocSection(args.docs, renderMarkdown(earlier));
    process.stderr.write(`${summaryLines(earlier).join('\n')}\n`);
    return;
  }
  const started = performance.now();
  const base = loadConfig();
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  if (args.microOnly) return microOnly(args, command, describeMachine({ postgres: null, redis: null }));
  const machine = describeMachine(await serviceVersions(base.databaseUrl, base.redisUrl));
  const models = args.models ?? base.defaultModels;
  progress(`machine: nproc ${machine.nproc}, ${machine.memoryGiB} GiB, ${machine.cpuModel}, Node ${machine.node}, load ${machine.loadAverageAtStart}`);

  const scratch: ScratchDeployment = await createScratchDeployment({ models, extraEnv: args.childEnv });
  const nodeArgs = args.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', args.cpuProfileDir] : [];
  progress(`scratch database ${scratch.databaseName}, Redis prefix ${scratch.redisPrefix}`);
  const children: SystemProcess[] = [];
  let cleaned = false;
  const cleanUp = async () => {
    if (cleaned) return;
    cleaned = true;
    await Promise.all(children.map((c) => c.stop()));
    await scratch.drop().catch((err) => progress(`could not drop the scratch deployment: ${(err as Error).message}`));
  };
  const interrupted = (signal: string) => {
    progress(`${signal}: stopping the system and dropping the scratch deployment`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => interrupted('SIGINT'));
  process.once('SIGTERM', () => interrupted('SIGTERM'));

  const pool = createPgPool(scratch.databaseUrl, 4);
  // An idle client's connection dropped (the scratch database removed on interrupt) must not crash the run.
  pool.on('error', () => undefined);
  const results = emptyResults(command, args.events ? `data set ${args.events}` : `${args.scale} (generated)`, machine, models);

  let failure: unknown = null;
  const phase = (name: string) => {
    results.loadAverages[name] = Math.round(os.loadavg()[0] * 100) / 100;
  };
  try {
    phase('loading');
    progress(args.events ? `loading ${args.events}` : `generating and loading ${args.shape.items.toLocaleString('en-US')} items and ${args.shape.events.toLocaleString('en-US')} events`);
    const data: LoadedData = args.events
      ? await loadCsvDataSet(scratch.databaseUrl, args.events, args.items, args.trafficUsers)
      : await loadGeneratedShop(scratch.databaseUrl, args.shape, args.trafficUsers);
    results.dataset = { source: data.source, items: data.items, events: data.events, users: data.users, loadSeconds: data.loadSeconds };
    progress(`loaded ${data.events.toLocaleString('en-US')} events in ${data.loadSeconds.toFixed(0)} s`);
    await markAsRegulars(scratch.redisUrl, scratch.redisPrefix, data.traffic.users);

    // The worker queues the first training itself (no active model yet): follow that job from its first step.
    phase('training');
    const training = await followTrainingJob(scratch.redisUrl, scratch.redisPrefix, INITIAL_TRAINING_JOB, (p) => progress(`training: ${p}`));
    const worker = await startSystemProcess('worker', scratch.env, nodeArgs);
    children.push(worker);
    await waitForWorkers(scratch.redisUrl, scratch.redisPrefix, [worker]);
    progress(`worker ${worker.pid} up; training ${models.join(' + ')}`);
    results.training = await Promise.race([
      training.done,
      new Promise<never>((_, reject) => worker.proc.once('exit', () => reject(new Error(`worker exited while training:\n${worker.output()}`)))),
    ]);
    await training.close();
    progress(`training ${results.training.status} in ${results.training.seconds.toFixed(1)} s: ${results.training.outcome}`);
    if (results.training.status !== 'completed') throw new Error(`training failed: ${results.training.outcome}`);
    results.artefactBytes = await artefactBytesByKind(pool);

    const api = await startSystemProcess('api', scratch.env, nodeArgs);
    children.push(api);
    await waitForApi(api);
    progress(`API ${api.pid} ready at ${api.url}`);
    results.memory.api = { afterTraining: api.memory(), afterLoad: null };
    results.memory.worker = { afterTraining: worker.memory(), afterLoad: null };
    results.memory.trainer = { afterTraining: worker.childMemory(), afterLoad: null };
    const measured = [api, worker];
    const drain = () => waitForOnlineBacklog(scratch.redisUrl, scratch.redisPrefix);

    if (!args.skip.has('recommendations')) {
      phase('recommendations');
      results.recommendations = await benchmarkRecommendations({
        api,
        clientKey: scratch.clientKey,
        users: data.traffic.users,
        connections: args.connections,
        seconds: args.seconds,
        repeats: args.repeats,
        measured,
      });
    }
    if (!args.skip.has('ingestion')) {
      phase('ingestion');
      results.ingestion = await benchmarkIngestion({
        api,
        clientKey: scratch.clientKey,
        traffic: data.traffic,
        pool,
        connections: args.ingestConnections,
        seconds: args.seconds,
        repeats: Math.min(args.repeats, 2),
        users: 2 * args.pushUsers,
        measured,
        drain,
      });
    }
    if (!args.skip.has('push')) {
      await drain();
      const bytesBefore = await eventsTableBytes(pool);
      const pushRun = (rate: number, seconds: number, trace?: string) =>
        benchmarkPushLatency({
          apis: [api],
          workers: [worker],
          clientKey: scratch.clientKey,
          traffic: data.traffic,
          pool,
          databaseName: scratch.databaseName,
          redisUrl: scratch.redisUrl,
          prefix: scratch.redisPrefix,
          rate,
          seconds,
          users: args.pushUsers,
          drain,
          trace,
        });
      phase('event→push, gentle rate');
      results.pushLatencyCalm = await pushRun(args.calmRate, args.calmSeconds);
      phase('event→push, bar rate');
      results.pushLatency = await pushRun(args.pushRate, args.pushSeconds, args.pushTrace);
      const stored = results.pushLatencyCalm.storedOfAcknowledged + results.pushLatency.storedOfAcknowledged;
      results.storageBytesPerEvent = ((await eventsTableBytes(pool)) - bytesBefore) / Math.max(1, stored);
      for (const p of [results.pushLatencyCalm, results.pushLatency]) {
        progress(`event→push at ${p.rate}/s: p50 ${p.latencyP50Ms.toFixed(1)} ms, p99 ${p.latencyP99Ms.toFixed(1)} ms (to published ${p.toPublishedP50Ms.toFixed(1)} / ${p.toPublishedP99Ms.toFixed(1)} ms); ${p.storedOfAcknowledged}/${p.acknowledged} stored; out of order ${p.outOfOrderPublished}/${p.outOfOrderDelivered}`);
      }
    }
    if (!args.skip.has('costs')) {
      phase('per-event costs');
      progress('per-event costs: Redis commands per event (MONITOR, 300 events at 50/s), then push fan-out');
      results.redisOps = await measureRedisOpsPerEvent({ apiUrls: [api.url], clientKey: scratch.clientKey, traffic: data.traffic, redisUrl: scratch.redisUrl, prefix: scratch.redisPrefix, events: 300, drain });
      const items = (await pool.query<{ id: string }>('SELECT id FROM items ORDER BY id LIMIT 1000')).rows.map((r) => r.id);
      results.fanOut = await measureFanOutCost({
        api,
        clientKey: scratch.clientKey,
        users: data.traffic.users.slice(0, args.pushUsers),
        items,
        redisUrl: scratch.redisUrl,
        prefix: scratch.redisPrefix,
        rate: 2000,
        seconds: 10,
      });
      progress(`Redis ${results.redisOps.commandsPerEvent.toFixed(1)} commands/event; fan-out ${results.fanOut.apiCpuMsPerPush.toFixed(3)} ms API CPU per push`);
    }
    if (!args.skip.has('epochs') && args.epochModels.length) {
      // Last of the live phases: the retrain may promote a new version, which would change what is served.
      phase('training in epochs');
      progress(`retraining ${args.epochModels.join(' + ')} in the worker to time its epochs`);
      results.epochTraining = await timeRetrain(scratch.redisUrl, scratch.redisPrefix, args.epochModels, 45 * 60_000);
      progress(`epochs: ${results.epochTraining.models.map((m) => `${m.model} ${m.epochs ?? 0} epochs, ${m.secondsPerEpoch?.toFixed(1) ?? '–'} s each`).join('; ')}`);
    }
    results.memory.api.afterLoad = api.memory();
    results.memory.worker.afterLoad = worker.memory();
    results.memory.trainer.afterLoad = worker.childMemory();
    for (const c of children.splice(0)) {
      const code = await c.stop();
      results.exitCodes[`${c.role} ${c.pid}`] = code;
      if (code !== 0) progress(`${c.role} ${c.pid} exited ${code} on SIGTERM; its last output:\n${c.output().slice(-2000)}`);
    }

    // In-process micro-benchmarks run once the system is stopped, so they do not compete with it.
    await runMicroBenchmarks(args.skip, results, phase);
    if (!args.skip.has('search')) {
      phase('search');
      const items = args.events ? results.dataset.items : args.shape.items;
      const searchArgs = ['--items', String(items), '--seconds', String(Math.max(10, args.seconds))];
      for (const mix of [[], ['--personal']]) {
        const run = await runSearchBench({ REDIS_URL: base.redisUrl }, [...searchArgs, ...mix], 30 * 60_000);
        if (run) results.search.push(run);
      }
      if (!results.search.length) progress('search: src/bench/searchBench.ts not present; no search figures');
    }
    if (!args.skip.has('retrain-bench') && !args.events) {
      phase('training, each model alone');
      progress('training per model alone: src/cli/benchRetrain.ts');
      results.retrainBench = await runRetrainBench({
        events: args.shape.events,
        items: args.shape.items,
        models,
        timeoutMs: 60 * 60_000,
        env: { DATABASE_URL: new URL('/postgres', base.databaseUrl).toString(), REDIS_URL: base.redisUrl },
      });
    }
  } catch (err) {
    failure = err;
  } finally {
    await pool.end();
    await cleanUp();
  }
  results.seconds = (performance.now() - started) / 1000;
  // Written even after a failure: the phases that finished are worth keeping.
  if (args.json) writeJson(args.json, results);
  if (failure) throw failure;
  if (args.docs) writeDocSection(args.docs, renderMarkdown(results));
  process.stderr.write(`${summaryLines(results).join('\n')}\n`);
  if (args.docs) process.stderr.write(`\nwritten: ${args.docs}${args.json ? `, ${args.json}` : ''}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    if (err instanceof UsageError) {
      console.error(err.message === USAGE ? USAGE : `${err.message}\n`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  },
);
