// `npx tsx src/bench/trainingStalls.ts [--evaluations 20] [--users 5000]`: how long a retrain's steps hold the event
// loop at a time, on the generated full shop (100,000 items, 1,000,000 events): a tuned item-kNN fit, then scoring
// held-out users as a retrain does. The worker that retrains also applies the online updates; each stall is time
// during which no event of any shopper is applied and no list is pushed.
import { parseArgs } from 'node:util';
import { SCALES, syntheticItems } from './syntheticShop';
import { shopInteractions } from './listMicro';
import { leaveLastOutSplit } from '../ml/evaluation/leaveLastOutSplit';
import { evaluateModel, fitOnSplit } from '../ml/evaluation/evaluateModel';
import { ItemKnnRecommender } from '../ml/models/itemKnn';

/** Runs `step` with a 5 ms ticker beside it and prints every gap between ticks over 100 ms (a stall). */
async function stallsOf<T>(label: string, step: () => Promise<T>): Promise<T> {
  const stalls: number[] = [];
  let last = Date.now();
  const tick = () => {
    const now = Date.now();
    if (now - last > 100) stalls.push(now - last);
    last = now;
  };
  const ticker = setInterval(tick, 5);
  const began = Date.now();
  const result = await step();
  tick();
  clearInterval(ticker);
  stalls.sort((a, b) => b - a);
  const median = stalls.length ? stalls[Math.floor(stalls.length / 2)] : 0;
  console.log(`${label}: ${((Date.now() - began) / 1000).toFixed(1)} s; ${stalls.length} event-loop stalls over 100 ms, longest ${stalls.slice(0, 5).join(', ') || '-'} ms, median ${median} ms`);
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { evaluations: { type: 'string', default: '20' }, users: { type: 'string', default: '5000' } } });
  const itemIds = [...syntheticItems(SCALES.full)].flat().map((r) => r.id);
  const split = leaveLastOutSplit(await shopInteractions(SCALES.full, itemIds));
  const fit = await stallsOf(`item-kNN fit with ${values.evaluations} tuning evaluations`, () =>
    fitOnSplit((p) => new ItemKnnRecommender({ ...p, tuneEvaluations: Number(values.evaluations) }), split, null, { seed: 2 }),
  );
  await stallsOf(`scoring ${values.users} held-out users over the catalogue`, () => evaluateModel(fit.model, split, 10, { maxUsers: Number(values.users) }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
