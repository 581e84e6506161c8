// A worker process keeps normal priority for its online updates and retrains in a trainer child below it; the child
// is started again when it dies, and stops by itself when its worker dies without stopping it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startChild, type Child } from '../utils/childProcesses';
import { waitFor } from '../utils/graphqlClient';
import { QUEUES, queueOptions } from '../../src/jobs/queues';

/** The processes `pid` started, with their nice values. */
function childrenOf(pid: number): { pid: number; nice: number }[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=,ni=', '--ppid', String(pid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there is none
  }
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [p, ni] = line.trim().split(/\s+/).map(Number);
      return { pid: p, nice: ni };
    });
}

/** Running (an orphan's exit may leave a zombie until whatever adopted it reaps it). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('the trainer child of a worker process', () => {
  let env: TestEnv;
  let worker: Child;
  let redis: Redis;
  let retrainQueue: Queue;
  const base = os.getPriority();
  const nice = Math.min(base + 7, 19);

  beforeAll(async () => {
    env = await createTestEnv({ WORKER_NICE: String(nice) });
    redis = new Redis(env.config.redisUrl, { maxRetriesPerRequest: 2 });
    retrainQueue = new Queue(QUEUES.retrain, queueOptions(redis, env.redisPrefix));
    worker = startChild('worker', env.env);
  }, 30_000);

  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await retrainQueue?.close();
    redis?.disconnect();
    await env?.drop();
  });

  // A trainer connected to the retrain queue (it lowers its priority before it connects), other than `not`.
  const trainer = (not?: number) =>
    waitFor(async () => (await retrainQueue.getWorkersCount()) >= 1 && childrenOf(worker.proc.pid as number).find((c) => c.pid !== not && c.nice === nice), 60_000, 200);

  it('retrains below the worker, which keeps its own priority', async () => {
    const child = await trainer();
    expect(os.getPriority(worker.proc.pid as number)).toBe(base);
    expect(child.nice).toBe(nice);
  }, 70_000);

  it('is started again when it dies', async () => {
    const first = await trainer();
    process.kill(first.pid, 'SIGKILL');
    const second = await trainer(first.pid);
    expect(second.pid).not.toBe(first.pid);
    expect(worker.proc.exitCode).toBeNull();
  }, 70_000);

  it('stops by itself when its worker is killed', async () => {
    const child = await trainer();
    await worker.stop('SIGKILL');
    await waitFor(async () => !alive(child.pid), 30_000, 200);
  }, 100_000);
});
