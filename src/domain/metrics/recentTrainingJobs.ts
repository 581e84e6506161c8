// The newest retrain jobs in any state, as TrainingJob views, so the dashboard can list them and follow the
// running one (trainingProgress) without knowing job ids in advance.
import type { RetrainProducer } from '../../jobs/queues';
import { viewOfJob, type TrainingJobView } from '../training/trainingJobs';

const STATES = ['active', 'waiting', 'prioritized', 'delayed', 'completed', 'failed'] as const;

export async function recentTrainingJobs(producer: RetrainProducer, limit: number): Promise<TrainingJobView[]> {
  // BullMQ pages each state separately; take `limit` of each, then keep the newest overall.
  const jobs = (await producer.queue.getJobs([...STATES], 0, limit - 1, false)).filter((j) => j);
  jobs.sort((a, b) => (b.timestamp ?? 0) - (a.timestamp ?? 0));
  const newest = jobs.slice(0, limit);
  return Promise.all(newest.map(async (job) => viewOfJob(job, await job.getState())));
}
