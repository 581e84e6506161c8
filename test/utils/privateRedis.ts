// A redis-server of the test's own on a spare loopback port, so fault tests can stop and restart Redis
// without touching the machine's shared instance.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { freePort } from './childProcesses';

export interface PrivateRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open but nothing is answered, as in a network partition. */
  pause(): void;
  resume(): void;
}

/** `extraArgs` go to redis-server as they are (e.g. `--replicaof 127.0.0.1 <port>`). */
export async function startPrivateRedis(extraArgs: string[] = []): Promise<PrivateRedis> {
  const port = await freePort();
  let proc: ChildProcess | null = null;
  const url = `redis://127.0.0.1:${port}`;
  // A replica's initial sync writes an RDB file even with --save "": it goes to the temp directory, not the checkout.
  const dbfilename = `freshrec-test-redis-${port}.rdb`;
  const start = async () => {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', os.tmpdir(), '--dbfilename', dbfilename, ...extraArgs], { stdio: 'ignore' });
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    for (let i = 0; i < 100; i++) {
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error('private redis did not start');
  };
  const stop = async () => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
    rmSync(path.join(os.tmpdir(), dbfilename), { force: true });
  };
  const signal = (sig: NodeJS.Signals) => {
    const p = proc as ChildProcess | null;
    if (p && p.exitCode === null) p.kill(sig);
  };
  await start();
  return { url, port, start, stop, pause: () => signal('SIGSTOP'), resume: () => signal('SIGCONT') };
}
