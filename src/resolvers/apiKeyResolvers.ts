// API key administration (admin keys only): issue, list and revoke keys.
import { requireRole } from '../domain/auth/apiKeyAuth';
import { checkId } from '../domain/inputLimits';
import type { Role } from '../config';
import type { GraphQLContext } from './context';

export const apiKeyQueries = {
  apiKeys: (_: unknown, __: unknown, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'admin');
    return ctx.services.apiKeys.list();
  },
};

export const apiKeyMutations = {
  createApiKey: (_: unknown, args: { role: Role; name: string }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'admin');
    return ctx.services.apiKeys.create(args.role, args.name);
  },
  revokeApiKey: async (_: unknown, args: { id: string }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'admin');
    await ctx.services.apiKeys.revoke(checkId(args.id, 'id'));
    return true;
  },
};
