// Queue names, job payloads and producers. Every queue lives under the deployment's Redis prefix.
import { Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';

export const QUEUES = {
  onlineUpdate: 'online-update',
  retrain: 'retrain',
} as const;

export interface OnlineUpdateJob {
  userId: string;
}

export interface RetrainJob {
  models: string[];
  /** True: serve exactly these models. False: keep the active version's other components in the fusion. */
  full: boolean;
  requestedBy: 'admin' | 'schedule' | 'bootstrap';
}

/** What a finished retrain job returns (its BullMQ return value). */
export interface RetrainOutcome {
  servedVersionId: number;
  promoted: boolean;
  components: number[];
  metrics: Record<string, unknown>;
  note: string | null;
}

export interface RetrainQueueOptions {
  /** Attempts per job, and the first retry's delay in ms (doubling after). */
  attempts: number;
  backoffMs: number;
}

export function queueOptions(connection: Redis, prefix: string): { connection: ConnectionOptions; prefix: string } {
  return { connection, prefix: `${prefix}:bull` };
}

/** Asks for a user's online update. One active and at most one waiting job per user: bursts coalesce. */
export class OnlineUpdateProducer {
  readonly queue: Queue<OnlineUpdateJob>;

  constructor(connection: Redis, prefix: string) {
    this.queue = new Queue<OnlineUpdateJob>(QUEUES.onlineUpdate, {
      ...queueOptions(connection, prefix),
      defaultJobOptions: {
        removeOnComplete: true,
        removeOnFail: 1000,
        attempts: 5,
        backoff: { type: 'exponential', delay: 200 },
      },
    });
  }

  async notify(userIds: string[]): Promise<void> {
    await this.queue.addBulk(
      userIds.map((userId) => ({
        name: 'user',
        data: { userId },
        // keepLastIfActive: a burst while the job runs leaves exactly one follow-up job, and never two at once.
        opts: { deduplication: { id: userId, keepLastIfActive: true } },
      })),
    );
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/** Asks for retrains. Jobs are kept (the last 200 of each outcome) so trainingJob(id) can report on them. */
export class RetrainProducer {
  readonly queue: Queue<RetrainJob, RetrainOutcome>;

  constructor(connection: Redis, prefix: string, opts: RetrainQueueOptions = { attempts: 3, backoffMs: 5000 }) {
    this.queue = new Queue<RetrainJob, RetrainOutcome>(QUEUES.retrain, {
      ...queueOptions(connection, prefix),
      defaultJobOptions: {
        removeOnComplete: 200,
        removeOnFail: 200,
        attempts: opts.attempts,
        backoff: { type: 'exponential', delay: opts.backoffMs },
      },
    });
  }

  async request(job: RetrainJob): Promise<string> {
    const added = await this.queue.add('retrain', job);
    return added.id as string;
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
