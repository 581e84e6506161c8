// Field resolvers of object types: items behind scored entries, and a user's events and counts.
import { requireRole } from '../domain/auth/apiKeyAuth';
import { checkLimit } from '../domain/inputLimits';
import type { ServedItem, ServedList } from '../domain/recommendations/recommendationService';
import type { UserRecord } from '../domain/users/userService';
import type { GraphQLContext } from './context';

export const typeResolvers = {
  RecommendationList: {
    // Items are resolved in one batch per list; ids whose item was deleted meanwhile are dropped.
    items: async (list: ServedList, _: unknown, ctx: GraphQLContext) => {
      const found = await ctx.services.items.getMany(list.items.map((i) => i.id));
      return list.items.filter((i) => found.has(i.id)).map((i) => ({ ...i, item: found.get(i.id) }));
    },
  },
  ScoredItem: {
    item: (scored: ServedItem & { item?: unknown }, _: unknown, ctx: GraphQLContext) => scored.item ?? ctx.services.items.cachedOrGet(scored.id),
  },
  User: {
    eventCount: (user: UserRecord, _: unknown, ctx: GraphQLContext) => ctx.services.users.eventCount(user.id),
    events: (user: UserRecord, args: { limit?: number }, ctx: GraphQLContext) => {
      // Raw behaviour is personal data: only admins read it.
      requireRole(ctx.principal, 'admin');
      return ctx.services.users.recentEvents(user.id, checkLimit(args.limit, 'limit', 50));
    },
  },
};
