// Waits for the online-update queue to empty, so a measurement starts from a system that has caught up and
// a check ("every event applied") runs only once the workers had their chance.
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { QUEUES, queueOptions } from '../jobs/queues';
import { progress, sleep } from './stats';

/**
 * Resolves with the seconds it took until no online-update job was waiting, delayed or active, or with NaN
 * after `timeoutMs` (an overloaded worker): the checks that follow then report what was not applied.
 */
export async function waitForOnlineBacklog(redisUrl: string, prefix: string, timeoutMs = 600_000): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  const queue = new Queue(QUEUES.onlineUpdate, queueOptions(redis, prefix));
  const started = performance.now();
  try {
    let quietSince: number | null = null;
    while (performance.now() - started < timeoutMs) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      const pending = Object.values(counts).reduce((a, b) => a + b, 0);
      if (pending === 0) {
        // Two empty looks 300 ms apart: a job added right after the first look is not missed.
        quietSince ??= performance.now();
        if (performance.now() - quietSince >= 300) return (quietSince - started) / 1000;
      } else {
        quietSince = null;
      }
      await sleep(100);
    }
    progress(`online-update backlog did not clear within ${timeoutMs / 1000} s; going on`);
    return NaN;
  } finally {
    await queue.close();
    redis.disconnect();
  }
}
