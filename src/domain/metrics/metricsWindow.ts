// Parses the window argument of metrics queries ("30s", "5m", "1h") and picks the resolution it is read at:
// per-second counters for short windows, per-minute ones beyond (they are kept longer and are 60 times fewer).
import { InvalidInputError } from '../../errors';

export interface MetricsWindow {
  /** As the caller wrote it, normalised ("5m"). */
  label: string;
  seconds: number;
  /** Seconds per point of the series: 1 or 60. */
  resolution: 1 | 60;
}

export const MAX_WINDOW_SECONDS = 24 * 3600;
/** Windows up to this long are read from per-second counters. */
export const SECOND_RESOLUTION_MAX = 600;

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

export function parseWindow(raw: string | null | undefined, fallback = '5m'): MetricsWindow {
  const text = (raw ?? fallback).trim();
  const m = /^(\d{1,5})\s*([smh])$/.exec(text);
  const seconds = m ? Number(m[1]) * UNITS[m[2]] : NaN;
  if (!m || !(seconds >= 10 && seconds <= MAX_WINDOW_SECONDS)) {
    throw new InvalidInputError('window must look like 30s, 5m or 1h, between 10 seconds and 24 hours', { field: 'window' });
  }
  const resolution = seconds <= SECOND_RESOLUTION_MAX ? 1 : 60;
  return { label: `${m[1]}${m[2]}`, seconds: resolution === 60 ? Math.ceil(seconds / 60) * 60 : seconds, resolution };
}
