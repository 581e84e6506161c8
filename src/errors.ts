// Public error codes (the API contract) and the domain errors behind them; formatError maps any thrown
// error to a GraphQL error whose extensions.code is one of ErrorCode, hiding internals.
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';

export enum ErrorCode {
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  RATE_LIMITED = 'RATE_LIMITED',
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

/** Base of every error the domain throws on purpose; the code decides what the client sees. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInputError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorCode.BAD_USER_INPUT, message, details);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'A valid API key is required: send "Authorization: Bearer <key>"') {
    super(ErrorCode.UNAUTHENTICATED, message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'This operation needs an admin key') {
    super(ErrorCode.FORBIDDEN, message);
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, id: string) {
    super(ErrorCode.NOT_FOUND, `${what} "${id}" does not exist`, { id });
  }
}

export class RateLimitedError extends DomainError {
  constructor(retryAfterMs: number) {
    super(ErrorCode.RATE_LIMITED, `Too many requests for this API key; retry in ${Math.ceil(retryAfterMs / 1000)} s`, { retryAfterMs });
  }
}

export class UnavailableError extends DomainError {
  constructor(message: string) {
    super(ErrorCode.SERVICE_UNAVAILABLE, message);
  }
}

// Postgres: connection exceptions (08…), a statement cancelled by statement_timeout (57014) and shutdown/cancel of a
// backend (57P01–57P03); Node socket errors.
const TRANSIENT_CODES = /^(08\d{3}|57014|57P0[123]|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT)$/;
const TRANSIENT_MESSAGES = /Connection terminated|terminating connection|Stream isn't writeable|Connection is closed|Command timed out|timeout exceeded when trying to connect/i;

/** True for failures of a dependency's connection rather than of the request: walks the error's causes. */
function isTransient(err: unknown): boolean {
  type Link = { code?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } } | undefined;
  for (let e = err as Link, depth = 0; e && depth < 5; e = (e.cause ?? e.meta?.driverAdapterError) as Link, depth++) {
    if (typeof e.code === 'string' && TRANSIENT_CODES.test(e.code)) return true;
    if (typeof e.message === 'string' && TRANSIENT_MESSAGES.test(e.message)) return true;
  }
  return false;
}

/** Graphql-js and Apollo codes that already describe client mistakes, kept as they are. */
const CLIENT_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'OPERATION_RESOLUTION_FAILURE']);

/**
 * Apollo's formatError hook. Domain errors keep their message and code; client-side query errors keep
 * theirs (validation failures become BAD_USER_INPUT so clients need one code for "your input is wrong");
 * anything else is an internal error whose message is not leaked.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown, log?: (err: unknown) => void): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof DomainError) {
    return {
      message: original.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: original.code, ...(original.details ?? {}) },
    };
  }
  const code = String(formatted.extensions?.code ?? '');
  if (CLIENT_CODES.has(code)) {
    return { ...formatted, extensions: { ...formatted.extensions, code: ErrorCode.BAD_USER_INPUT, reason: code, stacktrace: undefined } };
  }
  if (original instanceof GraphQLError && !original.originalError) {
    // Variable coercion and scalar parsing errors arrive as bare GraphQLErrors: the client's fault.
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code: ErrorCode.BAD_USER_INPUT } };
  }
  log?.(original);
  if (isTransient(original)) {
    // A dropped database connection or Redis away: the request may simply be retried, so say so.
    return { message: 'Service temporarily unavailable; retry shortly', locations: formatted.locations, path: formatted.path, extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, retryAfterSeconds: 1 } };
  }
  return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
}
