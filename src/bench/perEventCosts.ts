// Unit costs docs/scaling.md sizes machines from: Redis commands per event (counted, not timed) and the API's
// CPU per push delivered to a subscriber (fan-out), measured apart from the rest of the event path.
import { createRedis, KeySpace } from '../redis/redisConnections';
import { channelSuffix, type RecommendationsChanged } from '../pubsub/topics';
import type { TrafficModel } from './benchData';
import { sendPacedEvents } from './pacedEvents';
import { PushSubscribers } from './pushObservers';
import { countRedisCommands, type RedisOpCount } from './redisOpCount';
import type { SystemProcess } from './systemProcesses';
import { sleep } from './stats';

export interface RedisOpsPerEvent {
  events: number;
  /** Client commands per event (round trips), idle background traffic of the same duration subtracted. */
  commandsPerEvent: number;
  /** Commands run inside scripts per event (BullMQ's queue operations). */
  scriptCommandsPerEvent: number;
  byCommand: Record<string, number>;
  idle: RedisOpCount;
}

export async function measureRedisOpsPerEvent(opts: {
  apiUrls: string[];
  clientKey: string;
  traffic: TrafficModel;
  redisUrl: string;
  prefix: string;
  events: number;
  drain: () => Promise<number>;
}): Promise<RedisOpsPerEvent> {
  const rate = 50;
  let busySeconds = 0;
  const busy = await countRedisCommands(opts.redisUrl, opts.prefix, async () => {
    const started = performance.now();
    await sendPacedEvents({ apiUrls: opts.apiUrls, clientKey: opts.clientKey, traffic: opts.traffic, users: opts.traffic.users.length, rate, seconds: opts.events / rate, label: 'redis-ops' });
    await opts.drain();
    busySeconds = (performance.now() - started) / 1000;
  });
  // Workers poll and the catch-up sweeper ticks whatever the traffic: count that for as long, and subtract it.
  const idle = await countRedisCommands(opts.redisUrl, opts.prefix, () => sleep(busySeconds * 1000));
  return {
    events: opts.events,
    commandsPerEvent: Math.max(0, busy.commands - idle.commands) / opts.events,
    scriptCommandsPerEvent: Math.max(0, busy.scriptCommands - idle.scriptCommands) / opts.events,
    byCommand: Object.fromEntries(Object.entries(busy.byCommand).map(([k, v]) => [k, Math.round(((v - (idle.byCommand[k] ?? 0)) / opts.events) * 100) / 100]).filter(([, v]) => (v as number) > 0)),
    idle,
  };
}

export interface FanOutCost {
  subscribers: number;
  published: number;
  delivered: number;
  seconds: number;
  /** API CPU milliseconds per push delivered to one subscriber (decode, filter, resolve items, encode, send). */
  apiCpuMsPerPush: number;
}

/**
 * Publishes lists straight onto shoppers' channels (as a worker would) at `rate` per second, with one
 * subscriber per shopper on the API, and charges the API's CPU time to the pushes it delivered.
 */
export async function measureFanOutCost(opts: {
  api: SystemProcess;
  clientKey: string;
  users: string[];
  items: string[];
  redisUrl: string;
  prefix: string;
  rate: number;
  seconds: number;
}): Promise<FanOutCost> {
  const subscribers = await PushSubscribers.open([opts.api.url], opts.clientKey, opts.users, 4);
  const publisher = createRedis(opts.redisUrl, 'bench:fan-out');
  const keys = new KeySpace(opts.prefix);
  const total = Math.round(opts.rate * opts.seconds);
  // Far above any real event id, so the subscription's out-of-order guard lets every list through.
  let seq = 10n ** 15n;
  try {
    const cpuBefore = opts.api.cpuSeconds();
    const started = performance.now();
    let published = 0;
    while (published < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * opts.rate));
      const p = publisher.pipeline();
      for (; published < due; published++) {
        const userId = opts.users[published % opts.users.length];
        const payload: RecommendationsChanged = {
          userId,
          recommId: `fanout-${published}`,
          modelVersion: 'bench',
          generatedAt: new Date().toISOString(),
          items: Array.from({ length: 10 }, (_, k) => ({ id: opts.items[(published + k) % opts.items.length], score: 1 - k / 10, reasons: [{ source: 'itemknn', weight: 1 }] })),
          eventSeq: String(seq++),
        };
        // The subscribers ask for 10 items, so they listen on the lists' heads.
        p.publish(keys.channel(channelSuffix('recs-head', userId)), JSON.stringify(payload));
      }
      await p.exec();
      await sleep(5);
    }
    // Let the last pushes arrive before reading the CPU clock.
    for (let k = 0; k < 50 && subscribers.delivered.length < published; k++) await sleep(100);
    const cpu = opts.api.cpuSeconds() - cpuBefore;
    return {
      subscribers: opts.users.length,
      published,
      delivered: subscribers.delivered.length,
      seconds: (performance.now() - started) / 1000,
      apiCpuMsPerPush: subscribers.delivered.length ? (cpu * 1000) / subscribers.delivered.length : NaN,
    };
  } finally {
    publisher.disconnect();
    await subscribers.close();
  }
}
