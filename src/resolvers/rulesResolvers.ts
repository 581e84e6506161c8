// Merchandising rules: admin keys only. setRules replaces the whole set (validated first, stored atomically).
import { requireRole } from '../domain/auth/apiKeyAuth';
import { checkBatch } from '../domain/inputLimits';
import type { RuleInput } from '../domain/rules/rule';
import type { GraphQLContext } from './context';

export const rulesQueryResolvers = {
  rules: (_: unknown, __: unknown, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'admin');
    return ctx.services.rules.list();
  },
};

export const rulesMutationResolvers = {
  setRules: (_: unknown, args: { rules: RuleInput[] }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'admin');
    // An empty list is allowed: it clears every rule.
    if (args.rules.length) checkBatch(args.rules, 'rules');
    return ctx.services.rules.replace(args.rules);
  },
};
