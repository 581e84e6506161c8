// Shared input checks and size limits: ids, strings, numbers and batches. Each failure is an
// InvalidInputError naming the field, so clients see BAD_USER_INPUT with a precise message.
import { InvalidInputError } from '../errors';

export const LIMITS = Object.freeze({
  idLength: 256,
  titleLength: 1000,
  textLength: 20000,
  tagCount: 100,
  queryLength: 1000,
  batchSize: 1000,
  contextBytes: 8192,
  propertiesBytes: 65536,
  resultLimit: 200,
});

// Control characters in ids break logs, keys and CSV exports.
const CONTROL = /[\u0000-\u001f\u007f]/;

export function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidInputError(`${field} must be a non-empty string`, { field });
  if (value.length > LIMITS.idLength) throw new InvalidInputError(`${field} is longer than ${LIMITS.idLength} characters`, { field });
  if (CONTROL.test(value)) throw new InvalidInputError(`${field} contains control characters`, { field });
  return value;
}

export function checkText(value: unknown, field: string, max: number): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new InvalidInputError(`${field} must be a string`, { field });
  if (value.length > max) throw new InvalidInputError(`${field} is longer than ${max} characters`, { field });
  return value;
}

export function checkNumber(value: unknown, field: string, opts: { min?: number; max?: number } = {}): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidInputError(`${field} must be a finite number`, { field });
  if (opts.min !== undefined && value < opts.min) throw new InvalidInputError(`${field} must be at least ${opts.min}`, { field });
  if (opts.max !== undefined && value > opts.max) throw new InvalidInputError(`${field} must be at most ${opts.max}`, { field });
  return value;
}

/** A JSON object (not array or scalar) of bounded serialised size. */
export function checkJsonObject(value: unknown, field: string, maxBytes: number): Record<string, unknown> | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidInputError(`${field} must be a JSON object`, { field });
  const size = Buffer.byteLength(JSON.stringify(value));
  if (size > maxBytes) throw new InvalidInputError(`${field} is larger than ${maxBytes} bytes`, { field });
  return value as Record<string, unknown>;
}

export function checkLimit(value: number | null | undefined, field = 'limit', fallback = 10): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > LIMITS.resultLimit) {
    throw new InvalidInputError(`${field} must be an integer between 1 and ${LIMITS.resultLimit}`, { field });
  }
  return n;
}

export function checkBatch<T>(values: T[], field: string): T[] {
  if (values.length === 0) throw new InvalidInputError(`${field} must not be empty`, { field });
  if (values.length > LIMITS.batchSize) throw new InvalidInputError(`${field} holds more than ${LIMITS.batchSize} entries`, { field });
  return values;
}
