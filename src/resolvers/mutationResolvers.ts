// Mutation resolvers: authorise, then hand the input to a service (which validates it fully).
import { requireRole } from '../domain/auth/apiKeyAuth';
import type { ItemInput } from '../domain/items/itemService';
import type { EventInput } from '../domain/events/eventValidation';
import type { GraphQLContext } from './context';

export const mutationResolvers = {
  upsertItems: (_: unknown, args: { items: ItemInput[] }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'admin');
    return ctx.services.items.upsert(args.items);
  },

  trackEvent: (_: unknown, args: { input: EventInput }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'client');
    return ctx.services.events.track(args.input, ctx.clientIp);
  },

  trackEvents: (_: unknown, args: { inputs: EventInput[] }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'client');
    return ctx.services.events.trackBatch(args.inputs, ctx.clientIp);
  },

  deleteUser: (_: unknown, args: { id: string }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'admin');
    return ctx.services.users.delete(ctx.services.userIds.check(args.id, 'id'));
  },
};
