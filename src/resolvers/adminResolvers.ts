// Admin resolvers for training and the model registry: authorise (admin keys only), validate, call a service.
import { requireRole } from '../domain/auth/apiKeyAuth';
import { checkId, checkJsonObject, checkLimit, LIMITS } from '../domain/inputLimits';
import { InvalidInputError } from '../errors';
import type { ModelVersionRecord } from '../domain/models/modelVersionStore';
import { noteOf } from '../domain/models/versionAnnotations';
import type { TrainingJobView } from '../domain/training/trainingJobs';
import type { GraphQLContext } from './context';

function checkModels(models: string[] | null | undefined): string[] | null {
  if (!models) return null;
  if (models.length > 20) throw new InvalidInputError('models holds more than 20 names', { field: 'models' });
  return models.map((m, j) => checkId(m, `models[${j}]`));
}

export const adminQueryResolvers = {
  modelVersions: (_: unknown, args: { limit?: number }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'admin');
    return ctx.services.registry.list(checkLimit(args.limit, 'limit', 20));
  },

  activeModel: (_: unknown, __: unknown, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'admin');
    return ctx.services.registry.active();
  },

  trainingJob: (_: unknown, args: { id: string }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'admin');
    return ctx.services.trainingJobs.get(checkId(args.id, 'id'));
  },
};

export const adminMutationResolvers = {
  retrain: (_: unknown, args: { models?: string[] | null; full?: boolean | null }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'admin');
    return ctx.services.trainingJobs.enqueue(checkModels(args.models), args.full);
  },

  promoteModel: (_: unknown, args: { version: string }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'admin');
    return ctx.services.registry.promote(checkId(args.version, 'version'));
  },

  rollbackModel: (_: unknown, __: unknown, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'admin');
    return ctx.services.registry.rollback();
  },

  setFusion: (_: unknown, args: { strategy: string; weights?: unknown }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'admin');
    return ctx.services.registry.setFusion(args.strategy, checkJsonObject(args.weights, 'weights', LIMITS.contextBytes));
  },
};

export const adminSubscriptionResolvers = {
  trainingProgress: {
    subscribe: async (_: unknown, args: { jobId: string }, ctx: GraphQLContext) => {
      requireRole(ctx.principal, 'admin');
      const updates = await ctx.services.trainingJobs.follow(checkId(args.jobId, 'jobId'));
      const iterator: AsyncIterableIterator<{ trainingProgress: TrainingJobView }> = {
        next: async () => {
          const r = await updates.next();
          return r.done ? { value: undefined, done: true } : { value: { trainingProgress: r.value }, done: false };
        },
        return: async () => {
          await updates.return?.();
          return { value: undefined, done: true };
        },
        [Symbol.asyncIterator]: () => iterator,
      };
      return iterator;
    },
  },
};

export const adminTypeResolvers = {
  ModelVersion: {
    id: (v: ModelVersionRecord) => String(v.id),
    note: (v: ModelVersionRecord) => noteOf(v.metrics),
    components: (v: ModelVersionRecord, _: unknown, ctx: GraphQLContext) => ctx.services.registry.components(v),
  },
};
