import { validateEvent } from '../../src/domain/events/eventValidation';
import { InvalidInputError } from '../../src/errors';

describe('validateEvent', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');

  it('normalises a minimal event', () => {
    const row = validateEvent({ userId: 'u1', itemId: 'i1', type: 'VIEW' }, now);
    expect(row).toMatchObject({ userId: 'u1', itemId: 'i1', type: 'VIEW', value: null, context: null });
    expect(row.occurredAt.getTime()).toBe(now);
    expect(row.eventId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    [{ userId: '', itemId: 'i', type: 'VIEW' }, 'userId'],
    [{ userId: 'u\u0007', itemId: 'i', type: 'VIEW' }, 'userId'],
    [{ userId: 'u', type: 'VIEW' }, 'itemId'],
    [{ userId: 'u', itemId: 'i', type: 'TELEPORT' }, 'type'],
    [{ userId: 'u', type: 'SEARCH' }, 'query'],
    [{ userId: 'u', itemId: 'i', type: 'RATING', value: Number.NaN }, 'value'],
    [{ userId: 'u', itemId: 'i', type: 'RATING', value: Infinity }, 'value'],
    [{ userId: 'u', itemId: 'i', type: 'VIEW', context: [1, 2] }, 'context'],
    [{ userId: 'u', itemId: 'i', type: 'VIEW', occurredAt: 'yesterday-ish' }, 'occurredAt'],
    [{ userId: 'u', itemId: 'i', type: 'VIEW', occurredAt: '2030-01-01T00:00:00Z' }, 'occurredAt'],
    [{ userId: 'u'.repeat(300), itemId: 'i', type: 'VIEW' }, 'userId'],
  ])('rejects %j naming %s', (input, field) => {
    try {
      validateEvent(input, now);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).message).toContain(field);
    }
  });
});
