// Sustained ingestion through `trackEvent` and `trackEvents` (batches of 100) at the rate the system takes
// with N clients, and the durability check behind "acknowledged": every event the API accepted is in Postgres.
import type { Pool } from 'pg';
import { createRng, randInt } from '../ml/random';
import type { TrafficModel } from './benchData';
import { runLoad, shopperAddress, type LoadRun } from './httpLoad';
import type { SystemProcess } from './systemProcesses';
import { median, progress } from './stats';

export interface IngestionRun extends LoadRun {
  eventsPerSecond: number;
  acknowledged: number;
  /** Acknowledged events found in Postgres afterwards: must equal `acknowledged`. */
  stored: number;
}

export interface IngestionResult {
  mutation: 'trackEvent' | 'trackEvents';
  batchSize: number;
  connections: number;
  runs: IngestionRun[];
  medianEventsPerSecond: number;
  medianP50Ms: number;
  medianP99Ms: number;
  lost: number;
}

const TRACK_ONE = `mutation($i: EventInput!) { trackEvent(input: $i) { eventId accepted } }`;
const TRACK_MANY = `mutation($i: [EventInput!]!) { trackEvents(inputs: $i) { accepted results { result { eventId accepted } } } }`;

/** How many of `ids` are stored (chunked: one statement per 10,000 ids). */
export async function countStored(pool: Pool, ids: string[]): Promise<number> {
  let stored = 0;
  for (let k = 0; k < ids.length; k += 10_000) {
    const res = await pool.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE event_id = ANY($1::text[])', [ids.slice(k, k + 10_000)]);
    stored += Number(res.rows[0].n);
  }
  return stored;
}

async function ingestOnce(opts: {
  api: SystemProcess;
  clientKey: string;
  traffic: TrafficModel;
  pool: Pool;
  batchSize: number;
  connections: number;
  seconds: number;
  label: string;
  /** Shoppers the events are spread over: the online backlog to drain afterwards is at most one job each. */
  users: number;
  measured: SystemProcess[];
}): Promise<IngestionRun> {
  const rng = createRng(opts.label.length * 7919 + 1);
  let seq = 0;
  const acknowledged: string[] = [];
  const event = () => {
    const u = randInt(rng, Math.min(opts.users, opts.traffic.users.length));
    const e = opts.traffic.next(u, rng);
    return { u, input: { eventId: `${opts.label}-${seq++}`, userId: e.userId, itemId: e.itemId, type: e.type } };
  };
  const run = await runLoad({
    url: opts.api.url,
    connections: opts.connections,
    seconds: opts.seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.clientKey}` },
    measured: opts.measured,
    nextRequest: () => {
      if (opts.batchSize === 1) {
        const { u, input } = event();
        return { body: JSON.stringify({ query: TRACK_ONE, variables: { i: input } }), headers: { 'x-forwarded-for': shopperAddress(u) } };
      }
      // A batch is what a shop's server forwards for many shoppers at once, from its own address.
      const inputs = Array.from({ length: opts.batchSize }, () => event().input);
      return { body: JSON.stringify({ query: TRACK_MANY, variables: { i: inputs } }), headers: { 'x-forwarded-for': shopperAddress(seq) } };
    },
    onAnswer: (status, body) => {
      if (status !== 200) return false;
      try {
        const data = (JSON.parse(body) as { data?: Record<string, any> }).data;
        if (!data) return false;
        if (data.trackEvent) {
          if (data.trackEvent.accepted) acknowledged.push(data.trackEvent.eventId);
          return Boolean(data.trackEvent.accepted);
        }
        const results = (data.trackEvents?.results ?? []) as { result: { eventId: string; accepted: boolean } }[];
        for (const r of results) if (r.result.accepted) acknowledged.push(r.result.eventId);
        return results.length === opts.batchSize && results.every((r) => r.result.accepted);
      } catch {
        return false;
      }
    },
  });
  const stored = await countStored(opts.pool, acknowledged);
  return { ...run, eventsPerSecond: acknowledged.length / run.seconds, acknowledged: acknowledged.length, stored };
}

export async function benchmarkIngestion(opts: {
  api: SystemProcess;
  clientKey: string;
  traffic: TrafficModel;
  pool: Pool;
  connections: number;
  seconds: number;
  repeats: number;
  users: number;
  measured: SystemProcess[];
  /** Waits for the online-update backlog to clear, so each run starts from the same state. */
  drain: () => Promise<number>;
}): Promise<IngestionResult[]> {
  const results: IngestionResult[] = [];
  for (const [mutation, batchSize] of [['trackEvent', 1], ['trackEvents', 100]] as const) {
    const runs: IngestionRun[] = [];
    // Warm-up (not recorded): JIT and connection pools, and the queue's first burst of online updates.
    await ingestOnce({ ...opts, batchSize, seconds: Math.min(3, opts.seconds), label: `ingest-${mutation}-warm` });
    await opts.drain();
    for (let r = 0; r < opts.repeats; r++) {
      const run = await ingestOnce({ ...opts, batchSize, label: `ingest-${mutation}-${r}` });
      const drainSeconds = await opts.drain();
      runs.push(run);
      progress(
        `${mutation} (batch ${batchSize}), ${opts.connections} clients, run ${r + 1}/${opts.repeats}: ${run.eventsPerSecond.toFixed(0)} events/s acknowledged, ` +
          `p50 ${run.latencyP50Ms} ms, p99 ${run.latencyP99Ms} ms; ${run.stored}/${run.acknowledged} in Postgres; online backlog drained in ${drainSeconds.toFixed(1)} s`,
      );
    }
    results.push({
      mutation,
      batchSize,
      connections: opts.connections,
      runs,
      medianEventsPerSecond: median(runs.map((r) => r.eventsPerSecond)),
      medianP50Ms: median(runs.map((r) => r.latencyP50Ms)),
      medianP99Ms: median(runs.map((r) => r.latencyP99Ms)),
      lost: runs.reduce((a, r) => a + r.acknowledged - r.stored, 0),
    });
  }
  return results;
}
