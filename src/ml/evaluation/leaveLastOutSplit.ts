// The fixed offline protocol: per user, the last event is the test target and the one before it the validation target.
// Every derived Interactions keeps the full user and item vocabularies, so indices agree across train, validation and test.
import type { Interactions } from '../interactions';

export const LEAVE_LAST_OUT_PROTOCOL =
  'leave-last-out: per user, events sorted by time (file order breaks ties); the last event is the test target, ' +
  'the one before it the validation target; users with fewer than 3 events are train-only. Full ranking over every item, ' +
  "items in the user's history (everything before the target) excluded. Tuning and early stopping use validation; " +
  'final models are fitted on every event except the test targets.';

/** Users to evaluate and the item each must find; shape-compatible with FitOptions.validation. */
export interface EvaluationTargets {
  users: Int32Array;
  targets: Int32Array;
  /** Timestamp of each target event (unix seconds). */
  times: Float64Array;
}

export interface LeaveLastOutSplit {
  all: Interactions;
  /** Everything except the last two events of each eligible user: fit here, tune on `validation`. */
  validationTrain: Interactions;
  /** Everything except the last event of each eligible user: the final fit, evaluated on `test`. */
  testTrain: Interactions;
  validation: EvaluationTargets;
  test: EvaluationTargets;
  protocol: string;
}

export const MIN_EVENTS_FOR_EVALUATION = 3;

/** The rows of `data` whose `drop` flag is 0, with the same vocabularies; user order and row order are kept. */
export function dropRows(data: Interactions, drop: Uint8Array): Interactions {
  const numUsers = data.userIds.length;
  let kept = 0;
  for (let r = 0; r < drop.length; r++) if (drop[r] === 0) kept++;
  const out: Interactions = {
    userIds: data.userIds,
    itemIds: data.itemIds,
    users: new Int32Array(kept),
    items: new Int32Array(kept),
    times: new Float64Array(kept),
    types: new Uint8Array(kept),
    weights: new Float32Array(kept),
    userOffsets: new Int32Array(numUsers + 1),
  };
  let w = 0;
  for (let u = 0; u < numUsers; u++) {
    out.userOffsets[u] = w;
    for (let r = data.userOffsets[u]; r < data.userOffsets[u + 1]; r++) {
      if (drop[r] !== 0) continue;
      out.users[w] = u;
      out.items[w] = data.items[r];
      out.times[w] = data.times[r];
      out.types[w] = data.types[r];
      out.weights[w] = data.weights[r];
      w++;
    }
  }
  out.userOffsets[numUsers] = w;
  return out;
}

/** Splits `data` (sorted by user then time, as loadEventsCsv produces) under the leave-last-out protocol. */
export function leaveLastOutSplit(data: Interactions): LeaveLastOutSplit {
  const numUsers = data.userIds.length;
  let eligible = 0;
  for (let u = 0; u < numUsers; u++) {
    if (data.userOffsets[u + 1] - data.userOffsets[u] >= MIN_EVENTS_FOR_EVALUATION) eligible++;
  }
  const validation: EvaluationTargets = { users: new Int32Array(eligible), targets: new Int32Array(eligible), times: new Float64Array(eligible) };
  const test: EvaluationTargets = { users: new Int32Array(eligible), targets: new Int32Array(eligible), times: new Float64Array(eligible) };
  const dropForValidation = new Uint8Array(data.items.length);
  const dropForTest = new Uint8Array(data.items.length);
  let e = 0;
  for (let u = 0; u < numUsers; u++) {
    const end = data.userOffsets[u + 1];
    if (end - data.userOffsets[u] < MIN_EVENTS_FOR_EVALUATION) continue;
    const last = end - 1;
    const beforeLast = end - 2;
    test.users[e] = u;
    test.targets[e] = data.items[last];
    test.times[e] = data.times[last];
    validation.users[e] = u;
    validation.targets[e] = data.items[beforeLast];
    validation.times[e] = data.times[beforeLast];
    dropForTest[last] = 1;
    dropForValidation[last] = 1;
    dropForValidation[beforeLast] = 1;
    e++;
  }
  return {
    all: data,
    validationTrain: dropRows(data, dropForValidation),
    testTrain: dropRows(data, dropForTest),
    validation,
    test,
    protocol: LEAVE_LAST_OUT_PROTOCOL,
  };
}
