// Structured JSON logs (pino). One root logger per process; modules take child loggers with a `module` field.
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'freshrec'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
