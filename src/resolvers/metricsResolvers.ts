// Operations metrics over GraphQL: the metrics query, the liveMetrics subscription (one snapshot a second) and
// the recent retrain jobs the dashboard lists. Authorise, parse the window, call a service.
import { requireRole } from '../domain/auth/apiKeyAuth';
import { checkLimit } from '../domain/inputLimits';
import { parseWindow } from '../domain/metrics/metricsWindow';
import type { QueueDepth } from '../domain/metrics/queueStatus';
import { recentTrainingJobs } from '../domain/metrics/recentTrainingJobs';
import type { SystemMetrics } from '../domain/metrics/systemMetricsService';
import type { GraphQLContext } from './context';

export const metricsQueryResolvers = {
  metrics: (_: unknown, args: { window?: string | null }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'client');
    return ctx.services.systemMetrics.snapshot(parseWindow(args.window));
  },

  recentTrainingJobs: (_: unknown, args: { limit?: number }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'admin');
    return recentTrainingJobs(ctx.services.retrainProducer, checkLimit(args.limit, 'limit', 10));
  },
};

export const metricsSubscriptionResolvers = {
  liveMetrics: {
    subscribe: (_: unknown, args: { window?: string | null }, ctx: GraphQLContext) => {
      requireRole(ctx.principal, 'client');
      return ctx.services.liveMetrics.subscribe(parseWindow(args.window));
    },
    resolve: (snapshot: SystemMetrics) => snapshot,
  },
};

export const metricsTypeResolvers = {
  QueueDepth: {
    // Failure reasons can name internals (hosts, SQL); only admins read them.
    failedJobs: (queue: QueueDepth, args: { limit?: number }, ctx: GraphQLContext) => {
      requireRole(ctx.principal, 'admin');
      return queue.recentFailures.slice(0, checkLimit(args.limit, 'limit', 5));
    },
  },
};
