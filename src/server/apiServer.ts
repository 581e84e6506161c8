// The API process's network face: one Node http server carrying GraphQL over HTTP (Apollo) and over
// WebSocket (graphql-ws) on the same port and path, plus health endpoints, Prometheus /metrics and the
// /dashboard page; and its orderly shutdown. Each request is served by the Services of its key's tenant.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { WebSocketServer } from 'ws';
import { specifiedRules, validate, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { buildSchema } from '../resolvers';
import { formatError, RateLimitedError } from '../errors';
import type { TenantDirectory } from '../app/tenantDirectory';
import type { GraphQLContext } from '../resolvers/context';
import { graphqlHttpHandler } from './graphqlHttpHandler';
import { queryLimitsRule } from './queryLimits';
import { withRequestLogging } from '../observability/requestLogging';
import { graphqlTelemetryPlugin } from '../observability/graphqlTelemetryPlugin';
import { readiness } from '../observability/readiness';
import { DASHBOARD_PATH, serveDashboard } from '../observability/dashboardAssets';

export const GRAPHQL_PATH = '/graphql';

export interface ApiServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startApiServer(tenants: TenantDirectory, port = tenants.control.config.port, host = tenants.control.config.host): Promise<ApiServer> {
  // The control (default tenant's) Services: authentication, rate limits, process metrics, health.
  const services = tenants.control;
  const { config, log } = services;
  const schema = buildSchema();
  const httpServer = http.createServer();
  const wss = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH });
  const production = config.nodeEnv === 'production';
  const logError = (err: unknown) => log.error({ err }, 'unexpected error in a resolver');

  const wsServer = useServer<Record<string, unknown>, { principal?: GraphQLContext['principal'] }>(
    {
      schema,
      // Clients authenticate once per connection: connectionParams { Authorization: "Bearer <key>" }.
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const header = (params.Authorization ?? params.authorization ?? params.apiKey) as string | undefined;
        const principal = await services.auth.authenticate(header);
        if (!principal) return false; // graphql-ws closes with 4403 Forbidden
        ctx.extra.principal = principal;
        return true;
      },
      // onConnect admitted only authenticated callers, so every operation runs on its key's tenant.
      context: async (ctx): Promise<GraphQLContext> => {
        const principal = ctx.extra.principal ?? null;
        return { principal, services: principal ? await tenants.forTenant(principal.tenantId) : services, requestId: randomUUID() };
      },
      validate: (s, doc) => validate(s, doc, [...specifiedRules, queryLimitsRule]),
      onSubscribe: async (ctx) => {
        const budget = await services.rateLimiter.take(ctx.extra.principal?.keyId ?? 'ws:anonymous');
        if (budget.allowed) return undefined;
        const e = new RateLimitedError(budget.retryAfterMs);
        return [new GraphQLError(e.message, { extensions: { code: e.code, ...e.details } })];
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON(), e, logError)),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e, logError)) } : undefined,
    },
    wss,
  );

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: !production,
    validationRules: [queryLimitsRule],
    // runProcess owns signal handling and drains in order; Apollo's own handler would exit early.
    stopOnTerminationSignals: false,
    // Unexpected errors are logged by the telemetry plugin, with the request id.
    formatError: (formatted, error) => formatError(formatted, error),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      graphqlTelemetryPlugin(services.telemetry, log),
      { serverWillStart: async () => ({ drainServer: async () => void (await wsServer.dispose()) }) },
      // Lists are personal and never HTTP-cacheable; the default cache-control plugin would hook every field resolved.
      ApolloServerPluginCacheControlDisabled(),
      ...(production ? [ApolloServerPluginLandingPageDisabled()] : []),
    ],
  });
  await apollo.start();
  const handleGraphQL = graphqlHttpHandler(apollo, tenants);

  // Every request gets an id, a log line and a latency observation (src/observability/requestLogging.ts).
  const handleRequest = withRequestLogging(log, services.telemetry, (req, res, url, reqLog) => {
    const done = (err: unknown) => {
      reqLog.error({ err }, 'request failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    };
    if (url.pathname === GRAPHQL_PATH) {
      handleGraphQL(req, res, url.search).catch(done);
    } else if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else if (url.pathname === '/metrics') {
      services.telemetry.prometheus.exposition().then(
        (text) => res.writeHead(200, { 'content-type': services.telemetry.prometheus.contentType }).end(text),
        done,
      );
    } else if (url.pathname === DASHBOARD_PATH || url.pathname.startsWith(`${DASHBOARD_PATH}/`)) {
      serveDashboard(req, res, url.pathname).catch(done);
    } else if (url.pathname === '/readyz') {
      readiness(services).then(
        (checks) => {
          const ok = Object.values(checks).every(Boolean);
          res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(checks));
        },
        done,
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  httpServer.on('request', handleRequest);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => resolve());
  });
  const actualPort = (httpServer.address() as { port: number }).port;
  const url = `http://${host === '0.0.0.0' ? 'localhost' : host}:${actualPort}${GRAPHQL_PATH}`;
  log.info({ url }, 'API listening');
  return {
    url,
    port: actualPort,
    // Stops accepting, lets in-flight requests finish, closes WebSockets with 1001 Going Away.
    stop: () => apollo.stop(),
  };
}
