// Waits for the online-update queue to empty, so a measurement starts from a system that has caught up and
// a check ("every event applied") runs only once the workers had their chance.
import Redis from 'ioredis';
import { OnlineUpdateStream } from '../jobs/onlineUpdateStream';
import { KeySpace } from '../redis/redisConnections';
import { progress, sleep } from './stats';

/**
 * Resolves with the seconds it took until no online update was waiting or in hand, or with NaN
 * after `timeoutMs` (an overloaded worker): the checks that follow then report what was not applied.
 */
export async function waitForOnlineBacklog(redisUrl: string, prefix: string, timeoutMs = 600_000): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  const stream = new OnlineUpdateStream(redis, new KeySpace(prefix));
  const started = performance.now();
  try {
    let quietSince: number | null = null;
    while (performance.now() - started < timeoutMs) {
      const { waiting, active } = await stream.depth();
      const pending = waiting + active;
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
    redis.disconnect();
  }
}
