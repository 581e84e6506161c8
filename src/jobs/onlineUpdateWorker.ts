// BullMQ worker for the online path: each job brings one user's state up to date with their stored events.
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import type { OnlineUpdateService } from '../domain/online/onlineUpdateService';
import { QUEUES, queueOptions, type OnlineUpdateJob } from './queues';

export function startOnlineUpdateWorker(
  service: OnlineUpdateService,
  connection: Redis,
  prefix: string,
  concurrency: number,
  log: Logger,
): Worker<OnlineUpdateJob> {
  const worker = new Worker<OnlineUpdateJob>(QUEUES.onlineUpdate, (job) => service.apply(job.data.userId), {
    ...queueOptions(connection, prefix),
    concurrency,
  });
  worker.on('failed', (job, err) => log.warn({ err, userId: job?.data.userId, attempts: job?.attemptsMade }, 'online update failed'));
  worker.on('error', (err) => log.error({ err }, 'online update worker error'));
  return worker;
}
