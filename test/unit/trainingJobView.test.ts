// A retrain job's API view is built from two Redis reads (the job, then its state): a job read just before it
// finished must not be shown as completed without its outcome (the race CI once hit in retrain.test.ts).
import type { Job } from 'bullmq';
import { viewOfJob } from '../../src/domain/training/trainingJobs';
import type { RetrainJob, RetrainOutcome } from '../../src/jobs/queues';

function job(fields: Partial<Job<RetrainJob, RetrainOutcome>>): Job<RetrainJob, RetrainOutcome> {
  return { id: '7', data: { models: ['pop'], full: true }, timestamp: 1000, progress: { percent: 97, phase: 'publishing', at: 1500 }, ...fields } as Job<RetrainJob, RetrainOutcome>;
}

describe('viewOfJob', () => {
  it('shows a completed job with its outcome', () => {
    const outcome = { servedVersionId: 12, metrics: { ndcg: 0.3, promoted: true } } as unknown as RetrainOutcome;
    const view = viewOfJob(job({ finishedOn: 2000, returnvalue: outcome }), 'completed');
    expect(view).toMatchObject({ status: 'completed', progress: 100, servedVersion: '12', metrics: { promoted: true } });
  });

  it('shows a job read before it finished as running, whatever state was read after it', () => {
    for (const state of ['completed', 'failed']) {
      const view = viewOfJob(job({}), state);
      expect(view).toMatchObject({ status: 'running', progress: 97, servedVersion: null, metrics: null, error: null });
    }
  });

  it('shows a failed job with its error', () => {
    const view = viewOfJob(job({ finishedOn: 2000, failedReason: 'retrain failed: no events' }), 'failed');
    expect(view).toMatchObject({ status: 'failed', error: 'retrain failed: no events' });
  });
});
