// How errors reach clients: domain errors keep their code, a dropped connection is a retryable
// SERVICE_UNAVAILABLE, and anything else is an INTERNAL_SERVER_ERROR whose message is not leaked.
import { formatError, NotFoundError } from '../../src/errors';

const formatted = { message: 'raw', path: ['recommendations'] };

describe('formatError', () => {
  it('keeps a domain error’s code and message', () => {
    expect(formatError(formatted, new NotFoundError('Item', 'x')).extensions?.code).toBe('NOT_FOUND');
  });

  it('maps a Postgres connection killed mid-query to SERVICE_UNAVAILABLE with a retry hint', () => {
    // The shape Prisma's pg adapter throws: the Postgres code sits on the driver error's cause.
    const driverError = Object.assign(new Error('driver'), { cause: { code: '57P01', message: 'admin shutdown' } });
    const prismaError = Object.assign(new Error('Raw query failed'), { code: 'P2010', meta: { driverAdapterError: driverError } });
    expect(formatError(formatted, prismaError)).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 } });
    expect(formatError(formatted, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).extensions?.code).toBe('SERVICE_UNAVAILABLE');
  });

  it('maps a timed-out statement, pool wait or Redis command to SERVICE_UNAVAILABLE', () => {
    const code = (err: Error) => formatError(formatted, err).extensions?.code;
    expect(code(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }))).toBe('SERVICE_UNAVAILABLE');
    expect(code(new Error('timeout exceeded when trying to connect'))).toBe('SERVICE_UNAVAILABLE');
    expect(code(new Error('Command timed out'))).toBe('SERVICE_UNAVAILABLE');
  });

  it('hides the message of an unexpected error', () => {
    expect(formatError(formatted, new TypeError('secret detail'))).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });
});
