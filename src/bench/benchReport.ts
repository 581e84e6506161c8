// Everything one `npm run bench` run measured, rendered three ways: the JSON file, the summary table on
// stderr, and this benchmark's own section of docs/benchmarks.md (other sections of that file are left alone).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { MachineInfo } from './machineInfo';
import type { TrainingTimes, RetrainBenchOutput } from './trainingTimes';
import type { ConcurrencyResult } from './recommendationLoad';
import type { IngestionResult } from './ingestionLoad';
import type { PushLatencyResult } from './pushLatency';
import type { FanOutCost, RedisOpsPerEvent } from './perEventCosts';
import type { AnnResult, TopKMicroResult } from './topKMicro';
import type { ListMicroResult } from './listMicro';
import type { SearchLatency } from './searchLatency';
import type { MemoryUse } from './systemProcesses';
import { fmt, fmtInt } from './stats';
import { PUSH_HEAD_DEPTH } from '../pubsub/topics';

export const SECTION_START = '<!-- bench:start -->';
export const SECTION_END = '<!-- bench:end -->';

export interface Bar {
  name: string;
  target: string;
  measured: string;
  met: boolean | null;
}

export interface BenchResults {
  command: string;
  date: string;
  scale: string;
  machine: MachineInfo;
  dataset: { source: string; items: number; events: number; users: number; loadSeconds: number };
  models: string[];
  training: TrainingTimes | null;
  /** Stored artefact bytes of the served version's components, by model kind. */
  artefactBytes: Record<string, number>;
  /** A later retrain of the epoch-trained models alone, timed per epoch. */
  epochTraining: TrainingTimes | null;
  retrainBench: RetrainBenchOutput | null;
  recommendations: ConcurrencyResult[];
  ingestion: IngestionResult[];
  pushLatency: PushLatencyResult | null;
  /** The same measurement at a rate that leaves the cores some slack. */
  pushLatencyCalm: PushLatencyResult | null;
  redisOps: RedisOpsPerEvent | null;
  fanOut: FanOutCost | null;
  storageBytesPerEvent: number | null;
  topK: TopKMicroResult | null;
  ann: AnnResult | null;
  lists: ListMicroResult | null;
  /** The plain mix, then the one with half the searches personalised. */
  search: SearchLatency[];
  memory: Record<string, { afterTraining: MemoryUse | null; afterLoad: MemoryUse | null }>;
  exitCodes: Record<string, number | null>;
  /** 1-minute load average as each phase started: how busy the shared machine was. */
  loadAverages: Record<string, number>;
  seconds: number;
}

export function bars(r: BenchResults): Bar[] {
  const out: Bar[] = [];
  const p = r.pushLatency;
  if (p) {
    out.push({
      name: `event→push at ${p.rate} events/s for ${p.seconds} s (the issue's bar)`,
      target: 'p50 < 15 ms, p99 < 60 ms',
      measured: `p50 ${fmt(p.latencyP50Ms)} ms, p99 ${fmt(p.latencyP99Ms)} ms (sent at ${fmt(p.achievedRate, 0)}/s)`,
      met: p.latencyP50Ms < 15 && p.latencyP99Ms < 60 && p.achievedRate >= 0.95 * p.rate,
    });
  }
  const c = r.pushLatencyCalm;
  if (c) {
    out.push({
      name: `event→push at ${c.rate} events/s for ${c.seconds} s (cores not saturated)`,
      target: 'p50 < 15 ms, p99 < 60 ms',
      measured: `p50 ${fmt(c.latencyP50Ms)} ms, p99 ${fmt(c.latencyP99Ms)} ms`,
      met: c.latencyP50Ms < 15 && c.latencyP99Ms < 60,
    });
  }
  const runs = [c, p].filter((x): x is PushLatencyResult => x !== null);
  if (runs.length) {
    const sum = (f: (x: PushLatencyResult) => number) => runs.reduce((a, x) => a + f(x), 0);
    const lost = sum((x) => x.acknowledged - x.storedOfAcknowledged);
    out.push({
      name: 'no event lost (both event→push runs)',
      target: 'every acknowledged event stored and applied online',
      measured: `${fmtInt(sum((x) => x.storedOfAcknowledged))}/${fmtInt(sum((x) => x.acknowledged))} acknowledged events stored; ${sum((x) => x.usersBehind)} shoppers' online state behind; ${fmtInt(sum((x) => x.sent - x.acknowledged))} of ${fmtInt(sum((x) => x.sent))} sent never acknowledged`,
      met: lost === 0 && sum((x) => x.usersBehind) === 0,
    });
    out.push({
      name: 'no push out of order for one shopper',
      target: '0',
      measured: `${sum((x) => x.outOfOrderPublished)} published, ${sum((x) => x.outOfOrderDelivered)} delivered`,
      met: sum((x) => x.outOfOrderPublished + x.outOfOrderDelivered) === 0,
    });
  }
  if (r.topK) {
    out.push({
      name: `top-10 of ${fmtInt(r.topK.items)} items × ${r.topK.dim} dims, one user`,
      target: '< 5 ms',
      measured: `${fmt(r.topK.simdTopK.cpuMs, 2)} ms CPU per call; wall p50 ${fmt(r.topK.simdTopK.p50Ms, 2)} ms, p99 ${fmt(r.topK.simdTopK.p99Ms, 2)} ms (${r.topK.simd ? 'wasm SIMD' : 'JS loop'})`,
      met: r.topK.simdTopK.cpuMs < 5,
    });
  }
  for (const s of r.search) {
    out.push({
      name: `search p99 at 20 clients (${s.mix === 'personalised' ? 'half the searches personalised' : 'plain search'})`,
      target: '< 30 ms',
      measured: s.p99Ms === null ? `no figure (exit ${s.exitCode})` : `p99 ${s.p99Ms} ms at ${fmtInt(s.requestsPerSecond ?? 0)} req/s`,
      met: s.p99Ms === null ? null : s.p99Ms < 30,
    });
  }
  const lost = r.ingestion.reduce((a, i) => a + i.lost, 0);
  if (r.ingestion.length) out.push({ name: 'ingestion durability', target: 'acknowledged = in Postgres', measured: `${lost} acknowledged events missing`, met: lost === 0 });
  for (const d of r.ann?.datasets ?? []) {
    out.push({
      name: `ANN recall@10 vs exact (${fmtInt(r.ann?.items ?? 0)} × ${r.ann?.dim}, ${fmtInt(d.clusters)} clusters)`,
      target: '≥ 0.9',
      measured: `${fmt(d.served.recallAt10, 3)} at ${d.served.probes} of ${d.lists} lists, ${fmt(d.served.speedup)}× faster than exact (CPU); build ${fmt(d.buildSeconds)} s`,
      met: d.served.recallAt10 >= 0.9,
    });
  }
  return out;
}

/** CPU milliseconds per event the run stored (requests abandoned unanswered did no work worth charging). */
export function perEvent(x: PushLatencyResult, who: 'api' | 'worker' | 'postgres'): number {
  const events = x.storedTotal ?? x.storedOfAcknowledged;
  return events ? (x.cpuSeconds[who] * 1000) / events : NaN;
}

const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** The in-process micro-benchmarks: top-K scoring, the approximate index, and a pushed list. */
function microBenchLines(r: Pick<BenchResults, 'topK' | 'ann' | 'lists'>): string[] {
  const lines: string[] = [];
  if (r.topK) {
    const t = r.topK;
    lines.push(
      `### Top-K scoring micro-benchmark (one user, ${fmtInt(t.items)} items × ${t.dim} dims, top ${t.k}, ${t.iterations} iterations)`,
      '',
      'A single-threaded loop: its CPU time per call is what a dedicated core sees; the wall clock adds the time other processes held the core.',
      '',
    );
    lines.push(
      table(
        ['path', 'CPU per call', 'wall p50', 'wall p99'],
        [
          [`\`ItemDotScorer\` (${t.simd ? 'wasm SIMD' : 'JS fallback'}) + \`topK\``, `**${fmt(t.simdTopK.cpuMs, 2)} ms**`, `${fmt(t.simdTopK.p50Ms, 2)} ms`, `${fmt(t.simdTopK.p99Ms, 2)} ms`],
          ['`dotAllJs` + `topK` (runtimes without wasm SIMD)', `${fmt(t.jsTopK.cpuMs, 2)} ms`, `${fmt(t.jsTopK.p50Ms, 2)} ms`, `${fmt(t.jsTopK.p99Ms, 2)} ms`],
        ],
      ),
      '',
    );
  }
  const a = r.ann;
  if (a?.datasets) {
    lines.push(
      `### Approximate nearest neighbours (\`src/ml/ann\`, IVF; ${fmtInt(a.items)} items × ${a.dim} dims, ${a.queries} user vectors)`,
      '',
      'Items sit around planted taste clusters; user vectors are means of five random items plus noise. Latency is per query of `searchWithRange` ' +
        '(the top k plus the lowest and highest score, what serving asks); exact is the SIMD scan of every item with the same heap. ' +
        'The build calibrates its probes on its own pseudo-queries (recall@10 ≥ 0.9); the sweep shows the other settings.',
      '',
    );
    for (const d of a.datasets) {
      lines.push(
        `**${fmtInt(d.clusters)} clusters** — ${d.index}. Build ${fmt(d.buildSeconds)} s (wall, one thread; the event loop was blocked ${fmt(d.buildMaxStallMs, 0)} ms at most); resident memory grew ${fmt(d.rssGrowthMiB, 0)} MiB ` +
          `(estimate ${fmt(d.estimatedMiB, 0)} MiB). Exact: ${fmt(d.exactCpuMs, 2)} ms CPU per query (wall p50 ${fmt(d.exactP50Ms, 2)} ms), top 500 ${fmt(d.exactCpuMsTop500, 2)} ms. ` +
          `Serving an mf component (\`ServingModel.scoreComponents\`, a 500-item head, fusion over it): ${fmt(d.servingExactCpuMs, 2)} ms CPU per list exact, ` +
          `**${fmt(d.servingAnnCpuMs, 2)} ms** from the index.`,
        '',
        table(
          ['probes', 'recall@10', 'CPU per query', 'wall p50', 'CPU, top 500', 'speedup vs exact (CPU)'],
          d.sweep.map((x) => [x.probes === d.served.probes ? `**${x.probes}** (served)` : x.probes, fmt(x.recallAt10, 3), `${fmt(x.cpuMs, 3)} ms`, `${fmt(x.p50Ms, 3)} ms`, `${fmt(x.cpuMsTop500, 3)} ms`, `${fmt(x.speedup)}×`]),
        ),
        '',
      );
    }
  }
  const l = r.lists;
  if (l) {
    lines.push(
      `### A pushed list (\`RecommendationService.listForHistory\`, ${fmtInt(l.items)} items, ${l.depths.map((d) => d.listSize).join(' or ')} per list, ${fmtInt(l.shoppers)} shoppers)`,
      '',
      `What the online worker computes for each update of a watched shopper: candidates, fusion, the diversity cap and every item's reasons, ` +
        `from a history of ${fmt(l.meanHistory, 1)} events on average; a list is as deep as its deepest subscription's topic (the head of ${PUSH_HEAD_DEPTH} items, or the whole cached list). ` +
        `pop + itemknn (untuned defaults) trained on the generated shop's ${fmtInt(l.trainingEvents)} events in ${fmt(l.fitSeconds)} s; ` +
        `${l.depths[0]?.cpuUsPerPass.length ?? 0} timed passes over every shopper at each length, taking turns.`,
      '',
      table(
        ['items per list', 'CPU per list (median of passes)', 'each pass', 'wall p50', 'wall p99'],
        l.depths.map((d) => [d.listSize, `**${fmt(d.cpuUsPerList, 0)} µs**`, d.cpuUsPerPass.map((x) => fmt(x, 0)).join(', ') + ' µs', `${fmt(d.wallP50Us, 0)} µs`, `${fmt(d.wallP99Us, 0)} µs`]),
      ),
      '',
    );
  }
  return lines;
}

export const MICRO_SECTION_START = '<!-- bench-micro:start -->';
export const MICRO_SECTION_END = '<!-- bench-micro:end -->';

/** The section a micro-only run (`npm run bench -- --only topk,ann,lists`) regenerates: its own, beside the system run's. */
export function renderMicroMarkdown(r: BenchResults): string {
  const m = r.machine;
  return [
    MICRO_SECTION_START,
    '## Top-K, approximate nearest neighbours and a pushed list, alone (`npm run bench -- --only topk,ann,lists`)',
    '',
    '_Regenerated by every micro-only run; the system run below repeats these phases at its end._',
    '',
    '```',
    r.command,
    '```',
    '',
    `Date: ${r.date}. Machine: \`nproc\` ${m.nproc}, ${m.memoryGiB} GiB, ${m.cpuModel}, Node ${m.node}. 1-minute load average at start: ${m.loadAverageAtStart}, ` +
      `as each phase started: ${Object.entries(r.loadAverages).map(([k, v]) => `${k} ${v}`).join(', ')} (a shared machine: CPU time per query is the robust figure). Run took ${fmt(r.seconds / 60)} min.`,
    '',
    ...microBenchLines(r),
    MICRO_SECTION_END,
  ].join('\n');
}

export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push(SECTION_START, '## System benchmark (`npm run bench`)', '');
  lines.push('_Regenerated by every run of `npm run bench`; edit `src/bench/`, not this section._', '');
  lines.push('```', r.command, '```', '');
  lines.push(
    `Date: ${r.date}. Scale: **${r.scale}**. Machine: \`nproc\` ${m.nproc}, ${m.memoryGiB} GiB, ${m.cpuModel}, Node ${m.node}, ` +
      `${m.postgres ?? 'Postgres ?'}, Redis ${m.redis ?? '?'}, all on loopback. 1-minute load average at start: ${m.loadAverageAtStart} ` +
      `(the machine is shared with other engineers' tests and training: latencies are noisy; compare medians and ratios, not single runs). ` +
      `The load generator runs on the same cores as the API, the worker and Postgres. Run took ${fmt(r.seconds / 60)} min.`,
    '',
  );
  lines.push(`Data: ${r.dataset.source}: ${fmtInt(r.dataset.items)} items, ${fmtInt(r.dataset.events)} events, ${fmtInt(r.dataset.users)} shoppers (loaded in ${fmt(r.dataset.loadSeconds, 0)} s). Models served: ${r.models.join(' + ')}.`, '');
  lines.push('### Bars', '', table(['bar', 'target', 'measured', 'met'], bars(r).map((b) => [b.name, b.target, b.measured, b.met === null ? '–' : b.met ? 'yes' : '**no**'])), '');

  if (r.recommendations.length) {
    const runs = r.recommendations[0].runs.length;
    lines.push(`### \`recommendations\` over HTTP (one API process; ${runs} runs of ${fmt(r.recommendations[0].runs[0]?.seconds, 0)} s each, medians)`, '');
    lines.push(
      table(
        ['clients', 'req/s', 'p50', 'p99', 'req/s per run', 'errors'],
        r.recommendations.map((c) => [c.connections, fmtInt(c.medianRequestsPerSecond), `${fmt(c.medianP50Ms)} ms`, `${fmt(c.medianP99Ms)} ms`, c.runs.map((x) => fmtInt(x.requestsPerSecond)).join(', '), c.errors]),
      ),
      '',
    );
  }
  if (r.ingestion.length) {
    lines.push(`### Ingestion (${r.ingestion[0].connections} clients, closed loop; acknowledged = stored in Postgres, checked after each run)`, '');
    lines.push(
      table(
        ['mutation', 'events/s', 'request p50', 'request p99', 'acknowledged → in Postgres', 'events/s per run'],
        r.ingestion.map((i) => [
          `\`${i.mutation}\`${i.batchSize > 1 ? ` (batches of ${i.batchSize})` : ''}`,
          fmtInt(i.medianEventsPerSecond),
          `${fmt(i.medianP50Ms)} ms`,
          `${fmt(i.medianP99Ms)} ms`,
          `${fmtInt(i.runs.reduce((a, x) => a + x.stored, 0))} / ${fmtInt(i.runs.reduce((a, x) => a + x.acknowledged, 0))}`,
          i.runs.map((x) => fmtInt(x.eventsPerSecond)).join(', '),
        ]),
      ),
      '',
    );
  }
  const runs = [r.pushLatencyCalm, r.pushLatency].filter((x): x is PushLatencyResult => x !== null);
  if (runs.length) {
    lines.push(
      `### Event → push (open loop: \`trackEvent\` at a fixed rate whatever the answers' speed; each shopper subscribed once over graphql-ws)`,
      '',
      'Latency runs from sending the `trackEvent` that carried the newest event a pushed list reflects to a subscriber receiving that list ' +
        '(lists name that event; the benchmark joins them back to its requests). "No event lost": every acknowledged event is in Postgres and ' +
        "every shopper's online state reached their newest event once the backlog drained. Order: each shopper's lists must reflect ever newer events.",
      '',
    );
    const row = (label: string, f: (x: PushLatencyResult) => string) => [label, ...runs.map(f)];
    lines.push(
      table(
        ['', ...runs.map((x) => `${x.rate} events/s for ${x.seconds} s, ${fmtInt(x.subscribedUsers)} shoppers`)],
        [
          row('events sent / acknowledged / in Postgres', (x) => `${fmtInt(x.sent)} / ${fmtInt(x.acknowledged)} / ${fmtInt(x.storedOfAcknowledged)}`),
          row('unanswered a minute after the last was due (abandoned)', (x) => fmtInt(x.unanswered)),
          row('events acknowledged per second (first request to last answer)', (x) => fmt(x.acknowledgedRate, 0)),
          row('rate achieved by the sender', (x) => `${fmt(x.achievedRate, 0)} events/s`),
          row('`trackEvent` answered, p50 / p99', (x) => `${fmt(x.ackP50Ms)} / ${fmt(x.ackP99Ms)} ms`),
          row('lists published / delivered', (x) => `${fmtInt(x.published)} / ${fmtInt(x.delivered)}`),
          row('**event → push, p50 / p99**', (x) => `**${fmt(x.latencyP50Ms)} / ${fmt(x.latencyP99Ms)} ms**`),
          row('of which event → published (API commit, worker update), p50 / p99', (x) => `${fmt(x.toPublishedP50Ms)} / ${fmt(x.toPublishedP99Ms)} ms`),
          row('of which published → delivered (API fan-out), p50 / p99', (x) => `${fmt(x.publishedToDeliveredP50Ms)} / ${fmt(x.publishedToDeliveredP99Ms)} ms`),
          row('oldest event a push first reflected, p50 / p99', (x) => `${fmt(x.oldestCoveredP50Ms)} / ${fmt(x.oldestCoveredP99Ms)} ms`),
          row('events reflected by a push (others left the top 10 as it was)', (x) => fmtInt(x.eventsCoveredByPushes)),
          row("shoppers whose online state missed an event", (x) => String(x.usersBehind)),
          row('pushes out of order, published / delivered', (x) => `${x.outOfOrderPublished} / ${x.outOfOrderDelivered}`),
          row('backlog drained after the last event in', (x) => `${fmt(x.drainSeconds)} s`),
          row('CPU per stored event: API / worker / Postgres backends', (x) => `${fmt(perEvent(x, 'api'), 2)} / ${fmt(perEvent(x, 'worker'), 2)} / ${fmt(perEvent(x, 'postgres'), 2)} ms`),
          row('load generator (this process: sender + subscribers): CPU per event, event-loop delay p99 / max', (x) =>
            x.loadGenerator ? `${fmt((x.loadGenerator.cpuSeconds * 1000) / Math.max(1, x.sent), 2)} ms, ${fmt(x.loadGenerator.eventLoopDelayP99Ms)} / ${fmt(x.loadGenerator.eventLoopDelayMaxMs)} ms` : '–',
          ),
        ],
      ),
      '',
    );
  }
  lines.push(...microBenchLines(r));
  if (r.search.length) {
    lines.push('### Search latency', '', ...r.search.flatMap((s) => [s.markdown, '']));
  }
  const t = r.training;
  if (t) {
    lines.push(`### Training (the first retrain, run by the worker process; job ${t.status}, ${fmt(t.seconds)} s, ${t.outcome})`, '');
    lines.push(
      table(
        ['model', 'fit', 'epochs', 'per epoch (median)', 'score held-out', 'save'],
        t.models.map((x) => [x.model, `${fmt(x.fitSeconds)} s`, x.epochs ?? '–', x.secondsPerEpoch === null ? '–' : `${fmt(x.secondsPerEpoch, 2)} s`, `${fmt(x.evaluateSeconds)} s`, `${fmt(x.saveSeconds)} s`]),
      ),
      '',
      `Phases: ${t.phases.map((x) => `${x.phase} ${fmt(x.seconds)} s`).join('; ')}.`,
      '',
      `Stored artefacts (what every API and worker process loads and holds): ${Object.entries(r.artefactBytes)
        .map(([kind, bytes]) => `${kind} ${fmt(bytes / 2 ** 20)} MiB (${fmtInt(bytes / Math.max(1, r.dataset.items))} bytes per catalogue item)`)
        .join(', ')}.`,
      '',
    );
  }
  const e = r.epochTraining;
  if (e) {
    lines.push(
      `Models trained in epochs, retrained alone by the worker afterwards (job ${e.status}, ${fmt(e.seconds)} s; early stopping on validation NDCG@10):`,
      '',
      table(
        ['model', 'fit', 'epochs', 'per epoch (median)', 'score held-out', 'save'],
        e.models.map((x) => [x.model, `${fmt(x.fitSeconds)} s`, x.epochs ?? '–', x.secondsPerEpoch === null ? '–' : `${fmt(x.secondsPerEpoch, 2)} s`, `${fmt(x.evaluateSeconds)} s`, `${fmt(x.saveSeconds)} s`]),
      ),
      '',
    );
  }
  if (r.retrainBench) {
    lines.push(`Each model alone, from \`${r.retrainBench.command}\` (its own generated shop; exit ${r.retrainBench.exitCode}):`, '', r.retrainBench.report, '');
  }
  lines.push('### Resident memory (RSS)', '');
  lines.push(
    table(
      ['process', 'after training', 'after the load', 'peak'],
      Object.entries(r.memory).map(([name, mem]) => [
        name,
        mem.afterTraining ? `${fmt(mem.afterTraining.rssMiB, 0)} MiB` : '–',
        mem.afterLoad ? `${fmt(mem.afterLoad.rssMiB, 0)} MiB` : '–',
        mem.afterLoad ? `${fmt(mem.afterLoad.peakRssMiB, 0)} MiB` : '–',
      ]),
    ),
    '',
  );
  lines.push('### Per-event costs (inputs of [docs/scaling.md](scaling.md))', '');
  const rows: (string | number)[][] = [];
  for (const x of runs) {
    rows.push([`API CPU per \`trackEvent\` incl. its pushes (${x.rate}/s run)`, `${fmt(perEvent(x, 'api'), 2)} ms`]);
    rows.push([`worker CPU per event: online update, re-rank, publish (${x.rate}/s run)`, `${fmt(perEvent(x, 'worker'), 2)} ms`]);
    rows.push([`Postgres backend CPU per event: insert + online reads (${x.rate}/s run)`, `${fmt(perEvent(x, 'postgres'), 2)} ms`]);
  }
  for (const i of r.ingestion) {
    const events = i.runs.reduce((x, run) => x + run.acknowledged, 0);
    const api = i.runs.reduce((x, run) => x + Object.entries(run.cpuSeconds).filter(([k]) => k.startsWith('api')).reduce((y, [, v]) => y + v, 0), 0);
    rows.push([`API CPU per event, \`${i.mutation}\` at full speed`, `${fmt((api * 1000) / Math.max(1, events), 3)} ms`]);
  }
  if (r.redisOps) rows.push(['Redis commands per event (client round trips; + commands inside BullMQ scripts)', `${fmt(r.redisOps.commandsPerEvent)} (+ ${fmt(r.redisOps.scriptCommandsPerEvent)})`]);
  if (r.fanOut) rows.push([`API CPU per push delivered (fan-out, ${fmtInt(r.fanOut.subscribers)} subscribers)`, `${fmt(r.fanOut.apiCpuMsPerPush, 3)} ms`]);
  if (r.storageBytesPerEvent !== null) rows.push(['events table growth per event (heap + indexes)', `${fmtInt(r.storageBytesPerEvent)} bytes`]);
  if (r.recommendations.length) {
    const c = r.recommendations[r.recommendations.length - 1];
    const cpu = c.runs.reduce((x, run) => x + Object.entries(run.cpuSeconds).filter(([k]) => k.startsWith('api')).reduce((y, [, v]) => y + v, 0), 0);
    const reqs = c.runs.reduce((x, run) => x + run.requests, 0);
    rows.push([`API CPU per \`recommendations\` request (${c.connections} clients)`, `${fmt((cpu * 1000) / Math.max(1, reqs), 2)} ms`]);
  }
  lines.push(table(['cost', 'measured'], rows), '');
  if (r.redisOps) lines.push(`Redis commands per event by name: ${Object.entries(r.redisOps.byCommand).map(([k, v]) => `${k} ${v}`).join(', ')}.`, '');
  lines.push(`1-minute load average as each phase started: ${Object.entries(r.loadAverages).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}.`, '');
  lines.push(`Graceful shutdown exit codes: ${Object.entries(r.exitCodes).map(([k, v]) => `${k} ${v}`).join(', ')}.`, '', SECTION_END);
  return lines.join('\n');
}

/** Replaces this benchmark's section of the file (or appends it), leaving every other section as it was. */
export function writeDocSection(path: string, section: string, markers: [string, string] = [SECTION_START, SECTION_END]): void {
  const header = '# Benchmarks\n\nMeasured figures; each section names the command that regenerates it.\n\n';
  const current = existsSync(path) ? readFileSync(path, 'utf8') : header;
  const start = current.indexOf(markers[0]);
  const end = current.indexOf(markers[1]);
  const next =
    start >= 0 && end > start
      ? current.slice(0, start) + section + current.slice(end + markers[1].length)
      : `${current.replace(/\s*$/, '')}\n\n${section}\n`;
  writeFileSync(path, next);
}

export function writeJson(path: string, r: BenchResults): void {
  writeFileSync(path, JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2));
}

/** The end-of-run summary for the terminal. */
export function summaryLines(r: BenchResults): string[] {
  const out = ['', 'freshrec benchmark summary', ''];
  for (const b of bars(r)) out.push(`  [${b.met === null ? ' ' : b.met ? 'ok' : '!!'}] ${b.name}: ${b.measured} (target ${b.target})`);
  for (const c of r.recommendations) out.push(`  recommendations, ${c.connections} clients: ${fmtInt(c.medianRequestsPerSecond)} req/s, p50 ${fmt(c.medianP50Ms)} ms, p99 ${fmt(c.medianP99Ms)} ms`);
  for (const i of r.ingestion) out.push(`  ${i.mutation}${i.batchSize > 1 ? ` ×${i.batchSize}` : ''}: ${fmtInt(i.medianEventsPerSecond)} events/s, p99 ${fmt(i.medianP99Ms)} ms`);
  for (const [name, mem] of Object.entries(r.memory)) if (mem.afterLoad) out.push(`  RSS ${name}: ${fmt(mem.afterLoad.rssMiB, 0)} MiB (peak ${fmt(mem.afterLoad.peakRssMiB, 0)} MiB)`);
  if (r.epochTraining) for (const x of r.epochTraining.models) out.push(`  training ${x.model}: fit ${fmt(x.fitSeconds)} s, ${x.epochs ?? 0} epochs, ${fmt(x.secondsPerEpoch ?? NaN, 2)} s/epoch`);
  for (const d of r.lists?.depths ?? []) out.push(`  a pushed list (${d.listSize} of ${fmtInt(r.lists?.items ?? 0)} items): ${fmt(d.cpuUsPerList, 0)} µs CPU`);
  if (r.training) for (const x of r.training.models) out.push(`  training ${x.model}: fit ${fmt(x.fitSeconds)} s${x.secondsPerEpoch !== null ? `, ${fmt(x.secondsPerEpoch, 2)} s/epoch` : ''}`);
  return out;
}
