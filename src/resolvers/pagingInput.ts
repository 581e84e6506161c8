// Validates paging arguments (offset with limit) shared by search and recommendations.
import { InvalidInputError } from '../errors';

/** Deepest position a list can be paged to: offset + limit may not exceed it. */
export const MAX_LIST_DEPTH = 1000;

export function checkOffset(offset: number | null | undefined, limit: number): number {
  const n = offset ?? 0;
  if (!Number.isInteger(n) || n < 0) throw new InvalidInputError('offset must be a non-negative integer', { field: 'offset' });
  if (n + limit > MAX_LIST_DEPTH) throw new InvalidInputError(`offset + limit must not exceed ${MAX_LIST_DEPTH}`, { field: 'offset' });
  return n;
}
