// A Sentinel-managed Redis of the test's own: a master, one replica and one sentinel on spare loopback ports,
// so a test can reach Redis through a redis+sentinel:// URL and force a failover without touching shared Redis.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { freePort } from './childProcesses';
import { startPrivateRedis, type PrivateRedis } from './privateRedis';

const MASTER = 'freshrec-test';

export interface PrivateSentinel {
  url: string;
  /** The data node the sentinel currently names as master. */
  masterPort(): Promise<number>;
  /** Promotes the replica and waits until the sentinel names it master; returns its port. */
  failover(timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function startPrivateSentinel(): Promise<PrivateSentinel> {
  const master: PrivateRedis = await startPrivateRedis();
  const replica: PrivateRedis = await startPrivateRedis(['--replicaof', '127.0.0.1', String(master.port)]);
  const port = await freePort();
  // Sentinel rewrites its configuration file as it learns, so it gets a scratch directory.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'freshrec-sentinel-'));
  const conf = path.join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [`port ${port}`, 'bind 127.0.0.1', `sentinel monitor ${MASTER} 127.0.0.1 ${master.port} 1`, `sentinel down-after-milliseconds ${MASTER} 1000`, `sentinel failover-timeout ${MASTER} 5000`].join('\n') + '\n',
  );
  const proc: ChildProcess = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  const sentinel = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  sentinel.on('error', () => undefined);
  const masterPort = async () => Number(((await sentinel.call('SENTINEL', 'get-master-addr-by-name', MASTER)) as string[])[1]);
  // Ready once the sentinel knows the master and has discovered the replica in sync (it polls INFO).
  await waitUntil(async () => {
    const replicas = (await sentinel.call('SENTINEL', 'replicas', MASTER)) as string[][];
    return (await masterPort()) === master.port && replicas.some((r) => r.includes(String(replica.port)) && !r.join(' ').includes('disconnected'));
  }, 20_000, 'the sentinel to see master and replica');

  return {
    url: `redis+sentinel://127.0.0.1:${port}/${MASTER}`,
    masterPort,
    async failover(timeoutMs = 20_000) {
      const before = await masterPort();
      await sentinel.call('SENTINEL', 'failover', MASTER);
      await waitUntil(async () => (await masterPort()) !== before, timeoutMs, 'the failover');
      return masterPort();
    },
    async stop() {
      sentinel.disconnect();
      await new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      });
      await replica.stop();
      await master.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
