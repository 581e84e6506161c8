// Online learning for matrix factorisation: per event, a few SGD steps of the user's embedding against the
// touched item (positive) and sampled negatives, with item embeddings fixed until the next retrain.
import { onlineUserStep, type MatrixFactorization } from '../models/matrixFactorization';
import { createRng } from '../random';
import type { UserHistory } from '../interactions';

export interface OnlineStepParams {
  learningRate: number;
  l2: number;
  negatives: number;
}

export const ONLINE_STEP_DEFAULTS: Readonly<OnlineStepParams> = Object.freeze({ learningRate: 0.05, l2: 0.001, negatives: 3 });

/**
 * Moves `w` (in place) towards the items of `events` (component-local indices, oldest first), each step
 * scaled by the event's weight. `start` seeds the negative sampler so a replay gives the same result.
 */
export function applyOnlineSteps(
  mf: MatrixFactorization,
  w: Float32Array,
  events: UserHistory,
  p: OnlineStepParams = ONLINE_STEP_DEFAULTS,
  seed = 1,
): Float32Array {
  const rng = createRng(seed);
  const n = mf.numItems;
  for (let e = 0; e < events.items.length; e++) {
    const item = events.items[e];
    if (item < 0 || item >= n) continue;
    const lr = p.learningRate * Math.min(events.weights[e] || 1, 8);
    onlineUserStep(w, mf.itemEmbedding(item), mf.itemBiasOf(item), 1, lr, p.l2);
    for (let k = 0; k < p.negatives; k++) {
      const neg = Math.floor(rng() * n);
      if (neg !== item) onlineUserStep(w, mf.itemEmbedding(neg), mf.itemBiasOf(neg), 0, p.learningRate, p.l2);
    }
  }
  return w;
}
