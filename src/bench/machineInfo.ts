// Describes the machine a benchmark ran on, so every published figure carries its context.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export interface MachineInfo {
  /** Cores available to this process (`nproc`). */
  nproc: number;
  memoryGiB: number;
  cpuModel: string;
  node: string;
  /** 1-minute load average when the run started: other work on a shared machine shows here. */
  loadAverageAtStart: number;
  postgres: string | null;
  redis: string | null;
}

function nproc(): number {
  try {
    return Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || os.cpus().length;
  } catch {
    return os.cpus().length;
  }
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':').slice(1).join(':').trim();
  } catch {
    /* not Linux */
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

export function describeMachine(versions: { postgres: string | null; redis: string | null }): MachineInfo {
  return {
    nproc: nproc(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    cpuModel: cpuModel(),
    node: process.version,
    loadAverageAtStart: Math.round(os.loadavg()[0] * 100) / 100,
    ...versions,
  };
}
