// Gives every HTTP request an id (the caller's x-request-id when it is sane, else a fresh UUID), echoes it in
// the response, and when the response is done writes one structured log line and one latency observation.
// GraphQL handling reads the same id from the request header, so its logs and errors carry it too.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger';
import type { Telemetry } from './telemetry';

const SANE_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** Routes as labelled in metrics and logs: a fixed set, so a scanner's random paths cannot explode label counts. */
export function routeOf(pathname: string): string {
  if (pathname === '/graphql') return 'graphql';
  if (pathname === '/metrics') return 'metrics';
  if (pathname === '/healthz' || pathname === '/readyz') return pathname.slice(1);
  if (pathname === '/dashboard' || pathname.startsWith('/dashboard/')) return 'dashboard';
  return 'other';
}

// Probes and scrapes arrive every few seconds from machines; they are logged only at debug level.
const QUIET_ROUTES = new Set(['metrics', 'healthz', 'readyz', 'dashboard']);

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, log: Logger) => void;

export function withRequestLogging(log: Logger, telemetry: Telemetry, handler: Handler) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const given = req.headers['x-request-id'];
    const reqId = typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
    req.headers['x-request-id'] = reqId;
    res.setHeader('x-request-id', reqId);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = routeOf(url.pathname);
    const reqLog = log.child({ reqId });
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // A client that hung up before the answer is recorded with status 499, as nginx does.
      const status = res.writableFinished ? res.statusCode : 499;
      telemetry.httpRequest(req.method ?? 'GET', route, status, seconds);
      const line = { method: req.method, path: url.pathname, route, status, ms: Math.round(seconds * 10000) / 10 };
      if (status >= 500) reqLog.warn(line, 'request failed');
      else if (QUIET_ROUTES.has(route)) reqLog.debug(line, 'request');
      else reqLog.info(line, 'request');
    };
    res.once('finish', done);
    res.once('close', done);
    handler(req, res, url, reqLog);
  };
}
