// The system under test as real child processes (`npm run serve` and `npm run worker` entry points), started
// with node directly so /proc accounts the server itself, not a launcher: CPU time and resident memory per role.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import type { Config } from '../config';
import { QUEUES, queueOptions } from '../jobs/queues';
import { OnlineUpdateStream } from '../jobs/onlineUpdateStream';
import { KeySpace } from '../redis/redisConnections';
import { sleep } from './stats';

const ROOT = path.resolve(__dirname, '../..');
const OUTPUT_KEPT = 20_000;
/** Kernel clock ticks per second for /proc/<pid>/stat times; 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

export type Role = 'api' | 'worker';

export interface MemoryUse {
  rssMiB: number;
  /** Peak resident set since the process started (VmHWM). */
  peakRssMiB: number;
}

export class SystemProcess {
  private out = '';

  constructor(
    readonly role: Role,
    readonly proc: ChildProcess,
    readonly port: number | null,
  ) {
    const keep = (d: Buffer) => {
      this.out = (this.out + d.toString()).slice(-OUTPUT_KEPT);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
  }

  get pid(): number {
    return this.proc.pid as number;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  output(): string {
    return this.out;
  }

  /** User + system CPU seconds the process has used so far. */
  cpuSeconds(): number {
    return processCpuSeconds(this.pid);
  }

  memory(): MemoryUse {
    return memoryOf(this.pid);
  }

  /** The memory of the process this one started (a worker's trainer), if it runs. */
  childMemory(): MemoryUse | null {
    const child = readFileSync(`/proc/${this.pid}/task/${this.pid}/children`, 'utf8').trim().split(' ')[0];
    return child ? memoryOf(Number(child)) : null;
  }

  /** SIGTERM, then the exit code once the graceful shutdown finished (SIGKILL after `timeoutMs`). */
  stop(timeoutMs = 20_000): Promise<number | null> {
    if (this.proc.exitCode !== null) return Promise.resolve(this.proc.exitCode);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
      this.proc.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
      this.proc.kill('SIGTERM');
    });
  }
}

function memoryOf(pid: number): MemoryUse {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
}

export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at ") ": utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** `nodeArgs` go to Node itself (e.g. --cpu-prof, which NODE_OPTIONS does not accept). */
export async function startSystemProcess(role: Role, env: Record<string, string>, nodeArgs: string[] = []): Promise<SystemProcess> {
  const port = role === 'api' ? await freePort() : null;
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(ROOT, `src/main/${role}.ts`)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, ...(port !== null ? { PORT: String(port) } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new SystemProcess(role, proc, port);
}

/** An API process on the deployment `config` names, as the benchmarks probe it: production mode, no rate limit. */
export function startProbedApi(config: Pick<Config, 'databaseUrl' | 'redisUrl' | 'redisPrefix' | 'adminApiKey' | 'clientApiKey'>): Promise<SystemProcess> {
  return startSystemProcess('api', {
    NODE_ENV: 'production',
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    REDIS_PREFIX: config.redisPrefix,
    ADMIN_API_KEY: config.adminApiKey,
    CLIENT_API_KEY: config.clientApiKey,
    RATE_LIMIT_PER_SECOND: '0',
    LOG_LEVEL: 'warn',
  });
}

/** Waits until the API answers /readyz with 200: Postgres and Redis reachable and a model loaded. */
export async function waitForApi(api: SystemProcess, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (api.proc.exitCode !== null) throw new Error(`API process exited early:\n${api.output()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${api.port}/readyz`);
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await sleep(200);
  }
  throw new Error(`API not ready within ${timeoutMs / 1000} s:\n${api.output()}`);
}

/** Waits until `count` worker processes read the online-update stream and are connected to the retrain queue. */
export async function waitForWorkers(redisUrl: string, prefix: string, workers: SystemProcess[], timeoutMs = 120_000): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  const retrain = new Queue(QUEUES.retrain, queueOptions(redis, prefix));
  const online = new OnlineUpdateStream(redis, new KeySpace(prefix));
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const dead = workers.find((w) => w.proc.exitCode !== null);
      if (dead) throw new Error(`worker process exited early:\n${dead.output()}`);
      const counts = await Promise.all([retrain.getWorkersCount(), online.consumerCount()]);
      if (counts.every((c) => c >= workers.length)) return;
      await sleep(200);
    }
    throw new Error(`workers not connected within ${timeoutMs / 1000} s:\n${workers.map((w) => w.output()).join('\n')}`);
  } finally {
    await retrain.close();
    redis.disconnect();
  }
}
