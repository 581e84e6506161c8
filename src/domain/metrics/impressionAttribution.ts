// Online quality measured from what was actually served: every list served is an impression (one Bernoulli
// trial), and behaviour events carrying its recommId on one of its items are attributed to it. One query,
// grouped by model version, fusion strategy and experiment arm, feeds both the quality panel and A/B results.
import type { Db } from '../../db/prismaClient';

/** Events received this long after a list was served still count for it. */
export const ATTRIBUTION_WINDOW = '1 day';

export interface AttributedGroup {
  modelVersion: string;
  /** Kind of the served version (fusion, itemknn, …), or null when the version row is gone. */
  kind: string | null;
  /** Fusion strategy of the served version (weighted, rrf, best_component); null for single models. */
  strategy: string | null;
  experimentId: string | null;
  arm: string | null;
  impressions: number;
  users: number;
  /** Lists on which the shopper acted on a listed item (clicked, viewed, carted, bookmarked, rated or bought it). */
  clicked: number;
  /** Lists from which a listed item was bought. */
  converted: number;
}

/**
 * Impressions served since `since` (and, given an experiment id, only that experiment's), with their outcomes.
 * Flagged (suspicious) events never count, and neither does an event naming an item the list did not hold:
 * a recommId pasted onto an unrelated purchase is not a conversion of the list. The lower time bound allows for
 * impressions being written in batches up to a few seconds after the list was served. Lists an operator looked at
 * on the dashboard (context.source = "dashboard") were never shown to the shopper and are left out.
 */
export async function attributedImpressions(db: Db, filter: { since: Date; experimentId?: string | null }): Promise<AttributedGroup[]> {
  const rows = await db.$queryRawUnsafe<AttributedGroup[]>(
    `SELECT i.model_version AS "modelVersion",
            mv.kind AS kind,
            CASE WHEN mv.kind = 'fusion' THEN coalesce(mv.params->>'strategy', 'weighted') END AS strategy,
            i.experiment_id AS "experimentId",
            i.arm AS arm,
            count(*)::int AS impressions,
            count(DISTINCT i.user_id)::int AS users,
            (count(*) FILTER (WHERE a.clicked))::int AS clicked,
            (count(*) FILTER (WHERE a.converted))::int AS converted
       FROM impressions i
       LEFT JOIN model_versions mv ON mv.id = substring(i.model_version from '^v([0-9]{1,9})\\M')::int
       LEFT JOIN LATERAL (
         SELECT bool_or(e.type NOT IN ('REMOVE_FROM_CART', 'SEARCH')) AS clicked,
                bool_or(e.type = 'PURCHASE') AS converted
           FROM events e
          WHERE e.recomm_id = i.recomm_id
            AND NOT e.flagged
            AND e.item_id = ANY(i.item_ids)
            AND e.received_at >= i.created_at - interval '5 minutes'
            AND e.received_at < i.created_at + interval '${ATTRIBUTION_WINDOW}'
       ) a ON true
      WHERE i.created_at >= $1
        AND i.model_version <> 'none'
        AND i.context->>'source' IS DISTINCT FROM 'dashboard'
        AND ($2::text IS NULL OR i.experiment_id = $2::text)
      GROUP BY 1, 2, 3, 4, 5`,
    filter.since,
    filter.experimentId ?? null,
  );
  return rows.map((r) => ({ ...r, impressions: Number(r.impressions), users: Number(r.users), clicked: Number(r.clicked), converted: Number(r.converted) }));
}
