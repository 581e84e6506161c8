// BullMQ worker for retraining: runs one retrain at a time (the queue's global concurrency is 1, see
// retrainScheduler), records progress in the job and publishes every state change for trainingProgress.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import { DomainError, ErrorCode } from '../errors';
import type { TrainingProgress, TrainingService } from '../domain/training/trainingService';
import { viewOfJob, type StoredProgress, type TrainingJobs } from '../domain/training/trainingJobs';
import { QUEUES, queueOptions, type RetrainJob, type RetrainOutcome } from './queues';

/** Progress is written at most this often, unless the phase or epoch changes or the job finishes. */
const PROGRESS_INTERVAL_MS = 200;
/**
 * Training may hold the event loop for a while between yields; a generous lock keeps BullMQ from declaring
 * the job stalled and handing it to a second worker while the first still trains.
 */
const LOCK_MS = 10 * 60_000;

/** Writes progress to the job and to subscribers, throttled; never fails the job over a lost update. */
function progressReporter(job: Job<RetrainJob, RetrainOutcome>, jobs: TrainingJobs, log: Logger): (p: TrainingProgress) => void {
  let last: TrainingProgress | null = null;
  let lastAt = 0;
  return (step) => {
    const now = Date.now();
    // Within one attempt progress only rises, even if a model's own fraction restarts (e.g. a tuning pass).
    const p = { ...step, percent: Math.max(step.percent, last?.percent ?? 0) };
    const changed = !last || p.phase !== last.phase || p.epoch !== last.epoch || p.percent >= 100;
    if (!changed && (now - lastAt < PROGRESS_INTERVAL_MS || Math.round(p.percent) === Math.round(last?.percent ?? -1))) return;
    last = p;
    lastAt = now;
    const progress: StoredProgress = { phase: p.phase, percent: Math.round(p.percent * 10) / 10, epoch: p.epoch, loss: p.loss, at: now };
    job.progress = progress;
    void job.updateProgress(progress).catch((err) => log.warn({ err, jobId: job.id }, 'could not record retrain progress'));
    void jobs.publish(viewOfJob(job, 'active', now)).catch((err) => log.warn({ err, jobId: job.id }, 'could not publish retrain progress'));
  };
}

/** Publishes a job's state after it finished an attempt (completed, failed, or waiting to retry). */
async function publishState(job: Job<RetrainJob, RetrainOutcome> | undefined, jobs: TrainingJobs, log: Logger): Promise<void> {
  if (!job) return;
  try {
    const state = await job.getState();
    await jobs.publish(viewOfJob(job, state, Date.now()));
  } catch (err) {
    log.warn({ err, jobId: job.id }, 'could not publish retrain state');
  }
}

export function startRetrainWorker(service: TrainingService, connection: Redis, prefix: string, log: Logger): Worker<RetrainJob, RetrainOutcome> {
  const jobs = service.jobs;
  const worker = new Worker<RetrainJob, RetrainOutcome>(
    QUEUES.retrain,
    async (job) => {
      try {
        const result = await service.retrain({ models: job.data.models, full: job.data.full }, progressReporter(job, jobs, log));
        return {
          servedVersionId: result.served.id,
          promoted: result.promoted,
          components: result.components.map((c) => c.id),
          metrics: result.metrics,
          note: result.note,
        };
      } catch (err) {
        // Bad input (unknown model, no events) will not get better by retrying.
        if (err instanceof DomainError && err.code === ErrorCode.BAD_USER_INPUT) throw new UnrecoverableError(err.message);
        throw err;
      }
    },
    // Concurrency 1 per worker process; training saturates the CPU anyway.
    { ...queueOptions(connection, prefix), concurrency: 1, lockDuration: LOCK_MS, maxStalledCount: 1 },
  );
  worker.on('completed', (job) => {
    log.info({ jobId: job.id, servedVersion: job.returnvalue?.servedVersionId, promoted: job.returnvalue?.promoted }, 'retrain completed');
    void publishState(job, jobs, log);
  });
  worker.on('failed', (job, err) => {
    log.error({ err, jobId: job?.id, attempts: job?.attemptsMade }, 'retrain attempt failed');
    void publishState(job, jobs, log);
  });
  worker.on('error', (err) => log.error({ err }, 'retrain worker error'));
  return worker;
}
