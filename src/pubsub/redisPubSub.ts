// Typed publish/subscribe over Redis: one subscriber connection per process, reference-counted channels,
// and an async iterator per subscriber so graphql-ws subscriptions on any server see every message.
import type { Redis } from 'ioredis';
import type { KeySpace } from '../redis/redisConnections';
import { channelSuffix, type TopicName, type TopicPayloads } from './topics';
import { withTimeout } from '../async/withTimeout';

type Listener = (payload: unknown) => void;

export class RedisPubSub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private closed = false;
  private readonly onMessage: (channel: string, message: string) => void;

  /** The connections may be shared by several instances (one per tenant): each handles only its own channels. */
  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly keys: KeySpace,
  ) {
    this.onMessage = (channel: string, message: string) => {
      const set = this.listeners.get(channel);
      if (!set) return;
      let payload: unknown;
      try {
        payload = JSON.parse(message);
      } catch {
        return;
      }
      for (const fn of [...set]) fn(payload);
    };
    subscriber.on('message', this.onMessage);
  }

  async publish<T extends TopicName>(topic: T, payload: TopicPayloads[T], key?: string): Promise<number> {
    return this.publisher.publish(this.channelOf(topic, key), JSON.stringify(payload));
  }

  /** The Redis channel of a topic, for a message published from a script (the online updater's state commit). */
  channelOf(topic: TopicName, key?: string): string {
    return this.keys.channel(channelSuffix(topic, key));
  }

  /** The keys of `topic` that some process (any server) is subscribed to right now. */
  async listenedTo(topic: TopicName, keys: string[]): Promise<Set<string>> {
    return (await this.listenedToEach([topic], keys))[0];
  }

  /** listenedTo for each of `topics`, in order, asked in one command. */
  async listenedToEach(topics: TopicName[], keys: string[]): Promise<Set<string>[]> {
    if (!keys.length) return topics.map(() => new Set());
    const channels = topics.flatMap((t) => keys.map((k) => this.channelOf(t, k)));
    const reply = (await this.publisher.call('PUBSUB', 'NUMSUB', ...channels)) as (string | number)[];
    return topics.map((_, t) => new Set(keys.filter((_, i) => Number(reply[2 * (t * keys.length + i) + 1]) > 0)));
  }

  /** Registers a listener; resolves once Redis confirmed the subscription. Returns an unsubscribe function. */
  async on<T extends TopicName>(topic: T, listener: (payload: TopicPayloads[T]) => void, key?: string): Promise<() => Promise<void>> {
    const channel = this.keys.channel(channelSuffix(topic, key));
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(listener as Listener);
    if (set.size === 1) await this.subscriber.subscribe(channel);
    return async () => {
      const current = this.listeners.get(channel);
      if (!current?.delete(listener as Listener)) return;
      if (current.size === 0) {
        this.listeners.delete(channel);
        if (!this.closed) await this.subscriber.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

  /**
   * An async iterator of one topic's messages for a GraphQL subscription. It subscribes before returning,
   * so no message published after the subscription was acknowledged is missed; `filter` may drop or map.
   */
  async iterate<T extends TopicName, R>(
    topic: T,
    key: string | undefined,
    map: (payload: TopicPayloads[T]) => R | undefined,
    maxQueued = 100,
  ): Promise<AsyncIterableIterator<R>> {
    const queue: R[] = [];
    let wake: (() => void) | null = null;
    let done = false;
    const off = await this.on(
      topic,
      (payload) => {
        const value = map(payload);
        if (value === undefined) return;
        // A slow consumer keeps only the newest lists: older ones are superseded anyway.
        if (queue.length >= maxQueued) queue.shift();
        queue.push(value);
        wake?.();
      },
      key,
    );
    const finish = async (): Promise<IteratorResult<R>> => {
      if (!done) {
        done = true;
        wake?.();
        await off();
      }
      return { value: undefined, done: true };
    };
    const iterator: AsyncIterableIterator<R> = {
      async next() {
        while (!done) {
          if (queue.length) return { value: queue.shift() as R, done: false };
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
        }
        return { value: undefined, done: true };
      },
      return: finish,
      throw: async (err) => {
        await finish();
        throw err;
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /** Drops this instance's channels and handler; a shared subscriber connection stays with its other users. */
  async close(): Promise<void> {
    this.closed = true;
    const channels = [...this.listeners.keys()];
    this.listeners.clear();
    this.subscriber.off('message', this.onMessage);
    // Bounded: a Redis that does not answer must not hold up a shutdown (the connection's owner drops it anyway).
    if (channels.length) await withTimeout(this.subscriber.unsubscribe(...channels), 1000).catch(() => undefined);
  }
}
