// Subscription resolvers. recommendationsUpdated listens on the user's Redis topic (the head topic for a short
// list), so a push caused on any server or worker reaches subscribers on every server; it ends when the user is deleted.
import { requireRole } from '../domain/auth/apiKeyAuth';
import { checkLimit } from '../domain/inputLimits';
import { PUSH_HEAD_DEPTH, type RecommendationsChanged } from '../pubsub/topics';
import type { ServedList } from '../domain/recommendations/recommendationService';
import type { GraphQLContext } from './context';

function toList(p: RecommendationsChanged, limit: number): ServedList {
  return {
    recommId: p.recommId,
    userId: p.userId,
    modelVersion: p.modelVersion,
    generatedAt: new Date(p.generatedAt),
    items: p.items.slice(0, limit),
  };
}

export const subscriptionResolvers = {
  recommendationsUpdated: {
    subscribe: async (_: unknown, args: { userId: string; limit?: number }, ctx: GraphQLContext) => {
      requireRole(ctx.principal, 'client');
      const userId = ctx.services.userIds.check(args.userId, 'userId');
      const limit = checkLimit(args.limit);
      // Lists reflect events up to eventSeq; one older than the last delivered is stale, so it is dropped.
      let lastSeq = -1n;
      // A short list comes from the head topic, so the online updater need not rank and send a deep one for it.
      const topic = limit <= PUSH_HEAD_DEPTH ? 'recs-head' : 'recs';
      const iterator = await ctx.services.pubsub.iterate(topic, userId, (p) => {
        const seq = BigInt(p.eventSeq);
        if (seq < lastSeq) return undefined;
        lastSeq = seq;
        return { recommendationsUpdated: toList(p, limit) };
      });
      const stopOnDelete = await ctx.services.pubsub.on('user:deleted', () => void iterator.return?.(), userId);
      const end = iterator.return?.bind(iterator);
      iterator.return = async (value?: unknown) => {
        await stopOnDelete();
        return end ? end(value) : { value: undefined, done: true };
      };
      return iterator;
    },
  },
};
