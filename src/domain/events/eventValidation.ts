// Validates one incoming behaviour event and normalises it into the row that will be stored.
import { randomUUID } from 'node:crypto';
import { InvalidInputError } from '../../errors';
import { EVENT_TYPES, type EventTypeName } from '../../ml/interactions';
import { LIMITS, checkId, checkJsonObject, checkNumber, checkText } from '../inputLimits';

export interface EventInput {
  eventId?: string | null;
  userId: string;
  itemId?: string | null;
  type: string;
  value?: number | null;
  query?: string | null;
  context?: unknown;
  occurredAt?: Date | string | null;
  recommId?: string | null;
}

export interface EventRow {
  eventId: string;
  userId: string;
  itemId: string | null;
  type: EventTypeName;
  value: number | null;
  query: string | null;
  context: Record<string, unknown> | null;
  occurredAt: Date;
  recommId: string | null;
}

// Clocks drift; an event stamped a little ahead is fine, one a day ahead is a client bug.
const MAX_FUTURE_MS = 24 * 3600 * 1000;

export function validateEvent(input: EventInput, now = Date.now()): EventRow {
  const type = input.type as EventTypeName;
  if (!EVENT_TYPES.includes(type)) throw new InvalidInputError(`type must be one of ${EVENT_TYPES.join(', ')}`, { field: 'type' });
  const itemId = input.itemId === null || input.itemId === undefined ? null : checkId(input.itemId, 'itemId');
  if (!itemId && type !== 'SEARCH') throw new InvalidInputError(`itemId is required for ${type} events`, { field: 'itemId' });
  const query = checkText(input.query, 'query', LIMITS.queryLength);
  if (type === 'SEARCH' && !query?.trim()) throw new InvalidInputError('query is required for SEARCH events', { field: 'query' });
  let occurredAt = new Date(now);
  if (input.occurredAt !== null && input.occurredAt !== undefined) {
    occurredAt = input.occurredAt instanceof Date ? input.occurredAt : new Date(input.occurredAt);
    if (Number.isNaN(occurredAt.getTime())) throw new InvalidInputError('occurredAt is not a valid date', { field: 'occurredAt' });
    if (occurredAt.getTime() > now + MAX_FUTURE_MS) throw new InvalidInputError('occurredAt is more than a day in the future', { field: 'occurredAt' });
  }
  return {
    eventId: input.eventId === null || input.eventId === undefined ? randomUUID() : checkId(input.eventId, 'eventId'),
    userId: checkId(input.userId, 'userId'),
    itemId,
    type,
    value: checkNumber(input.value, 'value', { min: -1e9, max: 1e9 }),
    query,
    context: checkJsonObject(input.context, 'context', LIMITS.contextBytes),
    occurredAt,
    recommId: input.recommId === null || input.recommId === undefined ? null : checkId(input.recommId, 'recommId'),
  };
}
