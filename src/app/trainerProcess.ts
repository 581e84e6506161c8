// The trainer child of a worker process: retraining runs in a process of its own, below serving priority, so that
// the worker's online updates keep normal priority (a nice value belongs to a whole thread, and training would take
// the online path's down with it). Lifecycle: start() forks it; an unexpected exit is logged and the child started
// again after a back-off; stop() asks it to finish its job and waits, killing it only past a deadline.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Logger } from '../logger';

const ENTRY = path.join(__dirname, '../main/trainer.ts');
const FIRST_RESTART_MS = 1000;
const MAX_RESTART_MS = 30_000;
// A child that ran this long before dying is restarted at once: its crash was not a start-up loop.
const HEALTHY_AFTER_MS = 60_000;

export class TrainerProcess {
  private child: ChildProcess | null = null;
  private stopping = false;
  private restartDelay = FIRST_RESTART_MS;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly log: Logger,
    /** Longest wait in stop() for the child to finish its job; a little under the parent's own shutdown budget. */
    private readonly stopTimeoutMs = 12_000,
  ) {}

  start(): void {
    // The parent's Node options (tsx as a loader, --cpu-prof) and environment carry over; the IPC channel fork opens
    // lets the child notice a parent that died without stopping it (see src/main/trainer.ts).
    const child = fork(ENTRY, [], { execArgv: process.execArgv, stdio: 'inherit' });
    const startedAt = Date.now();
    this.child = child;
    child.on('error', (err) => this.log.error({ err }, 'trainer process error'));
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      if (this.stopping) return;
      if (Date.now() - startedAt >= HEALTHY_AFTER_MS) this.restartDelay = FIRST_RESTART_MS;
      this.log.error({ code, signal, restartInMs: this.restartDelay }, 'trainer process exited; restarting it');
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (!this.stopping) this.start();
      }, this.restartDelay);
      this.restartDelay = Math.min(this.restartDelay * 2, MAX_RESTART_MS);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.log.warn('trainer process did not stop in time; killing it');
      child.kill('SIGKILL');
    }, this.stopTimeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
