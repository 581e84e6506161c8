// Query resolvers: authorise, validate arguments, call a service. No domain logic here.
import { requireRole } from '../domain/auth/apiKeyAuth';
import { checkId, checkLimit, checkText, LIMITS } from '../domain/inputLimits';
import type { GraphQLContext } from './context';

export const queryResolvers = {
  similarItems: (_: unknown, args: { itemId: string; limit?: number; userId?: string | null }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'client');
    const userId = args.userId ? ctx.services.userIds.check(args.userId, 'userId') : null;
    return ctx.services.recommendations.similar(checkId(args.itemId, 'itemId'), checkLimit(args.limit), userId);
  },

  trending: (_: unknown, args: { limit?: number; category?: string | null }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'client');
    return ctx.services.recommendations.trending(checkLimit(args.limit), checkText(args.category, 'category', LIMITS.titleLength));
  },

  item: (_: unknown, args: { id: string }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'client');
    return ctx.services.items.get(checkId(args.id, 'id'));
  },

  flaggedUsers: (_: unknown, args: { limit?: number }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'admin');
    return ctx.services.fraud.flaggedUsers(checkLimit(args.limit, 'limit', 50));
  },

  user: (_: unknown, args: { id: string }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'client');
    return ctx.services.users.get(ctx.services.userIds.check(args.id, 'id'));
  },
};
