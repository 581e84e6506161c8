// Serving before training on a shared machine: a worker-only process lowers its own CPU priority (raises its nice
// value), so a retrain never starves the API processes beside it of the cores it does not need.
import os from 'node:os';
import type { Logger } from '../logger';

/**
 * Sets the calling thread's nice value, the one that runs training and every job of this process, and the one
 * child processes it starts from now on inherit. Lowering priority needs no privilege; failure only logs.
 */
export function lowerWorkerPriority(nice: number, log: Logger): void {
  if (nice <= 0) return;
  try {
    os.setPriority(nice);
    log.info({ nice }, 'worker runs below serving priority');
  } catch (err) {
    log.warn({ err: (err as Error).message, nice }, 'could not lower the worker priority');
  }
}
