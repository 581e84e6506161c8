// An experiment's outcome per arm: lists served, shoppers, click-through and conversion with 95% intervals,
// and a two-proportion z-test of arm B against arm A for each rate.
import type { Db } from '../../db/prismaClient';
import { attributedImpressions } from '../metrics/impressionAttribution';
import { estimateProportion, twoProportionTest, type ProportionEstimate, type SignificanceTest } from './proportionStats';
import type { ExperimentRecord } from './experimentStore';

export interface ArmResult {
  arm: 'A' | 'B';
  users: number;
  impressions: number;
  ctr: ProportionEstimate;
  conversion: ProportionEstimate;
}

export interface ExperimentResults {
  arms: ArmResult[];
  ctrTest: SignificanceTest | null;
  conversionTest: SignificanceTest | null;
}

export async function experimentResults(db: Db, experiment: ExperimentRecord): Promise<ExperimentResults> {
  const groups = await attributedImpressions(db, { since: experiment.createdAt, experimentId: experiment.id });
  const arms = (['A', 'B'] as const).map((arm): ArmResult => {
    const mine = groups.filter((g) => g.arm === arm);
    const impressions = mine.reduce((s, g) => s + g.impressions, 0);
    // A shopper stays in one arm, so per-group distinct users add up without double counting within an arm.
    const users = mine.reduce((s, g) => s + g.users, 0);
    const clicked = mine.reduce((s, g) => s + g.clicked, 0);
    const converted = mine.reduce((s, g) => s + g.converted, 0);
    return { arm, users, impressions, ctr: estimateProportion(clicked, impressions), conversion: estimateProportion(converted, impressions) };
  });
  const [a, b] = arms;
  return {
    arms,
    ctrTest: twoProportionTest(a.ctr, b.ctr),
    conversionTest: twoProportionTest(a.conversion, b.conversion),
  };
}
