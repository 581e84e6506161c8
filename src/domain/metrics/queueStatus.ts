// Depths of the work queues (the online-update stream, the BullMQ retrain queue) and their most recent failed jobs,
// for the dashboard and the Prometheus gauges. Counts come straight from Redis, so they are cluster-wide.
import type { Queue } from 'bullmq';

export interface FailedJob {
  id: string;
  name: string;
  reason: string | null;
  attempts: number;
  failedAt: Date | null;
}

export interface QueueDepth {
  name: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  /** Newest failures first (BullMQ keeps a bounded number of failed jobs). */
  recentFailures: FailedJob[];
}

/** Anything whose depth the dashboard and /metrics show: a BullMQ queue, or the online-update stream. */
export interface QueueSource {
  readonly name: string;
  depth(): Promise<QueueDepth>;
}

export function bullQueueSource(queue: Queue): QueueSource {
  return { name: queue.name, depth: () => queueDepth(queue) };
}

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children'] as const;

export async function queueDepth(queue: Queue, failuresShown = 10): Promise<QueueDepth> {
  const counts = await queue.getJobCounts(...QUEUE_STATES);
  // Reading failed jobs loads their data: only when there are any (this runs every second per live window).
  const failed = counts.failed ? await queue.getFailed(0, failuresShown - 1) : [];
  return {
    name: queue.name,
    // Prioritised jobs and parents waiting for children are waiting too, from an operator's point of view.
    waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts['waiting-children'] ?? 0),
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    failed: counts.failed ?? 0,
    completed: counts.completed ?? 0,
    recentFailures: failed
      .filter((j) => j)
      .map((j) => ({
        id: String(j.id),
        name: j.name,
        reason: j.failedReason ? j.failedReason.slice(0, 500) : null,
        attempts: j.attemptsMade ?? 0,
        failedAt: j.finishedOn ? new Date(j.finishedOn) : null,
      })),
  };
}
