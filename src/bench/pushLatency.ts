// The bar for the event path: at a sustained event rate, event→push latency p50/p99 as a subscriber
// sees it, no acknowledged event lost (stored and applied to the shopper's online state), and no shopper's
// pushes out of order.
import { writeFile } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Pool } from 'pg';
import Redis from 'ioredis';
import { KeySpace } from '../redis/redisConnections';
import type { TrafficModel } from './benchData';
import { sendPacedEvents, type SentEvent } from './pacedEvents';
import { PublishedPushes, PushSubscribers, type PublishedPush } from './pushObservers';
import type { SystemProcess } from './systemProcesses';
import { countStored } from './ingestionLoad';
import { percentile, progress } from './stats';
import { BackendCpuMeter } from './postgresCost';

export interface PushLatencyResult {
  rate: number;
  seconds: number;
  subscribedUsers: number;
  sent: number;
  /** Requests still unanswered a minute after the last was due, abandoned (an overloaded server's backlog). */
  unanswered: number;
  /** Events not acknowledged, by reason (HTTP status, GraphQL error code, connection error, or "no answer"). */
  failures: Record<string, number>;
  /** Events acknowledged per second, from the first request to the last answer: what the system absorbed. */
  acknowledgedRate: number;
  /** Rate at which requests were issued (the sender shares the cores with the system). */
  achievedRate: number;
  ackP50Ms: number;
  ackP99Ms: number;
  acknowledged: number;
  storedOfAcknowledged: number;
  /** Events of this run in Postgres, acknowledged or not (an abandoned request may still have been stored). */
  storedTotal: number;
  /** Shoppers whose online state (high-water mark) did not reach their newest stored event after the drain. */
  usersBehind: number;
  published: number;
  delivered: number;
  /** Event → push, from the request carrying the newest event a list reflects to a subscriber receiving it. */
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Same, from the oldest event the push was the first to reflect (coalesced events waited longest). */
  oldestCoveredP50Ms: number;
  oldestCoveredP99Ms: number;
  /**
   * The same latency split where the bench's own Redis listener saw the list published: event → published is the
   * API's commit and the worker's update, published → delivered the API's fan-out to the subscriber.
   */
  toPublishedP50Ms: number;
  toPublishedP99Ms: number;
  publishedToDeliveredP50Ms: number;
  publishedToDeliveredP99Ms: number;
  /** Events reflected by some push, and events whose list top did not change (no push is due for those). */
  eventsCoveredByPushes: number;
  /** Published lists whose event sequence went backwards or repeated for their shopper (must be 0). */
  outOfOrderPublished: number;
  /** Delivered lists older than one the same subscriber already had (must be 0). */
  outOfOrderDelivered: number;
  drainSeconds: number;
  cpuSeconds: { api: number; worker: number; postgres: number };
  /**
   * This process: the sender and the subscribers' WebSocket client, on the same cores. A stalled event loop here
   * delays sends and receipts, so it shows in the measured latencies too.
   */
  loadGenerator: { cpuSeconds: number; eventLoopDelayP99Ms: number; eventLoopDelayMaxMs: number };
}

export async function benchmarkPushLatency(opts: {
  apis: SystemProcess[];
  workers: SystemProcess[];
  clientKey: string;
  traffic: TrafficModel;
  pool: Pool;
  databaseName: string;
  redisUrl: string;
  prefix: string;
  rate: number;
  seconds: number;
  users: number;
  drain: () => Promise<number>;
  /** CSV file for every timed push (milliseconds from the first event sent). */
  trace?: string;
}): Promise<PushLatencyResult> {
  const users = Math.min(opts.users, opts.traffic.users.length);
  const subscribedUsers = opts.traffic.users.slice(0, users);
  const watcher = await PublishedPushes.open(opts.redisUrl, opts.prefix);
  const subscribers = await PushSubscribers.open(opts.apis.map((a) => a.url), opts.clientKey, subscribedUsers, 4);
  const cpu = (ps: SystemProcess[]) => ps.reduce((a, p) => a + p.cpuSeconds(), 0);
  let sent: SentEvent[];
  let drainSeconds: number;
  const before = { api: cpu(opts.apis), worker: cpu(opts.workers) };
  const ownCpu = process.cpuUsage();
  let loadGenerator: PushLatencyResult['loadGenerator'];
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const postgresMeter = await new BackendCpuMeter(opts.pool, opts.databaseName).start();
  let after: typeof before & { postgres: number };
  try {
    progress(`push latency: ${opts.rate} events/s for ${opts.seconds} s over ${users} subscribed shoppers`);
    sent = await sendPacedEvents({
      apiUrls: opts.apis.map((a) => a.url),
      clientKey: opts.clientKey,
      traffic: opts.traffic,
      users,
      rate: opts.rate,
      seconds: opts.seconds,
      label: `push-${Date.now().toString(36)}`,
      onTick: (n, answered) => progress(`push latency: ${n} sent, ${answered} answered, ${subscribers.delivered.length} pushes received`),
    });
    loopDelay.disable();
    const used = process.cpuUsage(ownCpu);
    loadGenerator = {
      cpuSeconds: (used.user + used.system) / 1e6,
      eventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      eventLoopDelayMaxMs: loopDelay.max / 1e6,
    };
    drainSeconds = await opts.drain();
    after = { api: cpu(opts.apis), worker: cpu(opts.workers), postgres: await postgresMeter.stop() };
    // Pushes still in flight from the last updates.
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    await subscribers.close();
    watcher.close();
  }
  const first = sent[0]?.sentAt ?? 0;
  const last = sent[sent.length - 1]?.sentAt ?? 0;
  const acked = sent.filter((s) => s.accepted);
  const ackTimes = acked.map((s) => (s.answeredAt as number) - s.sentAt);
  const stored = await countStored(opts.pool, acked.map((s) => s.eventId));

  // events.id of every event sent, to join a published list's eventSeq back to the request that carried it.
  const bySeq = new Map<bigint, SentEvent>();
  const seqsOfUser = new Map<string, bigint[]>();
  const byEventId = new Map(sent.map((s) => [s.eventId, s]));
  for (let k = 0; k < sent.length; k += 10_000) {
    const rows = await opts.pool.query<{ id: string; event_id: string; user_id: string }>(
      'SELECT id::text, event_id, user_id FROM events WHERE event_id = ANY($1::text[]) ORDER BY id',
      [sent.slice(k, k + 10_000).map((s) => s.eventId)],
    );
    for (const r of rows.rows) {
      const seq = BigInt(r.id);
      bySeq.set(seq, byEventId.get(r.event_id) as SentEvent);
      const own = seqsOfUser.get(r.user_id);
      if (own) own.push(seq);
      else seqsOfUser.set(r.user_id, [seq]);
    }
  }
  for (const list of seqsOfUser.values()) list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  let outOfOrderPublished = 0;
  const lastPublished = new Map<string, bigint>();
  const publishedByRecomm = new Map<string, PublishedPush>();
  for (const p of watcher.published) {
    const prev = lastPublished.get(p.userId);
    if (prev !== undefined && p.eventSeq <= prev) outOfOrderPublished++;
    lastPublished.set(p.userId, p.eventSeq);
    publishedByRecomm.set(p.recommId, p);
  }

  const latencies: number[] = [];
  const oldest: number[] = [];
  const toPublished: number[] = [];
  const publishedToDelivered: number[] = [];
  // Times from the first event sent, whose wall-clock time each row repeats (to line a slow push up with the
  // processes' own logs or CPU samples).
  const firstEpochMs = (performance.timeOrigin + first).toFixed(0);
  const traceRows = ['user,sent_ms,acked_ms,published_ms,delivered_ms,first_sent_epoch_ms'];
  let outOfOrderDelivered = 0;
  let covered = 0;
  const lastDelivered = new Map<string, bigint>();
  for (const d of subscribers.delivered) {
    const published = publishedByRecomm.get(d.recommId);
    if (published === undefined) continue;
    const seq = published.eventSeq;
    const prev = lastDelivered.get(d.userId) ?? -1n;
    if (seq <= prev) {
      outOfOrderDelivered++;
      continue;
    }
    lastDelivered.set(d.userId, seq);
    const newest = bySeq.get(seq);
    // A list reflecting only events from before this run (e.g. a catch-up of loaded history) is not timed.
    if (!newest) continue;
    latencies.push(d.at - newest.sentAt);
    toPublished.push(published.at - newest.sentAt);
    publishedToDelivered.push(d.at - published.at);
    if (opts.trace) {
      const acked = newest.answeredAt === null ? '' : (newest.answeredAt - first).toFixed(2);
      traceRows.push([d.userId, (newest.sentAt - first).toFixed(2), acked, (published.at - first).toFixed(2), (d.at - first).toFixed(2), firstEpochMs].join(','));
    }
    const fresh = (seqsOfUser.get(d.userId) ?? []).filter((s) => s > prev && s <= seq);
    covered += fresh.length;
    oldest.push(d.at - fresh.reduce((m, s) => Math.min(m, (bySeq.get(s) as SentEvent).sentAt), Infinity));
  }

  if (opts.trace) await writeFile(opts.trace, traceRows.join('\n') + '\n');

  // "Applied": each shopper's online state has moved past their newest stored event.
  const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: 2 });
  const keys = new KeySpace(opts.prefix);
  let usersBehind = 0;
  try {
    const p = redis.pipeline();
    const owners = [...seqsOfUser.keys()];
    for (const u of owners) p.hget(keys.user(u, 'state'), 'hwm');
    const res = (await p.exec()) ?? [];
    owners.forEach((u, k) => {
      const hwm = res[k]?.[1] as string | null;
      const newest = (seqsOfUser.get(u) as bigint[]).at(-1) as bigint;
      if (hwm === null || BigInt(hwm) < newest) usersBehind++;
    });
  } finally {
    redis.disconnect();
  }

  return {
    rate: opts.rate,
    seconds: opts.seconds,
    subscribedUsers: users,
    sent: sent.length,
    unanswered: sent.filter((x) => x.answeredAt === null).length,
    failures: countFailures(sent),
    acknowledgedRate: acked.length ? acked.length / ((acked.reduce((m, x) => Math.max(m, x.answeredAt as number), 0) - first) / 1000) : 0,
    achievedRate: sent.length > 1 ? (sent.length - 1) / ((last - first) / 1000) : 0,
    ackP50Ms: percentile(ackTimes, 50),
    ackP99Ms: percentile(ackTimes, 99),
    acknowledged: acked.length,
    storedOfAcknowledged: stored,
    usersBehind,
    published: watcher.published.length,
    delivered: subscribers.delivered.length,
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    oldestCoveredP50Ms: percentile(oldest, 50),
    oldestCoveredP99Ms: percentile(oldest, 99),
    toPublishedP50Ms: percentile(toPublished, 50),
    toPublishedP99Ms: percentile(toPublished, 99),
    publishedToDeliveredP50Ms: percentile(publishedToDelivered, 50),
    publishedToDeliveredP99Ms: percentile(publishedToDelivered, 99),
    eventsCoveredByPushes: covered,
    outOfOrderPublished,
    outOfOrderDelivered,
    drainSeconds,
    storedTotal: bySeq.size,
    cpuSeconds: { api: after.api - before.api, worker: after.worker - before.worker, postgres: after.postgres },
    loadGenerator,
  };
}

function countFailures(sent: SentEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of sent) {
    if (s.accepted) continue;
    const reason = s.failure ?? 'no answer';
    out[reason] = (out[reason] ?? 0) + 1;
  }
  return out;
}
