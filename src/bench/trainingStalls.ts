// `npx tsx src/bench/trainingStalls.ts [--evaluations 20]`: how long a tuned item-kNN fit on the generated full shop
// (100,000 items, 1,000,000 events) holds the event loop at a time. The worker that retrains also applies the online
// updates; each stall is time during which no event of any shopper is applied and no list is pushed.
import { parseArgs } from 'node:util';
import { SCALES, syntheticItems } from './syntheticShop';
import { shopInteractions } from './listMicro';
import { leaveLastOutSplit } from '../ml/evaluation/leaveLastOutSplit';
import { fitOnSplit } from '../ml/evaluation/evaluateModel';
import { ItemKnnRecommender } from '../ml/models/itemKnn';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { evaluations: { type: 'string', default: '20' } } });
  const itemIds = [...syntheticItems(SCALES.full)].flat().map((r) => r.id);
  const split = leaveLastOutSplit(await shopInteractions(SCALES.full, itemIds));
  // A 5 ms ticker: every gap between its ticks longer than 100 ms is a stall.
  const stalls: number[] = [];
  let last = Date.now();
  const tick = () => {
    const now = Date.now();
    if (now - last > 100) stalls.push(now - last);
    last = now;
  };
  const ticker = setInterval(tick, 5);
  const began = Date.now();
  await fitOnSplit((p) => new ItemKnnRecommender({ ...p, tuneEvaluations: Number(values.evaluations) }), split, null, { seed: 2 });
  tick();
  clearInterval(ticker);
  stalls.sort((a, b) => b - a);
  const median = stalls.length ? stalls[Math.floor(stalls.length / 2)] : 0;
  console.log(`item-kNN fit with ${values.evaluations} tuning evaluations: ${((Date.now() - began) / 1000).toFixed(1)} s; ${stalls.length} event-loop stalls over 100 ms, longest ${stalls.slice(0, 5).join(', ') || '-'} ms, median ${median} ms`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
