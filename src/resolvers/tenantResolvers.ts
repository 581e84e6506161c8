// Tenant administration (admin keys of the default tenant only): list, create, disable and enable tenants.
import { requireOperator } from '../domain/auth/apiKeyAuth';
import type { GraphQLContext } from './context';

export const tenantQueries = {
  tenants: (_: unknown, __: unknown, ctx: GraphQLContext) => {
    requireOperator(ctx.principal);
    return ctx.services.tenants.list();
  },
};

export const tenantMutations = {
  createTenant: (_: unknown, args: { id: string }, ctx: GraphQLContext) => {
    requireOperator(ctx.principal);
    return ctx.services.tenants.create(args.id);
  },
  disableTenant: (_: unknown, args: { id: string }, ctx: GraphQLContext) => {
    requireOperator(ctx.principal);
    return ctx.services.tenants.setDisabled(args.id, true);
  },
  enableTenant: (_: unknown, args: { id: string }, ctx: GraphQLContext) => {
    requireOperator(ctx.principal);
    return ctx.services.tenants.setDisabled(args.id, false);
  },
};
