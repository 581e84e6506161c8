// What /readyz checks: Postgres answers, Redis answers, and a model is loaded. Each check has a deadline, so a
// dependency that hangs (a half-open TCP connection, a full pool) makes the process unready instead of the probe hang.
import type { Services } from '../app/services';

export const CHECK_TIMEOUT_MS = 2000;

export type Readiness = Record<'postgres' | 'redis' | 'model', boolean>;

function within<T>(p: Promise<T>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([p.then(() => true, () => false), deadline]).finally(() => clearTimeout(timer));
}

export async function readiness(services: Pick<Services, 'db' | 'redis' | 'activeModel'>, timeoutMs = CHECK_TIMEOUT_MS): Promise<Readiness> {
  const [postgres, redis] = await Promise.all([
    within(services.db.$queryRawUnsafe('SELECT 1'), timeoutMs),
    within(
      services.redis.ping().then((pong) => {
        if (pong !== 'PONG') throw new Error(`unexpected PING answer ${pong}`);
      }),
      timeoutMs,
    ),
  ]);
  return { postgres, redis, model: services.activeModel.get() !== null };
}
