// A minimal Node http adapter for Apollo Server 5 (which ships no framework integration of its own):
// read the body with a size limit, authenticate, hand the request to Apollo with the key's tenant's Services,
// stream its answer back.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { GraphQLContext } from '../resolvers/context';
import type { TenantDirectory } from '../app/tenantDirectory';
import { RateLimitedError, UnauthenticatedError } from '../errors';

const MAX_BODY_BYTES = 2 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function graphqlHttpHandler(apollo: ApolloServer<GraphQLContext>, tenants: TenantDirectory) {
  const services = tenants.control;
  return async (req: IncomingMessage, res: ServerResponse, search: string): Promise<void> => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown = undefined;
    if (req.method === 'POST') {
      let raw: string;
      try {
        raw = await readBody(req);
      } catch (err) {
        res.writeHead((err as { status?: number }).status ?? 400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: (err as Error).message, extensions: { code: 'BAD_USER_INPUT' } }] }));
        return;
      }
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: 'request body is not valid JSON', extensions: { code: 'BAD_USER_INPUT' } }] }));
        return;
      }
    }
    const requestId = (req.headers['x-request-id'] as string | undefined)?.slice(0, 100) || randomUUID();
    const principal = await services.auth.authenticate(req.headers.authorization);
    const forwarded = req.headers['x-forwarded-for'];
    const clientIp = (typeof forwarded === 'string' ? forwarded.split(',')[0].trim() : '') || req.socket.remoteAddress || null;
    // Unauthenticated callers share one budget per address, so a flood of bad keys is throttled too.
    const budget = await services.rateLimiter.take(principal?.keyId ?? `ip:${req.socket.remoteAddress ?? 'unknown'}`);
    if (!budget.allowed) {
      const error = new RateLimitedError(budget.retryAfterMs);
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(Math.ceil(budget.retryAfterMs / 1000)), 'x-request-id': requestId });
      res.end(JSON.stringify({ errors: [{ message: error.message, extensions: { code: error.code, ...error.details } }] }));
      return;
    }
    // No key: the control Services answer, and every field refuses the anonymous caller (roleChecks.test.ts).
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search, body },
      context: async () => {
        if (!principal) return { principal, services, requestId, clientIp };
        try {
          return { principal, services: await tenants.forTenant(principal.tenantId), requestId, clientIp };
        } catch (err) {
          // A tenant disabled a moment ago (between the key check and here) is treated as no key at all.
          if (err instanceof UnauthenticatedError) return { principal: null, services, requestId, clientIp };
          throw err;
        }
      },
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.setHeader('x-request-id', requestId);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
