// The worker side of the online path: reads batches of users from the online-update stream, brings them up to
// date in one OnlineUpdateService call per batch, and acknowledges the batch. Lifecycle: start() joins the
// consumer group and begins reading; close() finishes the batch in hand and leaves.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import type { OnlineUpdateService } from '../domain/online/onlineUpdateService';
import { ONLINE_UPDATE_GROUP, type OnlineUpdateStream } from './onlineUpdateStream';
import { withTimeout } from '../async/withTimeout';

export interface OnlineUpdateWorkerOptions {
  /** Users (stream entries) read per batch. */
  batchSize: number;
  /** Entries a crashed worker read but never acknowledged are taken over after this long. */
  reclaimAfterMs?: number;
  /** Longest wait of one read, which bounds how long close() waits for the loop. */
  blockMs?: number;
}

// A failing batch is retried this many times, backing off from the first delay, then logged and dropped: the
// events stay in Postgres and are applied with the user's next update (the mark only moves on success).
const ATTEMPTS = 5;
const FIRST_RETRY_MS = 200;

type StreamEntries = [id: string, fields: string[]][];

export class OnlineUpdateWorker {
  readonly consumer = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private running: Promise<void> | null = null;
  private closing = false;
  private lastReclaim = 0;
  private lastHeartbeat = 0;
  private acking: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly stream: OnlineUpdateStream,
    private readonly service: OnlineUpdateService,
    /** Blocks in XREADGROUP: a connection of its own. */
    private readonly blocking: Redis,
    private readonly log: Logger,
    private readonly options: OnlineUpdateWorkerOptions,
  ) {}

  async start(): Promise<void> {
    await this.stream.ensureGroup();
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.closing) {
      try {
        if (Date.now() - this.lastHeartbeat >= 1000) {
          this.lastHeartbeat = Date.now();
          await this.stream.heartbeat(this.consumer);
        }
        const entries = (await this.reclaim()) ?? (await this.read());
        if (entries?.length) this.acknowledge(await this.handle(entries));
      } catch (err) {
        if (this.closing) break;
        // Redis restarted empty (it keeps nothing on disk here): the group is gone with the stream; make it again.
        if (String((err as Error).message).startsWith('NOGROUP')) {
          await this.stream.ensureGroup().catch(() => undefined);
          continue;
        }
        // Redis away: wait a little rather than spin; unacknowledged entries stay pending for a retry.
        this.log.warn({ err: (err as Error).message }, 'online update stream unavailable; retrying');
        await sleep(1000);
      }
    }
    await this.acking;
  }

  private async read(): Promise<StreamEntries | null> {
    const res = (await this.blocking.xreadgroup(
      'GROUP', ONLINE_UPDATE_GROUP, this.consumer,
      'COUNT', this.options.batchSize,
      'BLOCK', this.options.blockMs ?? 1000,
      'STREAMS', this.stream.key, '>',
    )) as [string, StreamEntries][] | null;
    return res?.[0]?.[1] ?? null;
  }

  /** Every few seconds: entries another (crashed) worker read long ago and never acknowledged. */
  private async reclaim(): Promise<StreamEntries | null> {
    const after = this.options.reclaimAfterMs ?? 30_000;
    if (Date.now() - this.lastReclaim < Math.min(after, 5000)) return null;
    this.lastReclaim = Date.now();
    const [, entries] = (await this.blocking.xautoclaim(this.stream.key, ONLINE_UPDATE_GROUP, this.consumer, after, '0', 'COUNT', this.options.batchSize)) as [string, StreamEntries];
    // Entries deleted while pending come back without fields: only their acknowledgement is left to do.
    return entries.length ? entries : null;
  }

  /** Brings the batch's users up to date; the entry ids to acknowledge (none when closing mid-batch). */
  private async handle(entries: StreamEntries): Promise<string[]> {
    const users = [...new Set(entries.flatMap(([, f]) => (f && f[0] === 'u' ? [f[1]] : [])))];
    for (let attempt = 1; users.length; attempt++) {
      try {
        await this.service.applyMany(users);
        break;
      } catch (err) {
        // On close the batch stays pending for another worker to take over.
        if (this.closing) return [];
        if (attempt >= ATTEMPTS) {
          this.log.error({ err, users: users.length }, 'online update failed; its users catch up with their next event');
          break;
        }
        this.log.warn({ err: (err as Error).message, attempt }, 'online update failed; retrying');
        await sleep(FIRST_RETRY_MS * 2 ** (attempt - 1));
      }
    }
    return entries.map(([id]) => id);
  }

  /**
   * Not awaited: the next read follows the acknowledgement on the same connection, so both cost one round trip.
   * One that fails leaves its entries pending, to be reclaimed and applied again (harmless: commits compare-and-set).
   */
  private acknowledge(ids: string[]): void {
    if (!ids.length) return;
    this.acking = this.blocking
      .multi()
      .xack(this.stream.key, ONLINE_UPDATE_GROUP, ...ids)
      .xdel(this.stream.key, ...ids)
      .exec()
      .catch((err) => this.log.warn({ err: (err as Error).message, entries: ids.length }, 'acknowledgement failed; the entries will be reclaimed'));
  }

  /** Stops reading, waits for the batch in hand, and leaves the group if nothing of this consumer is pending. */
  async close(): Promise<void> {
    this.closing = true;
    // A read blocked on a Redis that went away would hold this forever: the batch in hand has had its chance by then.
    await withTimeout(this.running ?? Promise.resolve(), (this.options.blockMs ?? 1000) + 5000).catch(() => undefined);
    try {
      await this.stream.leave(this.consumer);
      const pending = (await this.blocking.xpending(this.stream.key, ONLINE_UPDATE_GROUP, '-', '+', 1, this.consumer)) as unknown[];
      if (!pending.length) await this.blocking.xgroup('DELCONSUMER', this.stream.key, ONLINE_UPDATE_GROUP, this.consumer);
    } catch {
      /* Redis away: the consumer entry is harmless and its pending entries are reclaimed by others */
    }
  }
}
