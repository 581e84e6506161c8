// The paged `recommendations` field (offset, recommId): authorise, validate, call RecommendationService.
// Merged after queryResolvers in index.ts, so it is the resolver the schema uses for that field.
import { requireRole } from '../domain/auth/apiKeyAuth';
import { checkId, checkJsonObject, checkLimit, LIMITS } from '../domain/inputLimits';
import type { ItemFilter } from '../domain/recommendations/catalogIndex';
import { validateFilter } from './filterInput';
import { checkOffset } from './pagingInput';
import type { GraphQLContext } from './context';

export const recommendationQueryResolvers = {
  recommendations: (
    _: unknown,
    args: { userId: string; limit?: number; offset?: number | null; filter?: ItemFilter | null; context?: unknown; recommId?: string | null },
    ctx: GraphQLContext,
  ) => {
    requireRole(ctx.principal, 'client');
    const limit = checkLimit(args.limit);
    return ctx.services.recommendations.recommend(
      ctx.services.userIds.check(args.userId, 'userId'),
      limit,
      validateFilter(args.filter),
      checkJsonObject(args.context, 'context', LIMITS.contextBytes),
      { offset: checkOffset(args.offset, limit), recommId: args.recommId ? checkId(args.recommId, 'recommId') : null },
    );
  },
};
