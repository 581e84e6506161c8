// Bundles: frequently bought together and complete-the-cart. Authorise, validate, call BundleService.
import { requireRole } from '../domain/auth/apiKeyAuth';
import { checkId, checkLimit } from '../domain/inputLimits';
import type { GraphQLContext } from './context';

export const bundleQueryResolvers = {
  frequentlyBoughtTogether: (_: unknown, args: { itemId: string; limit?: number }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'client');
    return ctx.services.bundles.frequentlyBoughtTogether(checkId(args.itemId, 'itemId'), checkLimit(args.limit, 'limit', 5));
  },

  completeTheCart: (_: unknown, args: { userId: string; limit?: number }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'client');
    return ctx.services.bundles.completeTheCart(ctx.services.userIds.check(args.userId, 'userId'), checkLimit(args.limit, 'limit', 5));
  },
};
