// Retrain jobs as the API sees them: queue one (validated), read one's state from BullMQ, and follow one live.
// Workers publish every change on the job's 'training:job' topic, so a subscriber on any API process sees
// progress from a worker on any host; the subscription starts from the job's stored state and ends when it does.
import type { Job } from 'bullmq';
import type { RedisPubSub } from '../../pubsub/redisPubSub';
import type { TrainingJobChanged } from '../../pubsub/topics';
import type { RetrainJob, RetrainOutcome, RetrainProducer } from '../../jobs/queues';
import { NotFoundError } from '../../errors';
import { resolveKinds, type TrainingProgress } from './trainingService';

export type TrainingJobView = TrainingJobChanged;

const TERMINAL = new Set<TrainingJobView['status']>(['completed', 'failed']);

/** Job progress as stored: the step, and when (worker clock) it was reported. */
export type StoredProgress = TrainingProgress & { at: number };

/**
 * The API view of a BullMQ job in `state`. `at` defaults to the newest time the job itself records (all
 * stamped by workers), so a stored state and a published change are ordered by the same clock.
 */
export function viewOfJob(job: Job<RetrainJob, RetrainOutcome>, stateRead: string, at?: number): TrainingJobView {
  // The job and its state are two reads. A job read just before it finished has no finish time, outcome or
  // error yet, whatever state is read after: it is shown as still running, as it was when read.
  const state = (stateRead === 'completed' || stateRead === 'failed') && !job.finishedOn ? 'active' : stateRead;
  const p = (job.progress && typeof job.progress === 'object' ? job.progress : {}) as Partial<StoredProgress>;
  at ??= Math.max(p.at ?? 0, job.finishedOn ?? 0, job.processedOn ?? 0, job.timestamp ?? 0);
  const outcome = state === 'completed' ? (job.returnvalue ?? null) : null;
  const status: TrainingJobView['status'] = state === 'active' ? 'running' : state === 'completed' ? 'completed' : state === 'failed' ? 'failed' : 'queued';
  return {
    id: String(job.id),
    status,
    progress: status === 'completed' ? 100 : typeof p.percent === 'number' ? p.percent : 0,
    phase: p.phase ?? null,
    epoch: p.epoch ?? null,
    loss: p.loss ?? null,
    metrics: outcome?.metrics ?? null,
    error: job.failedReason || null,
    attempts: job.attemptsStarted ?? job.attemptsMade ?? 0,
    models: job.data?.models ?? [],
    servedVersion: outcome ? String(outcome.servedVersionId) : null,
    createdAt: job.timestamp ? new Date(job.timestamp).toISOString() : null,
    at,
  };
}

export class TrainingJobs {
  constructor(
    private readonly producer: RetrainProducer,
    private readonly pubsub: RedisPubSub,
    private readonly defaultModels: readonly string[],
  ) {}

  /** Validates and queues a retrain; unknown model names are BAD_USER_INPUT. */
  async enqueue(models: string[] | null | undefined, full: boolean | null | undefined): Promise<TrainingJobView> {
    const kinds = resolveKinds(models, this.defaultModels);
    const job = await this.producer.queue.add('retrain', { models: kinds, full: full === true, requestedBy: 'admin' });
    const view = viewOfJob(job, 'waiting');
    await this.publish(view);
    return view;
  }

  async get(id: string): Promise<TrainingJobView | null> {
    const job = await this.producer.queue.getJob(id);
    if (!job) return null;
    return viewOfJob(job, await job.getState());
  }

  /** Publishes a job's state to subscribers on every process. */
  publish(view: TrainingJobView): Promise<number> {
    return this.pubsub.publish('training:job', view, view.id);
  }

  /**
   * Follows a job: first its current state, then every published change, ending after a terminal state.
   * Changes observed before an already-delivered one (`at` older) are dropped, so progress never runs backwards
   * except when a failed attempt is retried.
   */
  async follow(id: string): Promise<AsyncIterableIterator<TrainingJobView>> {
    let lastAt = -Infinity;
    let finished = false;
    const fresh = (v: TrainingJobView): TrainingJobView | undefined => {
      if (v.at < lastAt) return undefined;
      lastAt = v.at;
      return v;
    };
    // Subscribe before reading the stored state, so no change in between is missed.
    const live = await this.pubsub.iterate('training:job', id, fresh);
    let current: TrainingJobView | null;
    try {
      current = await this.get(id);
    } catch (err) {
      await live.return?.();
      throw err;
    }
    if (!current) {
      await live.return?.();
      throw new NotFoundError('Training job', id);
    }
    let pending: TrainingJobView | null = fresh(current) ?? null;
    let sentAt = -Infinity;
    const iterator: AsyncIterableIterator<TrainingJobView> = {
      async next() {
        if (finished) return { value: undefined, done: true };
        let value: TrainingJobView | undefined;
        if (pending) {
          value = pending;
          pending = null;
        } else {
          // Changes published while the stored state was read are queued behind it: skip those older than
          // what was already sent, so progress never steps back.
          do {
            const r = await live.next();
            if (r.done) return r;
            value = r.value;
          } while (value.at < sentAt);
        }
        sentAt = value.at;
        if (TERMINAL.has(value.status)) {
          finished = true;
          await live.return?.();
        }
        return { value, done: false };
      },
      async return() {
        finished = true;
        await live.return?.();
        return { value: undefined, done: true };
      },
      async throw(err) {
        finished = true;
        await live.return?.();
        throw err;
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }
}
