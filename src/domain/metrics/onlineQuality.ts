// Click-through and conversion of served lists over a time window, per model version and per fusion
// strategy, from the attributed impressions. Rates are per list served: lists clicked / lists served.
import type { Db } from '../../db/prismaClient';
import { attributedImpressions, type AttributedGroup } from './impressionAttribution';

export interface QualityRow {
  /** What the row groups by: a model version label, a strategy name, or "all". */
  key: string;
  impressions: number;
  clicks: number;
  conversions: number;
  ctr: number;
  conversionRate: number;
}

export interface OnlineQuality {
  windowSeconds: number;
  totals: QualityRow;
  byModelVersion: QualityRow[];
  byStrategy: QualityRow[];
}

export async function measureOnlineQuality(db: Db, windowSeconds: number, now = Date.now()): Promise<OnlineQuality> {
  const groups = await attributedImpressions(db, { since: new Date(now - windowSeconds * 1000) });
  return summariseQuality(groups, windowSeconds);
}

/** Strategy a served version used: its fusion strategy, or "single <kind>" for a model served alone. */
export function strategyKey(g: Pick<AttributedGroup, 'kind' | 'strategy'>): string {
  if (g.strategy) return g.strategy;
  return g.kind ? `single ${g.kind}` : 'unknown';
}

export function summariseQuality(groups: AttributedGroup[], windowSeconds: number): OnlineQuality {
  const byVersion = rollUp(groups, (g) => g.modelVersion);
  // Newest version first: labels start with "v<id>".
  byVersion.sort((a, b) => versionNumber(b.key) - versionNumber(a.key));
  const byStrategy = rollUp(groups, strategyKey).sort((a, b) => b.impressions - a.impressions);
  return { windowSeconds, totals: rollUp(groups, () => 'all')[0] ?? row('all', 0, 0, 0), byModelVersion: byVersion, byStrategy };
}

function rollUp(groups: AttributedGroup[], keyOf: (g: AttributedGroup) => string): QualityRow[] {
  const sums = new Map<string, { impressions: number; clicks: number; conversions: number }>();
  for (const g of groups) {
    const key = keyOf(g);
    const s = sums.get(key) ?? { impressions: 0, clicks: 0, conversions: 0 };
    s.impressions += g.impressions;
    s.clicks += g.clicked;
    s.conversions += g.converted;
    sums.set(key, s);
  }
  return [...sums].map(([key, s]) => row(key, s.impressions, s.clicks, s.conversions));
}

function row(key: string, impressions: number, clicks: number, conversions: number): QualityRow {
  return {
    key,
    impressions,
    clicks,
    conversions,
    ctr: impressions ? clicks / impressions : 0,
    conversionRate: impressions ? conversions / impressions : 0,
  };
}

function versionNumber(label: string): number {
  const m = /^v(\d+)/.exec(label);
  return m ? Number(m[1]) : -1;
}
