// BullMQ queue names, job payloads and producers (retraining; online updates go through OnlineUpdateStream).
// Every queue lives under the deployment's Redis prefix.
import { Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';

export const QUEUES = {
  retrain: 'retrain',
} as const;

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
