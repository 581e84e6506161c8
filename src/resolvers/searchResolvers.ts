// Search and query suggestions: authorise, validate, call SearchService / SuggestService. SearchResult needs no
// field resolvers: its items carry the items the search read, which ScoredItem.item returns as they are.
import { requireRole } from '../domain/auth/apiKeyAuth';
import { checkJsonObject, checkLimit, checkText, LIMITS } from '../domain/inputLimits';
import type { ItemFilter } from '../domain/recommendations/catalogIndex';
import { InvalidInputError } from '../errors';
import { validateFilter } from './filterInput';
import { checkOffset } from './pagingInput';
import type { GraphQLContext } from './context';

const MAX_SUGGESTIONS = 50;

function checkQuery(value: unknown, field: string): string {
  const text = checkText(value, field, LIMITS.queryLength) ?? '';
  if (!/[\p{L}\p{N}]/u.test(text)) throw new InvalidInputError(`${field} must contain at least one letter or digit`, { field });
  return text;
}

export const searchQueryResolvers = {
  search: (
    _: unknown,
    args: { query: string; userId?: string | null; limit?: number; offset?: number | null; filter?: ItemFilter | null; context?: unknown },
    ctx: GraphQLContext,
  ) => {
    requireRole(ctx.principal, 'client');
    const limit = checkLimit(args.limit, 'limit', 20);
    return ctx.services.search.search({
      query: checkQuery(args.query, 'query'),
      userId: args.userId ? ctx.services.userIds.check(args.userId, 'userId') : null,
      limit,
      offset: checkOffset(args.offset, limit),
      filter: validateFilter(args.filter),
      context: checkJsonObject(args.context, 'context', LIMITS.contextBytes),
      clientIp: ctx.clientIp,
    });
  },

  suggest: (_: unknown, args: { prefix: string; userId?: string | null; limit?: number }, ctx: GraphQLContext) => {
    requireRole(ctx.principal, 'client');
    const limit = args.limit ?? 8;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SUGGESTIONS) {
      throw new InvalidInputError(`limit must be an integer between 1 and ${MAX_SUGGESTIONS}`, { field: 'limit' });
    }
    return ctx.services.suggest.suggest(checkQuery(args.prefix, 'prefix'), args.userId ? ctx.services.userIds.check(args.userId, 'userId') : null, limit);
  },
};
