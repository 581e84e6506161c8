// Keeps the retrain queue's standing rules in Redis: at most one retrain runs at a time across every worker
// (BullMQ global concurrency), and the repeatable schedules — a full retrain and an incremental one that
// refits only cheap models and keeps the rest — follow the configured cron patterns (removed when unset).
import type { Queue } from 'bullmq';
import type { RetrainJob, RetrainOutcome } from './queues';

export const SCHEDULES = {
  full: 'scheduled-full-retrain',
  incremental: 'scheduled-incremental-retrain',
} as const;

export interface RetrainSchedule {
  fullCron: string;
  fullModels: string[];
  incrementalCron: string;
  incrementalModels: string[];
}

export async function installRetrainSchedules(queue: Queue<RetrainJob, RetrainOutcome>, schedule: RetrainSchedule): Promise<void> {
  // Two retrains at once would double memory and race to activate; one worker's concurrency is not enough
  // when several worker processes share the queue.
  await queue.setGlobalConcurrency(1);
  await upsertOrRemove(queue, SCHEDULES.full, schedule.fullCron, { models: schedule.fullModels, full: true, requestedBy: 'schedule' });
  await upsertOrRemove(queue, SCHEDULES.incremental, schedule.incrementalCron, {
    models: schedule.incrementalModels,
    full: false,
    requestedBy: 'schedule',
  });
}

async function upsertOrRemove(queue: Queue<RetrainJob, RetrainOutcome>, id: string, pattern: string, data: RetrainJob): Promise<void> {
  if (!pattern) {
    await queue.removeJobScheduler(id);
    return;
  }
  try {
    await queue.upsertJobScheduler(id, { pattern }, { name: 'retrain', data });
  } catch (err) {
    throw new Error(`cannot schedule ${id} with cron pattern "${pattern}": ${(err as Error).message}`);
  }
}
