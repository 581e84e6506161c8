// Watches pushes from both ends: GraphQL subscribers on the API servers (what a shopper's page receives, when)
// and a raw Redis listener on the recommendation channels (which event each published list reflects, in what
// order). A list's recommId joins the two.
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import type { Redis } from 'ioredis';
import { createRedis, KeySpace } from '../redis/redisConnections';
import { sleep } from './stats';

export interface DeliveredPush {
  userId: string;
  recommId: string;
  /** performance.now() in this process when the subscriber received it. */
  at: number;
}

export interface PublishedPush {
  userId: string;
  recommId: string;
  /** events.id of the newest event the list reflects. */
  eventSeq: bigint;
  at: number;
}

const SUBSCRIPTION = `subscription($u: ID!) { recommendationsUpdated(userId: $u, limit: 10) { recommId modelVersion items { item { id } } } }`;

/** GraphQL subscriptions for many shoppers, spread over a few WebSocket connections per API server. */
export class PushSubscribers {
  readonly delivered: DeliveredPush[] = [];
  errors = 0;
  private readonly clients: Client[] = [];
  private readonly disposers: (() => void)[] = [];

  static async open(apiUrls: string[], clientKey: string, users: string[], connectionsPerServer: number): Promise<PushSubscribers> {
    const subs = new PushSubscribers();
    const clients: Client[] = [];
    for (const url of apiUrls) {
      for (let c = 0; c < connectionsPerServer; c++) {
        clients.push(
          createClient({
            url: url.replace(/^http/, 'ws'),
            webSocketImpl: WebSocket,
            connectionParams: { Authorization: `Bearer ${clientKey}` },
            retryAttempts: 0,
            lazy: false,
          }),
        );
      }
    }
    subs.clients.push(...clients);
    users.forEach((userId, k) => {
      const client = clients[k % clients.length];
      subs.disposers.push(
        client.subscribe<{ recommendationsUpdated: { recommId: string } }>(
          { query: SUBSCRIPTION, variables: { u: userId } },
          {
            next: (msg) => {
              const recommId = msg.data?.recommendationsUpdated?.recommId;
              if (recommId) subs.delivered.push({ userId, recommId, at: performance.now() });
              else subs.errors++;
            },
            error: () => subs.errors++,
            complete: () => undefined,
          },
        ),
      );
    });
    // graphql-ws acknowledges a subscription only by its first message: give the servers time to subscribe
    // every user's Redis channel before events are sent.
    await sleep(Math.min(10_000, 1000 + users.length * 2));
    return subs;
  }

  async close(): Promise<void> {
    for (const d of this.disposers) d();
    await Promise.all(this.clients.map((c) => c.dispose()));
  }
}

/** Every list published on any user's channel of the deployment, as the API servers receive them. */
export class PublishedPushes {
  readonly published: PublishedPush[] = [];
  private constructor(private readonly conn: Redis) {}

  static async open(redisUrl: string, prefix: string): Promise<PublishedPushes> {
    const conn = createRedis(redisUrl, 'bench:push-listener');
    const watcher = new PublishedPushes(conn);
    // Whole lists and their heads (subscriptions of at most 10 items listen to the heads).
    const keys = new KeySpace(prefix);
    const patterns = [keys.channel('recs:*'), keys.channel('recs-head:*')];
    conn.on('pmessage', (_pattern: string, _channel: string, message: string) => {
      const userId = stringField(message, 'userId');
      const recommId = stringField(message, 'recommId');
      const eventSeq = stringField(message, 'eventSeq');
      if (userId !== null && recommId !== null && eventSeq !== null) watcher.published.push({ userId, recommId, eventSeq: BigInt(eventSeq), at: performance.now() });
    });
    await conn.psubscribe(...patterns);
    return watcher;
  }

  close(): void {
    this.conn.disconnect();
  }
}

/**
 * A top-level string field of a published list, read without parsing the whole message: the listener shares the
 * cores with the system it measures, and a list of 50 items with reasons is ~13 KB (~50 µs to parse here).
 * Only the list's own top-level fields are asked for, and their names do not occur inside its items.
 */
function stringField(message: string, name: 'userId' | 'recommId' | 'eventSeq'): string | null {
  const match = FIELD_PATTERNS[name].exec(message);
  return match ? (JSON.parse(match[1]) as string) : null;
}

const fieldPattern = (name: string) => new RegExp(`"${name}":("(?:[^"\\\\]|\\\\.)*")`);
const FIELD_PATTERNS = { userId: fieldPattern('userId'), recommId: fieldPattern('recommId'), eventSeq: fieldPattern('eventSeq') };
